"""Intake throughput of anonymous reports, and the fault drill (docs/benchmarks.md).

    .venv/bin/python bench/report_intake.py [--requests 2000] [--concurrency 16] [--drill]

Set-up, all in a temporary directory and torn down at the end: a throwaway PostgreSQL
cluster on a free loopback port (run as the `postgres` system user when started as root),
a Redis server for the shared cache (proof-of-work challenges and counters must be seen by
every worker), `migrate`, one organisation with its key pair and a routing rule, and
gunicorn (`--workers` sync workers) serving Amparo with a bench-only URL module that adds
the *floor*: a view on the same stack that parses the same JSON body and stores one row.

Throughput: the load generator first fetches and solves one proof-of-work challenge per
report and derives the receipt's keys with Argon2id at the server's cost (what a phone does
before it sends, as GlobaLeaks' browser derives the receipt key), then sends the reports at fixed concurrency over
keep-alive connections and reports reports/s, p50 and p99 latency, and the same for the
floor, in alternating rounds (`--rounds`) so both meet the same machine. Every acknowledged report is then counted in the database: none may be lost.

Drill (--drill): clients submit with Idempotency-Key and a receipt secret of their own,
retrying on any failure, while the gunicorn server is killed (SIGKILL, whole process group)
and restarted twice. Afterwards every acknowledged report must be stored exactly once.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
sys.path.insert(0, str(ROOT))

SETTINGS = """\
from amparo.settings import *  # noqa: F403
ROOT_URLCONF = "report_bench_urls"
"""

URLS = """\
import secrets
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
import json
from amparo.urls import urlpatterns as amparo_urlpatterns
from amparo.reports.models import SubmissionKey
from amparo.reports.services import today


@login_not_required
@csrf_exempt
def floor(request):
    json.loads(request.body)
    SubmissionKey.objects.create(key_hash=secrets.token_hex(32), created_on=today())
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *amparo_urlpatterns]
handler404 = "amparo.core.errors.not_found"
"""

SETUP = """\
from django.test import RequestFactory
from amparo.accounts.models import Organisation, OrganisationType, User
from amparo.core import sealing
from amparo.reports.models import RoutingRule
org = Organisation.objects.create(name="Bench Refuge", org_type=OrganisationType.NGO, country="MEX")
admin = User.objects.create_user("admin@bench.test", "bench-password-2026", organisation=org, role="org_admin", full_name="Bench")
sealing.staff_key_open(user=admin, password="bench-password-2026")
request = RequestFactory().get("/")
request.session = {}
request.user = admin
sealing.organisation_keys_create(request, actor=admin)
RoutingRule.objects.create(organisation=org, country="MEX")
print(org.pk)
"""

REPORT = {
    "what_happened": "Workers at a packing plant sleep on the floor and their papers are kept by the boss",
    "country": "MEX",
    "region_text": "Jalisco",
    "exploitation_type": "factories",
    "indicators": ["documents_taken", "bad_conditions"],
    "danger": "no",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Stack:
    def __init__(self, workers: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="amparo-intake-"))
        self.workers = workers
        self.pg_port, self.redis_port, self.port = free_port(), free_port(), free_port()
        self.server: subprocess.Popen | None = None
        self.redis: subprocess.Popen | None = None
        self.pgdata = self.tmp / "pg"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": f"{self.tmp}:{ROOT}",
            "DJANGO_SETTINGS_MODULE": "report_bench_settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/amparo",
            "DATABASE_CONN_MAX_AGE": "600",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "AMPARO_VAR_DIR": str(self.tmp / "var"),
            "AMPARO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "AMPARO_POW_BITS": "8",
            "AMPARO_POW_MAX_BITS": "8",
            "AMPARO_REPORT_CAP_PER_HOUR": "10000000",
            "AMPARO_REPORT_ORG_CAP_PER_HOUR": "10000000",
            "AMPARO_REPORT_HELD_CAP_PER_HOUR": "10000000",
            "LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        (self.tmp / "report_bench_settings.py").write_text(SETTINGS)
        (self.tmp / "report_bench_urls.py").write_text(URLS)
        self.pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(self.pgdata, "postgres")
        run(as_postgres(["initdb", "-D", str(self.pgdata), "-A", "trust", "-U", "postgres", "--no-sync"]))
        options = f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {self.pgdata}"
        run(
            as_postgres(
                ["pg_ctl", "-D", str(self.pgdata), "-o", options, "-l", str(self.pgdata / "log"), "-w", "start"]
            )
        )
        run(["psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-c", "CREATE DATABASE amparo"])
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        run([PYTHON, "manage.py", "migrate", "--noinput"], env=self.env())
        run([PYTHON, "manage.py", "shell", "-c", SETUP], env=self.env())
        self.serve()

    def serve(self) -> None:
        cmd = [GUNICORN, "amparo.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
        self.server = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), start_new_session=True, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = request(self.port, "GET", "/health/")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not come up")

    def kill_server(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()

    def sql(self, query: str) -> str:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", "amparo", "-tAc", query],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def stop(self) -> None:
        self.kill_server()
        if self.redis:
            self.redis.terminate()
            self.redis.wait()
        subprocess.run(as_postgres(["pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    if own:
        conn.close()
    return response.status, data


def device_keys(opslimit: int, memlimit: int) -> dict:
    """What the app does before sending: draw a secret and derive the receipt's keys (receipts.derive)."""
    import base64

    from amparo.reports import receipts

    secret, salt = receipts.new_secret(), receipts.new_salt()
    keys = receipts.derive(secret, salt, opslimit, memlimit)
    b64 = lambda raw: base64.b64encode(bytes(raw)).decode()  # noqa: E731
    return {
        "salt": b64(salt),
        "verifier": b64(keys.verifier),
        "reporter_public_key": b64(keys.private_key.public_key),
        "opslimit": opslimit,
        "memlimit": memlimit,
    }


def solve(challenge: str) -> str:
    from amparo.reports.abuse import solve as _solve

    return _solve(challenge)


def load(
    port: int, path: str, bodies: list[dict], concurrency: int
) -> tuple[float, list[float], list[int], list[bytes]]:
    """Send every body once at fixed concurrency; return (seconds, latencies, statuses, responses)."""
    latencies: list[float] = []
    statuses: list[int] = []
    responses: list[bytes] = []
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                _index, body = queue.pop()
            started = time.perf_counter()
            try:
                status, data = request(port, "POST", path, body, conn=conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, data = 0, b""
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.append(status)
                responses.append(data)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses, responses


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def throughput(stack: Stack, n: int, concurrency: int, rounds: int = 3) -> None:
    """Intake and floor in alternating rounds (intake, floor, intake, floor...), so both see
    the same machine: on a shared 2-core machine the load of other jobs drifts by the
    minute, and a floor measured a minute after the intake compares two different machines.
    """

    def reports(count: int) -> list[dict]:
        bodies = []
        for _ in range(count):
            status, data = request(stack.port, "POST", "/api/v1/report/challenge/", {})
            issued = json.loads(data)
            challenge = issued["challenge"]
            keys = device_keys(issued["receipt_opslimit"], issued["receipt_memlimit"])
            bodies.append({**REPORT, "pow_challenge": challenge, "pow_nonce": solve(challenge), "receipt_keys": keys})
        return bodies

    load(stack.port, "/api/v1/report/", reports(min(200, n // 5)), concurrency)  # warm-up
    load(stack.port, "/bench/floor/", [dict(REPORT) for _ in range(min(200, n // 5))], concurrency)
    before_signals = int(stack.sql("SELECT count(*) FROM reports_signal"))
    bodies = reports(n)
    per_round = max(1, n // rounds)
    totals = {"intake": [0.0, [], []], "floor": [0.0, [], []]}
    ratios = []
    print(f"{'round':<8}{'intake/s':>10}{'floor/s':>10}{'ratio':>8}")
    for number in range(rounds):
        chunk = bodies[number * per_round : (number + 1) * per_round if number < rounds - 1 else n]
        seconds, latencies, statuses, _ = load(stack.port, "/api/v1/report/", chunk, concurrency)
        floor_seconds, floor_lat, floor_statuses, _ = load(
            stack.port, "/bench/floor/", [dict(REPORT)] * len(chunk), concurrency
        )
        for name, spent, lat, codes in (
            ("intake", seconds, latencies, statuses),
            ("floor", floor_seconds, floor_lat, floor_statuses),
        ):
            totals[name][0] += spent
            totals[name][1].extend(lat)
            totals[name][2].extend(codes)
        ratios.append((len(chunk) / seconds) / (len(chunk) / floor_seconds))
        print(f"{number + 1:<8}{len(chunk) / seconds:>10.1f}{len(chunk) / floor_seconds:>10.1f}{ratios[-1]:>8.0%}")
    stored = int(stack.sql("SELECT count(*) FROM reports_signal")) - before_signals
    held = int(stack.sql("SELECT count(*) FROM reports_signal WHERE held"))
    print(f"{'run':<10}{'requests':>10}{'ok':>8}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name in ("intake", "floor"):
        spent, lat, codes = totals[name]
        print(f"{name:<10}{n:>10}{codes.count(201):>8}{n / spent:>10.1f}{pct(lat, 0.5):>10.1f}{pct(lat, 0.99):>10.1f}")
    rate, floor_rate = n / totals["intake"][0], n / totals["floor"][0]
    print(f"intake / floor: {rate / floor_rate:.0%} overall, {sorted(ratios)[len(ratios) // 2]:.0%} median of rounds")
    acknowledged = totals["intake"][2].count(201)
    print(f"acknowledged: {acknowledged}, stored: {stored}, lost: {acknowledged - stored}, held: {held}")


def drill(stack: Stack, clients: int, per_client: int) -> None:
    acknowledged: dict[str, str] = {}
    retries = [0]
    lock = threading.Lock()
    stop_killing = threading.Event()

    def client() -> None:
        for _ in range(per_client):
            key = secrets.token_urlsafe(16)
            secret = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
            body = {**REPORT, "receipt_secret": secret}
            while True:
                try:
                    status, data = request(stack.port, "POST", "/api/v1/report/", body, {"Idempotency-Key": key})
                except (OSError, http.client.HTTPException):
                    status, data = 0, b""
                if status in (200, 201):
                    with lock:
                        acknowledged[key] = json.loads(data)["public_id"]
                    break
                with lock:
                    retries[0] += 1
                time.sleep(0.05)

    def killer() -> None:
        for _ in range(2):
            time.sleep(1.5)
            stack.kill_server()
            time.sleep(0.5)
            stack.serve()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    chaos = threading.Thread(target=killer)
    for thread in [*threads, chaos]:
        thread.start()
    for thread in [*threads, chaos]:
        thread.join()
    stop_killing.set()
    rows = stack.sql(
        "SELECT r.public_id, count(s.id) FROM reports_receipt r JOIN reports_signal s ON s.receipt_id = r.id GROUP BY r.public_id"
    )
    per_receipt = dict(line.split("|") for line in rows.splitlines() if line)
    keys = int(stack.sql("SELECT count(*) FROM reports_submissionkey"))
    missing = [p for p in acknowledged.values() if p not in per_receipt]
    doubled = [p for p, c in per_receipt.items() if int(c) != 1]
    print(f"clients {clients} x {per_client} reports, server killed (SIGKILL) and restarted twice")
    print(
        f"acknowledged: {len(acknowledged)}, client retries: {retries[0]}, receipts stored: {len(per_receipt)}, idempotency keys stored: {keys}"
    )
    print(
        f"acknowledged but missing: {len(missing)}, stored more than once: {len(doubled)}, stored but never acknowledged: {len(set(per_receipt) - set(acknowledged.values()))}"
    )
    if missing or doubled:
        raise SystemExit("FAILED: not exactly once")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating intake/floor rounds")
    parser.add_argument("--drill", action="store_true")
    args = parser.parse_args()
    stack = Stack(args.workers)
    try:
        stack.start()
        print(
            f"cores: {os.cpu_count()}, gunicorn sync workers: {args.workers}, concurrency: {args.concurrency}, PostgreSQL {stack.sql('SHOW server_version')}"
        )
        if args.drill:
            drill(stack, clients=args.concurrency, per_client=max(1, args.requests // args.concurrency))
        else:
            throughput(stack, args.requests, args.concurrency, args.rounds)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    raise SystemExit(main())
