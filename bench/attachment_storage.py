"""What keeping attachments outside the database costs per file (decision 0039).

    .venv/bin/python bench/attachment_storage.py [--repeat 20]

For ciphertext of 64 KB, 1 MB and 8 MB (the largest attachment), through `amparo.core.blobs`:
`put` (random key, save, SHA-256) and `get` (read, SHA-256 checked) on the filesystem
(`MEDIA_ROOT/attachments` in a temporary directory) and on an S3 API (moto's server on a free
loopback port, started here: an in-process emulator, so its figures are the client's and
the HTTP round trips' share, not a real provider's), and the delete. Also the vault token of a
case attachment (encrypt and decrypt of its base64), which the database mode pays too.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"64 KB": 64 * 1024, "1 MB": 1024 * 1024, "8 MB": 8 * 1024 * 1024}


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="amparo-bench-blobs-")
    os.environ["AMPARO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    import django

    django.setup()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    logging.getLogger("botocore").setLevel(logging.WARNING)
    import boto3
    from django.conf import settings
    from django.test.utils import override_settings
    from moto.server import ThreadedMotoServer

    from amparo.core import blobs, vault
    from amparo.settings import _attachment_storage_settings

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="amparo-bench")
    modes = {
        "filesystem": _attachment_storage_settings("filesystem", {}, Path(var_dir) / "media"),
        "s3 (moto)": _attachment_storage_settings(
            "s3", {"AWS_STORAGE_BUCKET_NAME": "amparo-bench", "AWS_S3_ENDPOINT_URL": endpoint}, Path(var_dir)
        ),
    }
    print(f"# {platform.node()} {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"# load average {os.getloadavg()[0]:.1f}; {args.repeat} repetitions; p50 / p95 in ms")
    print(f"{'where':12} {'size':6} {'put p50':>9} {'put p95':>9} {'get p50':>9} {'get p95':>9} {'delete p50':>11}")
    try:
        for label, entry in modes.items():
            mode = "s3" if label.startswith("s3") else "filesystem"
            with override_settings(
                AMPARO_ATTACHMENT_STORAGE=mode, STORAGES={**settings.STORAGES, "attachments": entry}
            ):
                for size_label, size in SIZES.items():
                    data = secrets.token_bytes(size)
                    placed: list[tuple[str, str]] = []
                    puts = []
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        placed.append(blobs.put(data))
                        puts.append(time.perf_counter() - started)
                    gets = []
                    for key, digest in placed:
                        started = time.perf_counter()
                        assert blobs.get(key, digest) == data
                        gets.append(time.perf_counter() - started)
                    deletes = []
                    for key, _digest in placed:
                        started = time.perf_counter()
                        blobs.discard([key])
                        deletes.append(time.perf_counter() - started)
                    (p50p, p95p), (p50g, p95g) = _ms(puts), _ms(gets)
                    print(
                        f"{label:12} {size_label:6} {p50p:9.1f} {p95p:9.1f} {p50g:9.1f} {p95g:9.1f} "
                        f"{_ms(deletes)[0]:11.1f}"
                    )
        import base64

        for size_label, size in SIZES.items():
            text = base64.b64encode(secrets.token_bytes(size)).decode()
            context = "cases.CaseAttachment.object|1|case_id=1"
            enc, dec = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                token = vault.encrypt(text, context=context)
                enc.append(time.perf_counter() - started)
                started = time.perf_counter()
                vault.decrypt(token, context=context)
                dec.append(time.perf_counter() - started)
            print(
                f"{'vault token':12} {size_label:6} {_ms(enc)[0]:9.1f} {_ms(enc)[1]:9.1f} "
                f"{_ms(dec)[0]:9.1f} {_ms(dec)[1]:9.1f} {'-':>11}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
