"""Encrypted backups: one archive with the database, the uploaded files and a manifest.

Decisions 0029 (the database's own dump format) and 0030 (age encryption, the archive layout).

The archive is an uncompressed tar, encrypted with age (``pyrage``) as a stream:

- ``manifest.json`` first: format version, creation time, Amparo's version, the applied
  migrations per app, the database vendor and dump format, the SHA-256 and size of every other
  member, the number of rows per model, and a fingerprint of the key file (never the keys);
- ``database/amparo.pgdump`` (``pg_dump --format=custom``, uncompressed, taken in the same
  snapshot as the counts) on PostgreSQL, or ``database/amparo.sqlite3`` (SQLite's online
  backup) on SQLite;
- ``media/...``: every file under ``MEDIA_ROOT`` (attachment objects kept on the filesystem
  included, ``media/attachments/<key>``);
- ``objects/<key>``: with attachments in an S3 bucket (decision 0039), every object the
  database names in the dump's snapshot, as stored (sealed blobs and vault tokens only).

The key file is never inside: whoever holds an archive and its passphrase still holds only
vault tokens and sealed blobs.

On the file, an archive for an age recipient is a plain age file (``age -d -i identity``
opens it). An archive under a passphrase starts with the line ``AMPARO-BACKUP-1 scrypt <n>``,
then ``n`` bytes of an age file encrypted with the passphrase (scrypt) holding a fresh age
identity, then the archive as an age file for that identity: pyrage streams only to
recipients, and this keeps a large instance out of memory with the passphrase still guarding
everything.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyrage
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from amparo.core import blobs, vault

FORMAT_VERSION = 1
PASSPHRASE_MAGIC = b"AMPARO-BACKUP-1 scrypt "
AGE_MAGIC = b"age-encryption.org/v1\n"
MANIFEST = "manifest.json"
MIN_PASSPHRASE = 12
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something the operator must hear about: the message says what and what to do."""


# --- keys for the archive -----------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """How an archive is encrypted or opened: a passphrase, or an age recipient / identity."""

    passphrase: str | None = None
    recipient: str | None = None
    identities: tuple[str, ...] = ()


def read_passphrase(path: str | None, env: str = "AMPARO_BACKUP_PASSPHRASE") -> str | None:
    """The passphrase from a file (first line) or the environment variable; never argv."""
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BackupError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from exc
        value = text.splitlines()[0] if text.splitlines() else ""
    else:
        value = os.environ.get(env, "")
    return value or None


def read_identities(path: str) -> tuple[str, ...]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BackupError(f"Cannot read the identity file {path}: {exc.strerror}.") from exc
    found = tuple(line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-"))
    if not found:
        raise BackupError(f"The identity file {path} holds no age identity (AGE-SECRET-KEY-1…).")
    return found


def _recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception as exc:  # pyrage raises RecipientError or ValueError
        raise BackupError("The recipient is not an age public key (age1…).") from exc


def _identities(texts: tuple[str, ...]) -> list[pyrage.x25519.Identity]:
    try:
        return [pyrage.x25519.Identity.from_str(text) for text in texts]
    except Exception as exc:
        raise BackupError("The identity file holds a key that is not an age identity.") from exc


def key_fingerprint() -> dict[str, Any]:
    """What tells whether the key file in use is the one the backup was made with, without
    revealing any key: the key ids and two keyed digests of a fixed label."""
    ring = vault.keyring()
    return {
        "key_ids": sorted(ring.keys),
        "index": vault.blind_index("amparo-backup-key-check", context="backup"),
        "audit": vault.audit_mac(b"amparo-backup-key-check"),
    }


# --- what the database holds --------------------------------------------------------------


def _tables() -> dict[str, str]:
    """Model label -> table, for every concrete model (auto-created m2m tables included)."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            found[model._meta.label] = model._meta.db_table
    return found


def count_rows(cursor: Any, existing: set[str] | None = None) -> dict[str, int]:
    counts = {}
    for label, table in sorted(_tables().items()):
        if existing is not None and table not in existing:
            continue
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (model tables)
        counts[label] = int(cursor.fetchone()[0])
    return counts


def live_counts() -> dict[str, int]:
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        return count_rows(cursor, existing)


#: An instance that was used holds rows in at least one of these; one where only `migrate`
#: ran (which writes content types, permissions and seeded vocabularies such as the
#: service-type taxonomy) holds none.
DATA_MODELS = (
    "accounts.Organisation",
    "accounts.User",
    "core.AuditEntry",
    "core.OrganisationKeys",
    "cases.Case",
    "reports.Signal",
    "reports.Receipt",
)


def rows_of_data() -> list[str]:
    """The models (of `DATA_MODELS`) that hold rows: none for an empty instance."""
    existing = set(connection.introspection.table_names())
    found = []
    with connection.cursor() as cursor:
        for label in DATA_MODELS:
            table = apps.get_model(label)._meta.db_table
            if table not in existing:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                found.append(label)
    return found


def applied_migrations() -> dict[str, list[str]]:
    if MigrationRecorder.Migration._meta.db_table not in connection.introspection.table_names():
        return {}
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).migration_qs.values_list("app", "name").order_by("app", "name"):
        applied.setdefault(app, []).append(name)
    return applied


def amparo_version() -> str:
    import amparo

    return amparo.__version__


# --- PostgreSQL client tools --------------------------------------------------------------


def _pg_env() -> tuple[dict[str, str], str]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env, str(db["NAME"])


def _run(args: list[str], what: str) -> None:
    env, _name = _pg_env()
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed: install PostgreSQL's client tools (postgresql-client).")
    done = subprocess.run([tool, *args[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


# --- writing ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files() -> list[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((f"media/{path.relative_to(root).as_posix()}", path))
    return found


def _dump_database(workdir: Path) -> tuple[str, Path, dict[str, int], list[str]]:
    """The database dump (member name, file), the row counts and the attachment object keys
    of the same snapshot."""
    vendor = connection.vendor
    if vendor == "postgresql":
        target = workdir / "amparo.pgdump"
        # One snapshot for the counts and the dump: what the manifest counts is what is inside.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = count_rows(cursor, set(connection.introspection.table_names(cursor)))
            keys = blobs.referenced_keys(cursor)
            _env, name = _pg_env()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--compress=0",  # the dump is scanned for plaintext in tests; the archive is encrypted
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    name,
                ],
                "pg_dump",
            )
        return "database/amparo.pgdump", target, counts, keys
    if vendor == "sqlite":
        target = workdir / "amparo.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # SQLite's online backup: one consistent copy
            rows_cursor = copy.cursor()
            tables = {row[0] for row in rows_cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            counts = count_rows(rows_cursor, tables)
            keys = blobs.referenced_keys(rows_cursor)
        finally:
            copy.close()
        return "database/amparo.sqlite3", target, counts, keys
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")


def _fetch_objects(keys: list[str], workdir: Path) -> list[tuple[str, Path]]:
    """Copy the attachment objects of an S3 bucket into the archive (``objects/<key>``).

    On the filesystem they are already under MEDIA_ROOT (``media/attachments``). Objects stay
    as stored: what the archive gains is ciphertext the database names, nothing readable."""
    if not keys or blobs.mode() == "filesystem":
        return []
    if blobs.mode() != "s3":
        raise BackupError(
            f"The database names {len(keys)} attachment objects but AMPARO_ATTACHMENT_STORAGE is "
            f"{blobs.mode()!r}: configure the storage they are in, then back up."
        )
    folder = workdir / "objects"
    folder.mkdir(mode=0o700)
    found, missing = [], 0
    store = blobs.storage()
    for key in keys:
        target = folder / key
        try:
            with store.open(key, "rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        except Exception:  # a missing object: FileNotFoundError, or boto3's ClientError
            missing += 1
            continue
        found.append((f"objects/{key}", target))
    if missing:
        raise BackupError(
            f"{missing} attachment object(s) the database names are missing from the bucket; "
            "no archive was written. Run the backup again (an erasure may have been under way); "
            "if it keeps failing, the bucket has lost objects."
        )
    return found


def _tar_writer(members: list[tuple[str, Path | bytes]], sink: BinaryIO) -> None:
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name, source in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o600
            if isinstance(source, bytes):
                info.size = len(source)
                tar.addfile(info, io.BytesIO(source))
            else:
                info.size = source.stat().st_size
                with source.open("rb") as handle:
                    tar.addfile(info, handle)


def create(output: Path, secret: Secret) -> dict[str, Any]:
    """Write the encrypted archive to `output`; return its manifest."""
    if not secret.passphrase and not secret.recipient:
        raise BackupError(
            "Give a passphrase (--passphrase-file, or AMPARO_BACKUP_PASSPHRASE) or an age recipient (--recipient)."
        )
    if secret.passphrase and len(secret.passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"The passphrase is too short: use at least {MIN_PASSPHRASE} characters.")
    recipient = _recipient(secret.recipient) if secret.recipient else None
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="amparo-backup-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o700)
        db_name, db_file, counts, keys = _dump_database(workdir)
        files = [(db_name, db_file), *_media_files(), *_fetch_objects(keys, workdir)]
        manifest = {
            "format": "amparo-backup",
            "version": FORMAT_VERSION,
            "created_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
            "amparo_version": amparo_version(),
            "migrations": applied_migrations(),
            "database": {"vendor": connection.vendor, "member": db_name},
            "key_file": key_fingerprint(),
            "attachment_storage": blobs.mode(),
            "counts": counts,
            "files": [{"name": name, "size": path.stat().st_size, "sha256": _sha256(path)} for name, path in files],
        }
        members: list[tuple[str, Path | bytes]] = [(MANIFEST, json.dumps(manifest, indent=2).encode()), *files]
        partial = output.with_name(output.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                if secret.passphrase:
                    identity = pyrage.x25519.Identity.generate()
                    wrapped = pyrage.passphrase.encrypt(str(identity).encode(), secret.passphrase)
                    out.write(PASSPHRASE_MAGIC + str(len(wrapped)).encode() + b"\n" + wrapped)
                    recipient = identity.to_public()
                assert recipient is not None
                _encrypt_stream(members, out, recipient)
            os.replace(partial, output)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
    return manifest


def _encrypt_stream(members: list[tuple[str, Path | bytes]], out: BinaryIO, recipient: Any) -> None:
    """Tar the members into a pipe that age encrypts into `out`: nothing whole in memory."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as sink:
                _tar_writer(members, sink)
        except BaseException as exc:  # reported by the caller
            failure.append(exc)

    writer = threading.Thread(target=produce, daemon=True)
    writer.start()
    source = os.fdopen(read_fd, "rb")
    try:
        pyrage.encrypt_io(source, out, [recipient])  # type: ignore[arg-type]
    finally:
        source.close()  # a writer still blocked on the pipe gets BrokenPipeError and ends
        writer.join()
    if failure:
        raise BackupError(f"Writing the archive failed: {failure[0]}") from failure[0]


# --- reading ------------------------------------------------------------------------------


@dataclass
class Opened:
    """A decrypted, checked archive unpacked in a private temporary directory."""

    manifest: dict[str, Any]
    directory: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.files[self.manifest["database"]["member"]]


def _decrypt_to(archive: Path, secret: Secret, target: Path) -> None:
    try:
        handle = archive.open("rb")
    except OSError as exc:
        raise BackupError(f"Cannot read {archive}: {exc.strerror}.") from exc
    with handle:
        head = handle.read(len(PASSPHRASE_MAGIC))
        if head == PASSPHRASE_MAGIC:
            line = handle.readline(32)
            try:
                length = int(line.strip())
            except ValueError as exc:
                raise BackupError("This archive's header is damaged.") from exc
            wrapped = handle.read(length)
            if not secret.passphrase:
                raise BackupError("This archive is protected by a passphrase: give --passphrase-file.")
            try:
                identity_text = pyrage.passphrase.decrypt(wrapped, secret.passphrase).decode()
            except Exception as exc:
                raise BackupError("The passphrase does not open this archive (wrong passphrase, or damaged).") from exc
            identities = _identities((identity_text,))
        elif head.startswith(AGE_MAGIC):
            handle.seek(0)
            if not secret.identities:
                raise BackupError("This archive is encrypted to an age key: give --identity with its identity file.")
            identities = _identities(secret.identities)
        else:
            raise BackupError(f"{archive} is not an Amparo backup archive.")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            try:
                pyrage.decrypt_io(handle, out, identities)  # type: ignore[arg-type]
            except Exception as exc:
                text = str(exc).lower()
                if "no matching keys" in text or "header" in text and "identity" in text:
                    raise BackupError("The identity does not open this archive.") from exc
                raise BackupError(
                    "The archive does not decrypt: it is damaged, truncated or was altered "
                    "(or the key does not open it)."
                ) from exc


@contextlib.contextmanager
def opened(archive: Path, secret: Secret) -> Iterator[Opened]:
    """Decrypt and unpack `archive`, check every member against the manifest; yield it."""
    with tempfile.TemporaryDirectory(prefix="amparo-restore-") as tmp:
        directory = Path(tmp)
        os.chmod(directory, 0o700)
        plain = directory / "archive.tar"
        _decrypt_to(Path(archive), secret, plain)
        result = _unpack(plain, directory / "files")
        plain.unlink()
        yield result


def _unpack(plain: Path, directory: Path) -> Opened:
    directory.mkdir(mode=0o700)
    manifest: dict[str, Any] | None = None
    files: dict[str, Path] = {}
    digests: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(plain, mode="r|") as tar:
            for number, info in enumerate(tar):
                if not info.isfile():
                    raise BackupError(f"The archive holds an unexpected entry: {info.name}.")
                handle = tar.extractfile(info)
                assert handle is not None
                if number == 0:
                    if info.name != MANIFEST:
                        raise BackupError("The archive has no manifest.")
                    manifest = json.loads(handle.read())
                    continue
                if info.name in files or ".." in Path(info.name).parts or Path(info.name).is_absolute():
                    raise BackupError(f"The archive holds an unexpected entry: {info.name}.")
                target = directory / f"{len(files):06d}"
                digest = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                files[info.name] = target
                digests[info.name] = (size, digest.hexdigest())
    except (tarfile.TarError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"The archive's contents are damaged: {exc}.") from exc
    if manifest is None or manifest.get("format") != "amparo-backup":
        raise BackupError("The archive has no manifest.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"This archive has format version {manifest.get('version')}; this Amparo reads 1.")
    listed = {entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    for name in sorted(set(listed) | set(digests)):
        if name not in digests:
            raise BackupError(f"{name} is listed in the manifest but missing from the archive.")
        if name not in listed:
            raise BackupError(f"{name} is in the archive but not in the manifest.")
        if digests[name] != listed[name]:
            raise BackupError(f"{name} does not match its checksum in the manifest.")
    if manifest["database"]["member"] not in files:
        raise BackupError("The archive holds no database dump.")
    return Opened(manifest=manifest, directory=directory, files=files)


def check_dump(archive: Opened) -> None:
    """Open the database dump itself: the SQLite file's integrity and counts, or the
    PostgreSQL dump's table of contents."""
    vendor = archive.manifest["database"]["vendor"]
    if vendor == "sqlite":
        db = sqlite3.connect(f"file:{archive.database}?mode=ro", uri=True)
        try:
            cursor = db.cursor()
            if cursor.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("The SQLite database in the archive is damaged.")
            tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            counts = count_rows(cursor, tables)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"The SQLite database in the archive does not open: {exc}.") from exc
        finally:
            db.close()
        if counts != archive.manifest["counts"]:
            raise BackupError("The database in the archive does not hold the rows its manifest counts.")
    elif vendor == "postgresql":
        _run(["pg_restore", "--list", str(archive.database)], "Reading the PostgreSQL dump")
    else:
        raise BackupError(f"Unknown database vendor in the manifest: {vendor}.")


def verify(archive: Path, secret: Secret) -> dict[str, Any]:
    with opened(archive, secret) as found:
        check_dump(found)
        return found.manifest


# --- restoring ----------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict[str, Any]
    counts: dict[str, int]
    audit_problems: list[str]
    undecryptable: list[str]
    migrate_needed: bool
    #: Seconds spent opening and checking the archive, loading the database and files, checking.
    seconds: dict[str, float] = field(default_factory=dict)


def _check_target(manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This archive holds a {vendor} database; this instance uses {connection.vendor}. "
            "Restore into the same kind of database."
        )
    full = rows_of_data()
    if full:
        raise BackupError(
            "The database is not empty ("
            + ", ".join(full)
            + "): restore only into a new, empty database. Nothing was changed."
        )
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(f"MEDIA_ROOT ({media}) is not empty: restore into an empty one. Nothing was changed.")
    objects = [entry["name"] for entry in manifest["files"] if _object_key(entry["name"])]
    if objects and not blobs.external():
        raise BackupError(
            f"This backup holds {len(objects)} attachment objects: set AMPARO_ATTACHMENT_STORAGE (filesystem or s3, "
            "as in docs/deployment.md) before restoring. Nothing was changed."
        )
    if objects and blobs.mode() == "s3":
        _dirs, present = blobs.storage().listdir("")
        if present:
            raise BackupError(
                "The attachment bucket is not empty: restore into an empty bucket (or a new AWS_LOCATION). "
                "Nothing was changed."
            )
    if manifest["key_file"] != key_fingerprint():
        raise BackupError(
            "The key file in use is not the one this backup was made with (AMPARO_KEY_FILE): "
            "use the key file of the backup's date. Nothing was changed."
        )
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [
        f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names if (app, name) not in known
    ]
    if newer:
        raise BackupError(
            "This backup was made by a newer Amparo (migrations unknown here: "
            + ", ".join(newer[:3])
            + "). Install that version, then restore. Nothing was changed."
        )


def _load_database(found: Opened) -> None:
    vendor = found.manifest["database"]["vendor"]
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{found.database}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    # PostgreSQL: drop the (empty) tables `migrate` may have made, then restore the dump whole
    # (schema, data, sequences, constraints) in one transaction.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connection.close()
    _env, name = _pg_env()
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={name}",
            str(found.database),
        ],
        "pg_restore",
    )
    connection.close()


def _object_key(name: str) -> str:
    """The attachment object key of an archive member, or "" (decision 0039)."""
    for prefix in ("objects/", "media/attachments/"):
        key = name.removeprefix(prefix)
        if key != name and "/" not in key and key:
            return key
    return ""


def _restore_media(found: Opened) -> None:
    root = Path(settings.MEDIA_ROOT).resolve()
    for name, path in found.files.items():
        key = _object_key(name)
        if key and blobs.external():
            # Into the storage configured now, whichever it was taken from.
            with path.open("rb") as handle:
                stored = blobs.storage().save(key, File(handle))
            if stored != key:
                raise BackupError(f"The attachment storage already held an object named {key}.")
            continue
        if not name.startswith("media/"):
            continue
        target = (root / name.removeprefix("media/")).resolve()
        if root not in target.parents:
            raise BackupError(f"The archive names a file outside MEDIA_ROOT: {name}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def undecryptable_rows() -> list[str]:
    """Open every encrypted field of every row (as the application does); name those that
    do not open with the key file in use."""
    from amparo.core.fields import EncryptedTextField, SealedValue

    failed = []
    for model in apps.get_models():
        if not any(isinstance(f, EncryptedTextField) for f in model._meta.concrete_fields):
            continue
        attnames = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.order_by().values(*attnames).iterator(chunk_size=2000):
            try:
                # Building the instance opens every token under the row's binding (post_init).
                obj = model(**row)
            except vault.VaultError:
                failed.append(f"{model._meta.label} {row[model._meta.pk.attname]}")
                continue
            if any(isinstance(getattr(obj, f.attname), SealedValue) for f in model._meta.concrete_fields):
                failed.append(f"{model._meta.label} {obj.pk}")
    return failed


def restore(archive: Path, secret: Secret) -> Restored:
    from amparo.core.audit import verify_chain

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with opened(archive, secret) as found:
        check_dump(found)
        manifest = found.manifest
        _check_target(manifest)
        seconds["open"] = time.perf_counter() - started
        started = time.perf_counter()
        _load_database(found)
        _restore_media(found)
        seconds["load"] = time.perf_counter() - started
    started = time.perf_counter()
    counts = live_counts()
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    migrate_needed = bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    problems = verify_chain() if not migrate_needed else []
    failed = [*undecryptable_rows(), *blobs.damaged_objects()] if not migrate_needed else []
    seconds["check"] = time.perf_counter() - started
    return Restored(
        manifest=manifest,
        counts=counts,
        audit_problems=problems,
        undecryptable=failed,
        migrate_needed=migrate_needed,
        seconds=seconds,
    )
