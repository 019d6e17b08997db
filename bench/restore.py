"""Backup and restore at scale on PostgreSQL: the time of each step, against the floor of a
plain pg_dump / pg_restore of the same database in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo_backup_bench \\
        .venv/bin/python bench/restore.py --sizes 10000,30000,100000

For each size: the database in DATABASE_URL is dropped and created, migrated, and filled
with N cases (bench/case_search.py's generator: encrypted by the vault, blind indexes,
phonetic name keys) plus one audit entry per ten cases; then

1. `manage.py backup` (passphrase from the environment) — dump, checksums, age encryption;
2. `manage.py verify_backup` — decrypt and check every checksum and the dump's table of contents;
3. `manage.py restore` into a second, new, empty database (`<name>_2`) — decrypt, check,
   pg_restore, then the audit chain walked, every encrypted value of every row opened, and
   every table counted against the manifest;
4. the floor: `pg_dump --format=custom` of the same database and `pg_restore` into a third new
   database (`<name>_3`), with nothing else.

Each step runs as its own process, as an operator would run it (Django's start-up included).
Target: the restore of 100,000 cases in under 10 minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.case_search import generate, reset_postgres, setup_django  # noqa: E402

PASSPHRASE = "bench passphrase, never used for real data"  # noqa: S105


def with_name(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def build(size: int, var_dir: str) -> None:
    """Child process: migrate and fill the database."""
    setup_django(var_dir)
    from django.core.management import call_command

    from amparo.core import audit

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    sample = generate(size)
    for i in range(size // 10):
        audit.record(actor=sample["worker"], action="case.view", reason=f"bench {i}")
    print(f"  built {size:,} cases and {size // 10:,} audit entries in {time.perf_counter() - started:.0f} s")


def timed(label: str, cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    print(f"  {label:52} {seconds:8.1f} s")
    for line in done.stdout.splitlines():
        if line.startswith("Seconds:"):
            print(f"    {line}")
    sys.stdout.flush()
    return seconds


def run(size: int, url: str) -> dict[str, float]:
    name = urlparse(url).path.lstrip("/")
    second, third = with_name(url, f"{name}_2"), with_name(url, f"{name}_3")
    for db in (url, second, third):
        reset_postgres(db)
    with tempfile.TemporaryDirectory() as var_dir:
        base = {**os.environ, "AMPARO_VAR_DIR": var_dir, "AMPARO_BACKUP_PASSPHRASE": PASSPHRASE}
        source = {**base, "DATABASE_URL": url, "MEDIA_ROOT": f"{var_dir}/media-1"}
        target = {**base, "DATABASE_URL": second, "MEDIA_ROOT": f"{var_dir}/media-2"}
        subprocess.run([sys.executable, __file__, "--child", f"{size}:{var_dir}"], env=source, check=True)
        archive = Path(var_dir) / "amparo.backup"
        manage = [sys.executable, str(ROOT / "manage.py")]
        figures = {
            "backup": timed("manage.py backup", [*manage, "backup", "--output", str(archive)], source),
            "verify": timed("manage.py verify_backup", [*manage, "verify_backup", str(archive)], source),
            "restore": timed(
                "manage.py restore (into a new empty database)", [*manage, "restore", str(archive)], target
            ),
        }
        plain = Path(var_dir) / "plain.pgdump"
        host = ["-h", urlparse(url).hostname or "127.0.0.1", "-U", urlparse(url).username or "postgres"]
        figures["pg_dump"] = timed(
            "floor: pg_dump --format=custom", ["pg_dump", *host, "--format=custom", "-f", str(plain), name], base
        )
        figures["pg_restore"] = timed(
            "floor: pg_restore into a new database",
            ["pg_restore", *host, "--no-owner", "--single-transaction", "-d", f"{name}_3", str(plain)],
            base,
        )
        print(
            f"  archive {archive.stat().st_size / 2**20:.0f} MiB; plain compressed pg_dump "
            f"{plain.stat().st_size / 2**20:.0f} MiB"
        )
    for db in (second, third):
        reset_postgres(db)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, var_dir = args.child.split(":", 1)
        build(int(size), var_dir)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database this bench may drop and create.")
    print(
        f"backup/restore benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"\n{size:,} cases")
        figures = run(size, url)
        verdict = "yes" if figures["restore"] < 600 else "NO"
        print(f"  restore under 10 minutes: {verdict}")


if __name__ == "__main__":
    main()
