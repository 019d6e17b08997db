"""The vault: the one module that encrypts what identifies a person.

- Field encryption: AES-256-GCM (``cryptography``), a fresh 96-bit nonce per value, the
  field's identity (``app.Model.field``) as associated data, so a ciphertext moved into
  another column does not decrypt. Tokens look like ``v1:<key id>:<base64>``.
- Blind index: HMAC-SHA256 under a key derived (HKDF) from the index key and the
  field's identity, over a normalised value, for exact-match lookups (phones, documents).
- Keys live in a JSON key file (``AMPARO_KEY_FILE``) or the ``AMPARO_KEYS`` environment
  variable, never in the database::

      {"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."},
       "index_key": "<base64 32 bytes>", "audit_key": "<base64 32 bytes>"}

  Rotation adds a key and makes it active; ``manage.py rotate_keys`` re-encrypts every
  stored value under it, after which the old key can be retired.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_PREFIX = "v2"  # noqa: S105 (a format tag, not a secret)
#: Tokens of the first format: the field's name alone was the associated data. Only the
#: migration that re-encrypts them (cases 0011) opens them (`decrypt_legacy`).
LEGACY_PREFIX = "v1"
NONCE_BYTES = 12


class VaultError(Exception):
    """A value could not be decrypted: unknown key id, wrong field, or tampering."""


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]
    index_key: bytes
    audit_key: bytes

    @classmethod
    def from_json(cls, raw: str) -> Keyring:
        data = json.loads(raw)
        keys = {kid: base64.b64decode(value) for kid, value in data["keys"].items()}
        if data["active"] not in keys:
            raise ImproperlyConfigured("The active key id is not among the keys.")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ImproperlyConfigured(f"Key {kid} is not 32 bytes.")
        return cls(
            active=data["active"],
            keys=keys,
            index_key=base64.b64decode(data["index_key"]),
            audit_key=base64.b64decode(data["audit_key"]),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keys": {kid: base64.b64encode(k).decode() for kid, k in self.keys.items()},
                "index_key": base64.b64encode(self.index_key).decode(),
                "audit_key": base64.b64encode(self.audit_key).decode(),
            },
            indent=2,
        )

    def with_new_active_key(self) -> Keyring:
        kid = f"k{len(self.keys) + 1}"
        while kid in self.keys:
            kid = f"k{secrets.token_hex(3)}"
        return Keyring(
            active=kid,
            keys={**self.keys, kid: secrets.token_bytes(32)},
            index_key=self.index_key,
            audit_key=self.audit_key,
        )

    @classmethod
    def generate(cls) -> Keyring:
        return cls(
            active="k1",
            keys={"k1": secrets.token_bytes(32)},
            index_key=secrets.token_bytes(32),
            audit_key=secrets.token_bytes(32),
        )


_lock = threading.Lock()
_keyring: Keyring | None = None


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Write the key file readable by its owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.to_json())
    os.replace(tmp, path)


def load_keyring() -> Keyring:
    """Read the keys from AMPARO_KEYS or the key file; create the file only where allowed."""
    raw = os.environ.get("AMPARO_KEYS")
    if raw:
        return Keyring.from_json(raw)
    path = Path(settings.AMPARO_KEY_FILE)
    if not path.exists():
        if not settings.AMPARO_CREATE_KEY_FILE:
            raise ImproperlyConfigured(f"The key file {path} does not exist (AMPARO_KEY_FILE).")
        write_key_file(path, Keyring.generate())
    return Keyring.from_json(path.read_text())


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = load_keyring()
    return _keyring


def reset_keyring(new: Keyring | None = None) -> None:
    """Forget the cached keys (after rotation), or install `new` in their place."""
    global _keyring
    with _lock:
        _keyring = new


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext` for the field named `context` under the active key."""
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.active]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{TOKEN_PREFIX}:{ring.active}:{base64.b64encode(nonce + sealed).decode()}"


def is_token(value: str) -> bool:
    """Whether `value` has the shape of a token of the current format (not whether it opens)."""
    parts = value.split(":", 2)
    return len(parts) == 3 and parts[0] == TOKEN_PREFIX and bool(parts[1]) and bool(parts[2])


def key_id(token: str, *, prefix: str = TOKEN_PREFIX) -> str:
    """The id of the key a token was encrypted with."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != prefix:
        raise VaultError("Not a vault token.")
    return parts[1]


def decrypt(token: str, *, context: str) -> str:
    """Decrypt a token made by `encrypt` for the same `context`; raise VaultError otherwise."""
    return _open(token, context=context, prefix=TOKEN_PREFIX)


def decrypt_legacy(token: str, *, context: str) -> str:
    """Open a first-format (`v1`) token; for the migration that re-encrypts them only."""
    return _open(token, context=context, prefix=LEGACY_PREFIX)


def _open(token: str, *, context: str, prefix: str) -> str:
    kid = key_id(token, prefix=prefix)
    key = keyring().keys.get(kid)
    if key is None:
        # Another process may have rotated the keys since this one loaded them: reload once.
        reset_keyring()
        key = keyring().keys.get(kid)
    if key is None:
        raise VaultError(f"Unknown key id {kid}.")
    try:
        blob = base64.b64decode(token.split(":", 2)[2], validate=True)
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise VaultError("The value does not decrypt for this field.") from exc
    return plain.decode()


def normalise_for_index(value: str) -> str:
    """Case-, accent- and punctuation-insensitive form used by the blind index."""
    folded = unicodedata.normalize("NFKD", value).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@functools.lru_cache(maxsize=256)
def _index_subkey(index_key: bytes, context: str) -> bytes:
    """The blind-index key of one context (HKDF), derived once per process and index key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"blind-index:{context}".encode()).derive(
        index_key
    )


def blind_index(value: str, *, context: str) -> str:
    """A keyed, deterministic digest of `value` for exact-match lookups in `context`."""
    derived = _index_subkey(keyring().index_key, context)
    return hmac.new(derived, normalise_for_index(value).encode(), hashlib.sha256).hexdigest()


def audit_mac(data: bytes) -> str:
    """HMAC-SHA256 of `data` under the audit key: the audit chain's link."""
    return hmac.new(keyring().audit_key, data, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=32)
def _purpose_key(index_key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"derived:{purpose}".encode()).derive(index_key)


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for one `purpose` (e.g. the names of rate-limit counters), derived (HKDF)
    from the index key: as stable as the key file, never written anywhere, and unrelated to
    the blind-index keys (another HKDF label)."""
    return _purpose_key(keyring().index_key, purpose)
