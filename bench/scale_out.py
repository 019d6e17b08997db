"""Scale-out: two web processes of N workers against one of 2N, with a streaming replica.

    .venv/bin/python bench/scale_out.py [--workers 2] [--reports 300] [--concurrency 8] [--rounds 2]

Set-up, all in a temporary directory and torn down at the end (run as root: PostgreSQL runs
as the `postgres` system user):

- a private PostgreSQL primary (`wal_level=replica`) on a free loopback port, and a hot
  standby made from it with `pg_basebackup -R` on another: a real streaming replica;
- `migrate` and the demo data (seed_demo) on the primary, plus 2,000 referrals' metadata
  for the figures page, and one staff member (case worker, TOTP device, a session made
  here) of the organisation that receives the reports;
- Redis db 6 of the machine's shared Redis as the shared cache (flushed before and after);
- three gunicorn servers started together: A and B with N sync workers each, C with 2N,
  all with DATABASE_URL (primary), DATABASE_REPLICA_URL (replica) and the same cache.

Load: for each configuration in alternating rounds (2×N, 1×2N, 2×N, 1×2N...), the same mix
is sent at fixed concurrency over keep-alive connections: per four requests, two anonymous
report submissions (challenge fetched and solved, receipt keys derived on the "device" before
the clock starts, as bench/report_intake.py does), one staff read of the report inbox and
one of the referral figures page. Against two processes, requests go round-robin, client
side (the n-th request of each client to A or B, alternately), as a proxy with round-robin
balancing would send them; no proxy is in the path.

Printed: reports/s, staff reads/s, p50/p95 of each, errors (any other status than 201 for a
report, 200 for a read), lost (acknowledged reports not in the primary, and not on the
replica once it caught up: 0), and where the reads went: sequential and index scans of the
referral table on the replica and on the primary (figures only on the replica).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report_intake import REPORT, as_postgres, device_keys, free_port, pct, solve  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_URL = os.environ.get("AMPARO_SCALE_REDIS_URL", "redis://127.0.0.1:6379/6")

SETTINGS = """\
from amparo.settings import *  # noqa: F403
# The receipt's keys are derived on the reporter's device before sending (not measured).
AMPARO_RECEIPT_OPSLIMIT = 1
AMPARO_RECEIPT_MEMLIMIT = 8 * 1024 * 1024
"""

SETUP = """\
import copy, datetime, json, random
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from amparo.accounts.models import Organisation, User
from amparo.core import sealing
from amparo.referrals.models import Referral
org = Organisation.objects.get(name="Fundación Amanecer (demo)")
user = User.objects.create_user("reader@bench.test", "bench-password-2026", organisation=org, role="case_worker", full_name="Bench Reader")
sealing.staff_key_open(user=user, password="bench-password-2026")
device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
template = Referral.objects.order_by("pk").first()
assert template is not None, "seed_demo made no referral"
now, rows = timezone.now(), []
rng = random.Random(7)
for i in range(2000):
    r = copy.copy(template)
    r.pk = r.id = None
    r.sent_at = now - datetime.timedelta(hours=rng.randint(1, 24 * 80))
    r.due_at = r.sent_at + datetime.timedelta(days=2)
    r.status = rng.choice(["sent", "accepted", "declined", "in_progress", "done"])
    r.decided_at = None if r.status == "sent" else r.sent_at + datetime.timedelta(hours=rng.randint(1, 72))
    r.decline_reason = "no_capacity" if r.status == "declined" else ""
    r.outcome = "provided" if r.status == "done" else ""
    rows.append(r)
Referral.objects.bulk_create(rows)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "amparo.accounts.backends.StaffBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.create()
print("BENCH-SESSION " + session.session_key)
"""


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def pg(name: str) -> str:
    found = PG_BIN / name
    return str(found) if found.exists() else name


class Cluster:
    """A private PostgreSQL server in `data`, run as the postgres user."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port

    def start(self, *options: str) -> None:
        opts = " ".join([f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.data}", *options])
        run(as_postgres([pg("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.data / "log"), "-w", "start"]))

    def stop(self) -> None:
        subprocess.run(
            as_postgres([pg("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]), capture_output=True
        )

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/amparo"

    def sql(self, query: str, db: str = "amparo") -> str:
        out = run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-tAc", query])
        return out.strip()


class Stack:
    def __init__(self, workers: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="amparo-scale-"))
        self.workers = workers
        self.primary = Cluster(self.tmp / "primary", free_port())
        self.replica = Cluster(self.tmp / "replica", free_port())
        self.servers: dict[str, tuple[subprocess.Popen, int]] = {}
        self.session = ""

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "CELERY_", "REDIS_", "DATABASE_"))}
        return {
            **keep,
            "PYTHONPATH": f"{self.tmp}:{ROOT}",
            "DJANGO_SETTINGS_MODULE": "scale_bench_settings",
            "DATABASE_URL": self.primary.url(),
            "DATABASE_REPLICA_URL": self.replica.url(),
            "DATABASE_CONN_MAX_AGE": "600",
            "REDIS_URL": REDIS_URL,
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
            # Staff keys are wrapped at the lowest Argon2id cost: set-up only, not measured.
            "AMPARO_KDF_OPSLIMIT": "1",
            "AMPARO_KDF_MEMLIMIT": str(8 * 1024 * 1024),
        }

    def start(self) -> None:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        (self.tmp / "scale_bench_settings.py").write_text(SETTINGS)
        self.primary.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(self.primary.data, "postgres")
        run(as_postgres([pg("initdb"), "-D", str(self.primary.data), "-A", "trust", "-U", "postgres", "--no-sync"]))
        self.primary.start("-c wal_level=replica", "-c max_wal_senders=4", "-c track_counts=on")
        run(
            as_postgres(
                [
                    pg("pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(self.replica.data),
                    "-R",
                    "-X",
                    "stream",
                ]
            ),
            cwd=self.tmp,
        )
        self.replica.start("-c hot_standby=on")
        if self.replica.sql("SELECT pg_is_in_recovery()", db="postgres") != "t":
            raise SystemExit("the replica is not a standby")
        # Everything from here on reaches the replica by streaming, the database itself too.
        self.primary.sql("CREATE DATABASE amparo", db="postgres")
        env = self.env()
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env)
        run([PYTHON, "manage.py", "seed_demo"], env={**env, "AMPARO_DEBUG": "1"})
        out = run([PYTHON, "manage.py", "shell", "-c", SETUP], env=env)
        self.session = out.split("BENCH-SESSION ", 1)[1].split()[0]
        for name, workers in (("A", self.workers), ("B", self.workers), ("C", 2 * self.workers)):
            port = free_port()
            cmd = [GUNICORN, "amparo.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
            log = (self.tmp / f"gunicorn-{name}.log").open("w")
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
            self.servers[name] = (process, port)
        for name, (process, port) in self.servers.items():
            wait_up(process, port, self.tmp / f"gunicorn-{name}.log")

    def port(self, name: str) -> int:
        return self.servers[name][1]

    def stop(self) -> None:
        for process, _port in self.servers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _port in self.servers.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.replica.stop()
        self.primary.stop()
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def wait_up(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/ready")
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status == 200:
                if body["checks"].get("replica") != "ok":
                    raise SystemExit(f"readiness does not see the replica: {body}")
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def prepare_reports(port: int, count: int) -> list[dict]:
    """What a phone does before sending: fetch and solve a challenge, derive the receipt keys."""
    bodies = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/v1/report/challenge/", body=b"{}", headers={"Content-Type": "application/json"})
        issued = json.loads(conn.getresponse().read())
        conn.close()
        keys = device_keys(issued["receipt_opslimit"], issued["receipt_memlimit"])
        challenge = issued["challenge"]
        bodies.append({**REPORT, "pow_challenge": challenge, "pow_nonce": solve(challenge), "receipt_keys": keys})
    return bodies


class Result:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"report": [], "staff": []}
        self.errors: dict[str, int] = {"report": 0, "staff": 0}
        self.acknowledged: list[str] = []  # public ids of the reports answered 201
        self.seconds = 0.0


def drive(ports: list[int], reports: list[dict], session: str, concurrency: int, staff_share: float = 0.5) -> Result:
    """The mix (report, inbox, report, figures, ...) at fixed concurrency, round-robin over `ports`.
    `staff_share` 0: reports only; 1: one staff read (inbox, figures, ...) per entry of `reports`."""
    jobs: list[tuple[str, object]] = []
    for index, body in enumerate(reports):
        if staff_share < 1:
            jobs.append(("report", body))
        if staff_share == 1 or (staff_share > 0 and index % 2 == 1):
            inbox = index % 2 == 0 if staff_share == 1 else index % 4 == 1
            jobs.append(("staff", "/reports/" if inbox else "/referrals/figures/?period=90"))
    jobs.reverse()
    result = Result()
    cookie = {"Cookie": f"sessionid={session}"}

    def client() -> None:
        conns = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for port in ports}
        turn = 0
        while True:
            with result.lock:
                if not jobs:
                    break
                kind, what = jobs.pop()
            port = ports[turn % len(ports)]
            turn += 1
            conn = conns[port]
            started = time.perf_counter()
            try:
                if kind == "report":
                    payload = json.dumps(what).encode()
                    conn.request("POST", "/api/v1/report/", body=payload, headers={"Content-Type": "application/json"})
                else:
                    conn.request("GET", str(what), headers=cookie)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            elapsed = time.perf_counter() - started
            ok = status == (201 if kind == "report" else 200)
            with result.lock:
                result.latency[kind].append(elapsed)
                if not ok:
                    result.errors[kind] += 1
                elif kind == "report":
                    result.acknowledged.append(json.loads(data)["public_id"])
        for conn in conns.values():
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def referral_scans(cluster: Cluster) -> int:
    return int(
        cluster.sql(
            "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE relname = 'referrals_referral'"
        )
        or 0
    )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(v) for v in fields[11:15]) / CLOCK_TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process `root` and every process below it."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found:
                table[int(entry.name)] = found
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(child for child, (parent, _cpu) in table.items() if parent == pid)
    return total


def postmaster(cluster: Cluster) -> int:
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def cost(stack: Stack, kind: str, count: int, concurrency: int) -> dict[str, float]:
    """CPU milliseconds per request of one kind, on the 1x2N server, by tier: the web
    processes, the primary and the replica. CPU time, unlike wall time, does not depend on
    what else the shared machine runs (Redis and the load generator are not counted)."""
    port = stack.port("C")
    reports = prepare_reports(port, count) if kind == "report" else []
    pids = {
        "web": stack.servers["C"][0].pid,
        "primary": postmaster(stack.primary),
        "replica": postmaster(stack.replica),
    }
    before = {tier: tree_cpu(pid) for tier, pid in pids.items()}
    if kind == "report":
        result = drive([port], reports, stack.session, concurrency, staff_share=0)
    else:
        result = drive([port], [{}] * count, stack.session, concurrency, staff_share=1)
    done = len(result.latency[kind])
    spent = {tier: (tree_cpu(pid) - before[tier]) * 1000 / max(done, 1) for tier, pid in pids.items()}
    errors = result.errors[kind]
    print(
        f"{kind:<8}{done:>6}{errors:>7}{spent['web']:>9.1f}{spent['primary']:>10.1f}{spent['replica']:>10.1f}"
        f"{sum(spent.values()):>9.1f}{1000 / max(sum(spent.values()), 0.001):>11.1f}",
        flush=True,
    )
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="N: sync workers per process of the pair")
    parser.add_argument("--reports", type=int, default=300, help="reports per round (plus half as many reads)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="rounds per configuration, alternating")
    parser.add_argument("--cost", type=int, default=200, help="requests per kind for the CPU cost (0: skip)")
    args = parser.parse_args()
    stack = Stack(args.workers)
    try:
        started = time.monotonic()
        stack.start()
        print(
            f"cores: {os.cpu_count()}; PostgreSQL {stack.primary.sql('SHOW server_version')} primary + streaming "
            f"replica; set-up {time.monotonic() - started:.0f} s",
            flush=True,
        )
        configurations = {
            f"2x{args.workers}": [stack.port("A"), stack.port("B")],
            f"1x{2 * args.workers}": [stack.port("C")],
        }
        primary_scans_before, replica_scans_before = referral_scans(stack.primary), referral_scans(stack.replica)
        size_query = (
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE 'reports\\_%'"
        )
        reports_bytes_before = int(stack.primary.sql(size_query) or 0)
        totals = {name: Result() for name in configurations}
        figures_reads = 0
        print(f"{'round':<7}{'shape':<7}{'reports/s':>10}{'staff/s':>9}{'errors':>8}{'load':>7}", flush=True)
        for number in range(args.rounds):
            for name, ports in configurations.items():
                bodies = prepare_reports(ports[0], args.reports)
                result = drive(ports, bodies, stack.session, args.concurrency)
                total = totals[name]
                for kind in ("report", "staff"):
                    total.latency[kind] += result.latency[kind]
                    total.errors[kind] += result.errors[kind]
                total.acknowledged += result.acknowledged
                total.seconds += result.seconds
                figures_reads += len(result.latency["staff"]) // 2
                print(
                    f"{number + 1:<7}{name:<7}{len(result.latency['report']) / result.seconds:>10.1f}"
                    f"{len(result.latency['staff']) / result.seconds:>9.1f}"
                    f"{result.errors['report'] + result.errors['staff']:>8}{os.getloadavg()[0]:>7.1f}",
                    flush=True,
                )
        ids = [public_id for t in totals.values() for public_id in t.acknowledged]
        acknowledged = len(ids)
        listed = ",".join(f"'{public_id}'" for public_id in ids if public_id.isalnum()) or "''"
        query = f"SELECT count(*) FROM reports_receipt WHERE public_id IN ({listed})"  # noqa: S608 (ids checked alphanumeric)
        stored = int(stack.primary.sql(query))
        # The replica catches up: it must hold every acknowledged report too.
        deadline, on_replica = time.monotonic() + 30, -1
        while time.monotonic() < deadline:
            on_replica = int(stack.replica.sql(query))
            if on_replica == stored:
                break
            time.sleep(0.2)
        lag = stack.primary.sql("SELECT coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication")
        print()
        print(
            f"{'shape':<7}{'reports/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'staff/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
            f"{'errors':>8}{'acked':>7}"
        )
        rates = {}
        for name, total in totals.items():
            report_rate = len(total.latency["report"]) / total.seconds
            staff_rate = len(total.latency["staff"]) / total.seconds
            rates[name] = report_rate
            print(
                f"{name:<7}{report_rate:>10.1f}{pct(total.latency['report'], 0.5):>8.0f}"
                f"{pct(total.latency['report'], 0.95):>8.0f}{staff_rate:>9.1f}"
                f"{pct(total.latency['staff'], 0.5):>8.0f}{pct(total.latency['staff'], 0.95):>8.0f}"
                f"{total.errors['report'] + total.errors['staff']:>8}{len(total.acknowledged):>7}"
            )
        two, one = rates[f"2x{args.workers}"], rates[f"1x{2 * args.workers}"]
        print(f"2x{args.workers} / 1x{2 * args.workers} reports/s: {two / one:.0%}")
        print(f"acknowledged: {acknowledged}, stored on the primary: {stored}, lost: {acknowledged - stored}")
        print(f"on the replica after catching up: {on_replica}, replay lag at the end: {float(lag):.3f} s")
        stack.primary.sql("VACUUM ANALYZE")
        grown = int(stack.primary.sql(size_query) or 0) - reports_bytes_before
        print(f"reporter tables grew by {grown / 1024:.0f} KiB: {grown / max(acknowledged, 1):.0f} bytes per report")
        replica_scans = referral_scans(stack.replica) - replica_scans_before
        primary_scans = referral_scans(stack.primary) - primary_scans_before
        print(
            f"figures pages read: {figures_reads}; referral-table scans on the replica: {replica_scans}, "
            f"on the primary: {primary_scans}"
        )
        if args.cost:
            print()
            print("CPU per request on the 1x2N server (ms), and requests per second one core sustains:")
            print(
                f"{'kind':<8}{'n':>6}{'errors':>7}{'web':>9}{'primary':>10}{'replica':>10}{'total':>9}{'per core/s':>11}"
            )
            cost(stack, "report", args.cost, args.concurrency)
            cost(stack, "staff", args.cost, args.concurrency)
        if acknowledged != stored or on_replica != stored:
            print("FAILED: acknowledged reports missing", file=sys.stderr)
            return 1
        if replica_scans < figures_reads:
            print("FAILED: the figures did not read the replica", file=sys.stderr)
            return 1
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    raise SystemExit(main())
