"""In-process, per-request cost of the app submission path (POST /api/v1/report/).

    .venv/bin/python bench/report_profile.py [--requests 300] [--profile] [--sqlite]

Less noisy than bench/report_intake.py: one thread, no HTTP, the full middleware stack
through Django's WSGI handler. By default a throwaway database on the PostgreSQL server at
127.0.0.1:5432 (user postgres; dropped at the end) and the Redis server at 127.0.0.1:6379
(database 11, keys under a random prefix); `--sqlite` uses a temporary SQLite file and the
in-process cache instead. Bodies are prepared first, as a phone would: a solved proof-of-work
challenge and receipt keys derived on the device. Prints the mean, p50 and p99 per request;
`--profile` adds a cProfile of the measured requests (cumulative time, top 45), `--pyinstrument`
a sampling profile (lower overhead; `pip install pyinstrument` in the virtualenv first).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SETTINGS = """\
from amparo.settings import *  # noqa: F403
import os
if os.environ.get("REDIS_URL"):
    CACHES["default"]["KEY_PREFIX"] = os.environ["PROFILE_KEY_PREFIX"]  # noqa: F405
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--pyinstrument", action="store_true", help="a sampling profile instead (pip install pyinstrument)"
    )
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="amparo-profile-"))
    (tmp / "report_profile_settings.py").write_text(SETTINGS)
    sys.path.insert(0, str(tmp))
    db_name = f"amparo_profile_{os.getpid()}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "report_profile_settings",
            "AMPARO_VAR_DIR": str(tmp / "var"),
            "AMPARO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "AMPARO_POW_BITS": "8",
            "AMPARO_POW_MAX_BITS": "8",
            "AMPARO_REPORT_CAP_PER_HOUR": "10000000",
            "AMPARO_REPORT_ORG_CAP_PER_HOUR": "10000000",
            "AMPARO_REPORT_HELD_CAP_PER_HOUR": "10000000",
            "LOG_LEVEL": "WARNING",
            "PROFILE_KEY_PREFIX": f"amparo-profile-{secrets.token_hex(4)}",
        }
    )
    psql = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-q", "-c"]
    if not args.sqlite:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
        os.environ["DATABASE_CONN_MAX_AGE"] = "600"
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/11"
        subprocess.run([*psql, f"CREATE DATABASE {db_name}"], check=True)
    try:
        return run(args)
    finally:
        if not args.sqlite:
            from django.db import connections

            connections.close_all()
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db_name}"], check=False)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from report_intake import REPORT, SETUP, device_keys

    call_command("migrate", verbosity=0, interactive=False)
    exec(SETUP, {"print": lambda *a: None})  # noqa: S102 (the bench's own set-up code)
    handler = WSGIHandler()

    def call(path: str, body: dict) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(payload)),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "203.0.113.7",
            "HTTP_USER_AGENT": "ProfileBench/1.0",
            "wsgi.input": io.BytesIO(payload),
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []
        chunks = handler(environ, lambda s, h, *_: status.append(s))
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return int(status[0].split()[0]), data

    def bodies(n: int) -> list[dict]:
        out = []
        from amparo.reports.abuse import solve

        for _ in range(n):
            issued = json.loads(call("/api/v1/report/challenge/", {})[1])
            keys = device_keys(issued["receipt_opslimit"], issued["receipt_memlimit"])
            challenge = issued["challenge"]
            out.append({**REPORT, "pow_challenge": challenge, "pow_nonce": solve(challenge), "receipt_keys": keys})
        return out

    for body in bodies(30):  # warm-up: imports, connections, per-process caches
        assert call("/api/v1/report/", body)[0] == 201
    prepared = bodies(args.requests)
    times = []
    profiler = cProfile.Profile() if args.profile else None
    sampler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0002)
        sampler.start()
    for body in prepared:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        status, data = call("/api/v1/report/", body)
        if profiler:
            profiler.disable()
        times.append(time.perf_counter() - started)
        if status != 201 or json.loads(data)["held"]:
            raise SystemExit(f"unexpected answer {status}: {data[:300]!r}")
    if sampler:
        sampler.stop()
    times.sort()
    backend = "SQLite + local memory cache" if args.sqlite else "PostgreSQL 127.0.0.1:5432 + Redis 127.0.0.1:6379"
    print(f"{backend}, {args.requests} submissions, one thread")
    print(
        f"mean {sum(times) / len(times) * 1000:.2f} ms, p50 {times[len(times) // 2] * 1000:.2f} ms, "
        f"p99 {times[min(len(times) - 1, round(0.99 * (len(times) - 1)))] * 1000:.2f} ms, "
        f"{len(times) / sum(times):.0f} per s on one core"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)
        print(out.getvalue())
    if sampler:
        print(sampler.output_text(unicode=False, color=False, show_all=False))
    cache.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
