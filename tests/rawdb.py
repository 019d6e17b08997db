"""Scan what the database really stores for plaintext that should be encrypted."""

from __future__ import annotations

import binascii
import os
import re
import subprocess
from pathlib import Path

from django.db import connection


def raw_database_bytes() -> bytes:
    """Every byte of the test database as stored: the SQLite file (+WAL), or a pg_dump
    followed by the decoded bytes of its bytea (binary) columns."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        data = b""
        for path in (name, Path(f"{name}-wal"), Path(f"{name}-journal")):
            if path.exists():
                data += path.read_bytes()
        if not data:
            raise AssertionError(f"The SQLite test database {name} is not a file on disk; nothing to scan.")
        return data
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        env = {**os.environ}
        if params.get("password"):
            env["PGPASSWORD"] = str(params["password"])
        cmd = ["pg_dump", "--data-only", "--no-owner", "-d", str(params.get("dbname"))]
        if params.get("host"):
            cmd += ["-h", str(params["host"])]
        if params.get("port"):
            cmd += ["-p", str(params["port"])]
        if params.get("user"):
            cmd += ["-U", str(params["user"])]
        dump = subprocess.run(cmd, check=True, capture_output=True, env=env).stdout
        return dump + b"\n" + b"\n".join(_bytea_values(dump))
    raise AssertionError(f"No raw scan for {connection.vendor}.")


#: A bytea value in pg_dump's COPY text: hex output, its backslash doubled by COPY escaping.
_BYTEA_HEX = re.compile(rb"\\\\x((?:[0-9a-f]{2})+)")


def _bytea_values(dump: bytes) -> list[bytes]:
    """The bytes of every bytea value in a pg_dump: PostgreSQL writes them as hex text
    (`\\x4d61...`), where a plaintext needle would go unseen."""
    return [binascii.unhexlify(match.group(1)) for match in _BYTEA_HEX.finditer(dump)]


def plaintext_hits(*needles: str) -> list[str]:
    """The needles found in the raw database (UTF-8 and UTF-16 forms)."""
    data = raw_database_bytes()
    found = []
    for needle in needles:
        if needle.encode() in data or needle.encode("utf-16-le") in data:
            found.append(needle)
    return found
