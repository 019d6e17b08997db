"""`make drills`: fault drills on real processes (issue 10, part 6; decision 0036).

Starts its OWN PostgreSQL 15 cluster (initdb into a temporary directory, run as the `postgres`
user, on a free port) and its OWN Redis (no persistence), never the machine's shared servers,
then the production shape as bench/prod_smoke.py does (production settings, a key file,
gunicorn with two workers, a Celery worker and Celery beat). Under a steady load of anonymous
reports through the public API (each with its proof of work and an Idempotency-Key; a client
whose request fails sends the same report again, as the app and a re-submitting browser do) and
of staff reads of the inbox by a signed-in case worker, it runs four drills:

  a. PostgreSQL restarted (pg_ctl restart -m fast: every connection cut);
  b. Redis stopped for 30 s, then started again (empty: no persistence);
  c. the Celery worker's pool process killed with SIGKILL in the middle of a real task (the
     urgent-report notice for many organisations, each e-mailed through the file backend):
     the task is given back to the queue, runs again, and every organisation is told once;
  d. a gunicorn worker killed with SIGKILL mid-load.

For each: requests, acknowledged reports, reports stored, lost (acknowledged, not stored),
duplicated (stored twice for one report), client errors by status and the recovery time (from
the service being back to the next acknowledged report). "Acknowledged" = the client got a
201/200 with its receipt's public id. Stored reports are counted by receipt in the database;
every report stored without an acknowledgement, and a sample of the acknowledged ones, is
opened by the case worker on the signal page (decrypted with the organisation's key) and its
marker compared with what the client sent. Exits 1 if any acknowledged report is lost or any
report duplicated, or the killed task's effect did not happen exactly once.

Environment: AMPARO_DRILL_SUBMITTERS (3 client threads), AMPARO_DRILL_ORGS (400 organisations
for drill c), AMPARO_DRILL_REDIS_DOWN (30 s), AMPARO_DRILL_KEEP=1 keeps the work directories.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prod_smoke  # noqa: E402 (bench/ on the path first)
from prod_smoke import SETUP, Browser, Smoke, SmokeFailure, check, step  # noqa: E402

PG_BIN = Path(os.environ.get("AMPARO_DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUBMITTERS = int(os.environ.get("AMPARO_DRILL_SUBMITTERS", "3"))
ORGS = int(os.environ.get("AMPARO_DRILL_ORGS", "400"))
REDIS_DOWN = float(os.environ.get("AMPARO_DRILL_REDIS_DOWN", "30"))
KEEP = os.environ.get("AMPARO_DRILL_KEEP") == "1"
STEADY = 5.0  # seconds of steady load before and after each fault
SAMPLE = 5  # acknowledged reports per drill opened by the case worker to compare markers


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]


# --- the private servers ------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of our own: the shared one on 5432 is never touched."""

    def __init__(self) -> None:
        self.port = free_port(55432)
        self.root = Path(tempfile.mkdtemp(prefix="amparo-drill-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        check(done.returncode == 0, f"{' '.join(args[:2])} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, *args
        )

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._ctl("-m", "immediate", "stop")
            except SmokeFailure as failure:
                print(f"(stopping the private PostgreSQL: {failure})", file=sys.stderr)


class PrivateRedis:
    """A Redis of our own, without persistence: the shared one on 6379 is never touched."""

    def __init__(self, work: Path) -> None:
        self.port = free_port(56379)
        self.log = work / "redis.log"
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        handle = self.log.open("a")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise SmokeFailure("the private Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


# --- the load -----------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    code: str  # one letter in the markers of the reports started in this phase
    started: float = 0.0
    back: float | None = None  # when the service was back (or the process killed)
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    staff: Counter = field(default_factory=Counter)
    acks: dict[str, str] = field(default_factory=dict)  # public id -> marker
    replays: list[str] = field(default_factory=list)  # markers acknowledged as "already received"
    ack_times: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def recovery(self) -> float | None:
        if self.back is None:
            return None
        after = [t for t in self.ack_times if t >= self.back]
        return min(after) - self.back if after else None


class Load:
    """Reporters through the public API and one case worker reading the inbox, in threads."""

    def __init__(self, port: int, staff: Browser) -> None:
        self.port = port
        self.staff = staff
        self.lock = threading.Lock()
        self.phases: dict[str, Phase] = {}
        self.phase = self.begin("warm-up", "w")
        self.stop_new = threading.Event()
        self.stop_all = threading.Event()
        self.threads = [threading.Thread(target=self.reporter, daemon=True) for _ in range(SUBMITTERS)]
        self.threads.append(threading.Thread(target=self.form_reporter, daemon=True))
        self.threads.append(threading.Thread(target=self.reader, daemon=True))
        self.unfinished = 0

    def begin(self, name: str, code: str) -> Phase:
        phase = self.phases[name] = Phase(name, code, started=time.monotonic())
        self.phase = phase
        return phase

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self, timeout: float = 90) -> None:
        self.stop_new.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.stop_all.set()
        for thread in self.threads:
            thread.join(5)

    def _call(self, client: Browser, path: str, payload: dict, headers: dict | None = None) -> tuple[str, dict]:
        """One POST; the status as text ("201", or "conn:<error>"), the JSON answer if any."""
        with self.lock:
            self.phase.requests += 1
        try:
            status, _, data = client.request(
                "POST",
                path,
                body=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json", **(headers or {})},
            )
        except (OSError, http.client.HTTPException) as error:
            return f"conn:{type(error).__name__}", {}
        try:
            return str(status), json.loads(data or b"{}")
        except ValueError:
            return str(status), {}

    def reporter(self) -> None:
        client = Browser(self.port)
        while not self.stop_new.is_set():
            phase = self.phase
            marker = f"DRILL-{phase.code}-{uuid.uuid4().hex[:12]}"
            key = uuid.uuid4().hex
            with self.lock:
                self.unfinished += 1
            while not self.stop_all.is_set():
                status, puzzle = self._call(client, "/api/v1/report/challenge/", {})
                if status == "200":
                    challenge = puzzle["challenge"]
                    payload = {
                        "what_happened": f"Workers are held at the packing plant. Marker {marker}.",
                        "country": "MEX",
                        "pow_challenge": challenge,
                        "pow_nonce": prod_smoke.solve(challenge),
                    }
                    status, answer = self._call(client, "/api/v1/report/", payload, {"Idempotency-Key": key})
                    if status in ("200", "201") and answer.get("public_id"):
                        with self.lock:
                            phase.acks[answer["public_id"]] = marker
                            phase.ack_times.append(time.monotonic())
                            self.unfinished -= 1
                        break
                with self.lock:
                    self.phase.errors[status] += 1
                time.sleep(0.5)  # the reporter presses "send" again

    def _page(self, client: Browser, method: str, path: str, fields: dict | None = None) -> tuple[str, bytes]:
        with self.lock:
            self.phase.requests += 1
        try:
            if method == "GET":
                status, _, page = client.get(path)
            else:
                status, _, page = client.post_form(path, fields or {})
        except (OSError, http.client.HTTPException) as error:
            return f"conn:{type(error).__name__}", b""
        return str(status), page

    def form_reporter(self) -> None:
        """A reporter in a browser without the app: the HTML form, its puzzle solved as report.js
        does, the recipients step answered once; after a failure the same form is sent again
        (the same hidden submission_key), or the page loaded again if it did not load."""
        client = Browser(self.port)
        recipients: dict[str, str] = {}
        while not self.stop_new.is_set():
            phase = self.phase
            marker = f"DRILL-{phase.code}-{uuid.uuid4().hex[:12]}"
            fields: dict[str, str] | None = None
            with self.lock:
                self.unfinished += 1
            while not self.stop_all.is_set():
                if fields is None:
                    status, page = self._page(client, "GET", "/report/new/?lang=en")
                    found = dict(re.findall(rb'name="(pow_challenge|submission_key)" value="([^"]+)"', page))
                    if status != "200" or len(found) != 2:
                        with self.lock:
                            self.phase.errors[f"form {status}"] += 1
                        time.sleep(0.5)
                        continue
                    challenge = found[b"pow_challenge"].decode()
                    fields = {
                        "what_happened": f"Workers are held at the packing plant. Marker {marker}.",
                        "country": "MEX",
                        "exploitation_type": "not_sure",
                        "danger": "unsure",
                        "pow_challenge": challenge,
                        "pow_nonce": prod_smoke.solve(challenge),
                        "submission_key": found[b"submission_key"].decode(),
                        "lang": "en",
                        **recipients,
                    }
                status, page = self._page(client, "POST", "/report/new/", fields)
                if status == "200" and b"Your report was received" in page:
                    receipt = re.search(rb'id="receipt"><strong>(.+?)</strong>', page)
                    with self.lock:
                        if receipt:
                            phase.acks[re.sub(rb"<[^>]+>", b"", receipt.group(1))[:8].decode()] = marker
                        else:  # "This report had already been received": a replay of the first
                            phase.replays.append(marker)
                        phase.ack_times.append(time.monotonic())
                        self.unfinished -= 1
                    break
                chosen = re.search(rb'name="recipients_for" value="([^"]*)"', page)
                if status == "200" and chosen and not recipients:  # the recipients step, once
                    organisation = re.search(rb'name="recipients" value="(\d+)"', page)
                    if organisation:
                        recipients = {
                            "recipients_for": chosen.group(1).decode(),
                            "recipients": organisation.group(1).decode(),
                        }
                        fields.update(recipients)
                        continue
                with self.lock:
                    self.phase.errors[f"form {status}"] += 1
                if status == "400":
                    fields = None  # a form the server refused: load a fresh one
                time.sleep(0.5)  # the reporter presses "send" again

    def reader(self) -> None:
        while not self.stop_new.is_set():
            with self.lock:
                self.phase.requests += 1
            try:
                status = str(self.staff.get("/reports/")[0])
            except (OSError, http.client.HTTPException) as error:
                status = f"conn:{type(error).__name__}"
            with self.lock:
                self.phase.staff[status] += 1
            time.sleep(0.3)

    def wait_for_ack_after(self, phase: Phase, since: float, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(t >= since for t in phase.ack_times):
                    return
            time.sleep(0.1)
        phase.notes.append(f"no acknowledged report within {timeout:.0f} s of recovery")


# --- the drills ---------------------------------------------------------------------------------

CREATE_ORGS = """
import datetime, json
from amparo.accounts.models import Organisation, User
from amparo.core.permissions import Role
from amparo.reports.models import Signal
from amparo.reports.tasks import notify_urgent
addresses = []
for i in range({orgs}):
    org = Organisation.objects.create(name=f"Drill Shelter {{i}}", org_type="ngo", country="MEX")
    email = f"triage-{{i}}@drill-orgs.example"
    User.objects.create_user(email, None, full_name=f"Triage {{i}}", organisation=org, role=Role.CASE_WORKER)
    Signal.objects.create(organisation=org, channel="web", country="MEX", urgency="urgent",
                          arrived_on=datetime.date.today(), sealed=b"drill")
    addresses.append(email)
result = notify_urgent.delay()
print("DRILL-TASK " + json.dumps({{"id": result.id, "addresses": addresses}}))
"""


class Drills(Smoke):
    def __init__(self, pg: PrivatePostgres, redis: PrivateRedis) -> None:
        prod_smoke.PG, prod_smoke.REDIS = pg.url, redis.url  # Smoke reads both at call time
        self.pg, self.redis = pg, redis
        super().__init__()
        self.db_name = "amparo_drills"
        self.mail = self.work / "mail"
        self.task: dict[str, object] = {}
        self.task_result: dict[str, int] = {}
        self.env.update(
            {
                "DATABASE_URL": f"{pg.url}/{self.db_name}",
                "REDIS_URL": f"{redis.url}/0",
                "CELERY_BROKER_URL": f"{redis.url}/1",
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.mail),
                "AMPARO_REPORT_CAP_PER_HOUR": "1000000",
                "AMPARO_REPORT_ORG_CAP_PER_HOUR": "1000000",
                "AMPARO_URGENT_NOTIFY_MINUTES": "1440",  # only drill c's task tells anyone
                "AMPARO_CELERY_VISIBILITY_TIMEOUT": "120",
                "LOG_LEVEL": "INFO",
            }
        )

    def sql(self, query: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{self.pg.url}/{self.db_name}", autocommit=True, connect_timeout=10) as connection:
            return list(connection.execute(query).fetchall())

    def prepare(self) -> tuple[Browser, str]:
        step(f"private PostgreSQL on {self.pg.port}, private Redis on {self.redis.port}; work {self.work}")
        self.psql(f'CREATE DATABASE "{self.db_name}"')
        step("migrate, compile_catalogues, collectstatic")
        self.manage("migrate", "--noinput", "-v0")
        self.manage("compile_catalogues")
        self.manage("collectstatic", "--noinput", "-v0")
        step("an organisation with keys receiving reports for Mexico; a case worker with TOTP")
        admin, worker, password = "admin@drill.example", "worker@drill.example", uuid.uuid4().hex
        out = self.manage(
            "shell", stdin=SETUP.format(admin=admin, worker=worker, password=password, name="Drill Admin"), name="setup"
        )
        devices = json.loads(out.split("SMOKE-SETUP ", 1)[1].splitlines()[0])
        step("start gunicorn (2 workers), a Celery worker (1 process) and Celery beat")
        self.start("gunicorn", [str(prod_smoke.BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "amparo.wsgi"])
        self.start_worker()
        schedule = self.work / "var" / "celerybeat-schedule"
        self.start(
            "beat", [str(prod_smoke.BIN / "celery"), "-A", "amparo", "beat", "--loglevel", "INFO", "-s", str(schedule)]
        )
        probe = Browser(self.port)
        self.wait_for("/health/ready", lambda: probe.get("/health/ready")[0] == 200, 90)
        staff = Browser(self.port)
        self.sign_in(staff, worker, password, devices[worker])
        return staff, worker

    def start_worker(self) -> None:
        command = [str(prod_smoke.BIN / "celery"), "-A", "amparo", "worker", "--loglevel", "INFO"]
        self.start("worker", [*command, "--concurrency", "1", "-n", "drill@%h"])

    def children(self, name: str) -> list[int]:
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.processes[name].pid)], capture_output=True, text=True
        )
        return [int(pid) for pid in found.stdout.split()]

    # The four faults: each returns when the service is back (or the process was killed).

    def fault_postgres(self, phase: Phase) -> float:
        started = time.monotonic()
        self.pg.restart()
        phase.notes.append(f"pg_ctl restart -m fast took {time.monotonic() - started:.1f} s")
        return time.monotonic()

    def fault_redis(self, phase: Phase) -> float:
        self.redis.stop()
        time.sleep(REDIS_DOWN)
        self.redis.start()
        phase.notes.append(f"Redis down {REDIS_DOWN:.0f} s (restarted empty)")
        return time.monotonic()

    def fault_celery(self, phase: Phase) -> float:
        self.mail.mkdir(parents=True, exist_ok=True)
        holder: dict[str, object] = {}

        def enqueue() -> None:
            out = self.manage("shell", stdin=CREATE_ORGS.format(orgs=ORGS), name="drill-task")
            holder.update(json.loads(out.split("DRILL-TASK ", 1)[1].splitlines()[0]))

        thread = threading.Thread(target=enqueue)
        thread.start()
        deadline = time.monotonic() + 180
        killed_at = None
        while time.monotonic() < deadline:
            sent = len(list(self.mail.glob("*.log")))
            if sent >= 3:
                pool = self.children("worker")
                check(len(pool) == 1, f"expected one pool process under the worker, found {pool}")
                os.kill(pool[0], signal.SIGKILL)
                killed_at = time.monotonic()
                phase.notes.append(f"pool process killed after {sent} of {ORGS} notices")
                break
            time.sleep(0.01)
        thread.join(120)
        check(killed_at is not None, "the notice task ended before it could be killed mid-way")
        assert killed_at is not None
        phase.notes.append(f"task {holder.get('id')}")
        self.task = holder
        return killed_at

    def fault_gunicorn(self, phase: Phase) -> float:
        workers = self.children("gunicorn")
        check(len(workers) >= 2, f"expected two gunicorn workers, found {workers}")
        victim = random.choice(workers)
        os.kill(victim, signal.SIGKILL)
        phase.notes.append(f"gunicorn worker killed while {len(workers)} served")
        return time.monotonic()

    def check_task_effect(self, phase: Phase) -> bool:
        """Drill c: every organisation told exactly once, and the task ran again after the kill."""
        addresses = list(self.task.get("addresses", []))  # type: ignore[call-overload]
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            left = self.sql("SELECT count(*) FROM reports_signal WHERE receipt_id IS NULL AND NOT urgent_notified")
            if left[0][0] == 0:
                break
            time.sleep(0.5)
        time.sleep(2)  # the last notices are written after their commit
        told: Counter = Counter()
        for path in self.mail.glob("*.log"):
            told.update(re.findall(r"^To: (\S+)$", path.read_text(errors="replace"), re.MULTILINE))
        twice = sum(1 for address in addresses if told[address] > 1)
        never = sum(1 for address in addresses if told[address] == 0)
        log = self.logs["worker"].read_text(errors="replace")
        task_id = str(self.task.get("id"))
        runs = sum(1 for line in log.splitlines() if task_id in line and "received" in line.lower())
        lost_worker = "WorkerLostError" in log or "exited prematurely" in log
        phase.notes.append(
            f"notices: {len(addresses)} organisations, told once {len(addresses) - twice - never}, "
            f"twice {twice}, never {never}; task received {runs}x, worker loss seen: {lost_worker}"
        )
        self.task_result = {"organisations": len(addresses), "twice": twice, "never": never, "received": runs}
        return twice == 0 and never == 0 and runs >= 2

    def run_drills(self) -> int:
        staff, _worker = self.prepare()
        load = Load(self.port, staff)
        load.start()
        time.sleep(STEADY)
        faults = (
            ("a. PostgreSQL restarted", self.fault_postgres),
            ("b. Redis stopped 30 s", self.fault_redis),
            ("c. Celery worker killed -9 mid-task", self.fault_celery),
            ("d. gunicorn worker killed -9", self.fault_gunicorn),
        )
        for name, fault in faults:
            phase = load.begin(name, name[0])
            step(f"drill {name}")
            time.sleep(STEADY)
            phase.back = fault(phase)
            load.wait_for_ack_after(phase, phase.back)
            time.sleep(STEADY)
        load.begin("drain", "z")
        step("stop new reports; wait for every client to get its acknowledgement")
        load.finish()
        task_ok = self.check_task_effect(load.phases["c. Celery worker killed -9 mid-task"])
        return self.report(load, staff, task_ok)

    def report(self, load: Load, staff: Browser, task_ok: bool) -> int:
        rows = self.sql(
            "SELECT r.public_id, count(s.id), min(s.reference) FROM reports_receipt r "
            "LEFT JOIN reports_signal s ON s.receipt_id = r.id GROUP BY r.public_id"
        )
        stored = {public_id: (signals, reference) for public_id, signals, reference in rows}
        acked = {public_id: marker for phase in load.phases.values() for public_id, marker in phase.acks.items()}
        extra = [public_id for public_id in stored if public_id not in acked]
        extra_markers: Counter = Counter()
        for public_id in extra:  # stored without an acknowledgement: open it to see whose it is
            extra_markers[self.marker_of(staff, stored[public_id][1])] += 1
        # A form re-sent after its answer was lost gets "already received" (no receipt shown):
        # its report is among those stored without a known receipt, exactly once.
        replayed = {marker for phase in load.phases.values() for marker in phase.replays}
        problems = 0
        print()
        header = (
            f"{'drill':38} {'requests':>8} {'acked':>6} {'stored':>6} {'lost':>5} {'dup':>4} "
            f"{'recovery':>9}  client errors (reporters; staff)"
        )
        print(header)
        print("-" * len(header))
        results = []
        for phase in load.phases.values():
            stored_here = sum(1 for public_id in phase.acks if public_id in stored)
            stored_here += sum(1 for marker in phase.replays if extra_markers[marker] >= 1)
            lost = len(phase.acks) + len(phase.replays) - stored_here
            duplicated = sum(
                count - (1 if marker in replayed else 0)
                for marker, count in extra_markers.items()
                if marker.startswith(f"DRILL-{phase.code}-")
            )
            duplicated += sum(1 for public_id in phase.acks if stored.get(public_id, (1, ""))[0] != 1)
            sample = random.sample(sorted(phase.acks), min(SAMPLE, len(phase.acks)))
            mismatched = [p for p in sample if p in stored and self.marker_of(staff, stored[p][1]) != phase.acks[p]]
            problems += lost + duplicated + len(mismatched)
            recovery = phase.recovery()
            errors = ", ".join(f"{status}×{count}" for status, count in sorted(phase.errors.items())) or "none"
            staff_errors = ", ".join(f"{s}×{c}" for s, c in sorted(phase.staff.items()) if s != "200") or "none"
            print(
                f"{phase.name:38} {phase.requests:8d} {len(phase.acks) + len(phase.replays):6d} {stored_here:6d} {lost:5d} {duplicated:4d} "
                f"{(f'{recovery:.1f} s' if recovery is not None else '-'):>9}  {errors}; staff {staff_errors}"
            )
            if phase.replays:
                phase.notes.append(f"{len(phase.replays)} form re-sends answered 'already received'")
            for note in phase.notes:
                print(f"{'':40}{note}")
            if sample:
                verdict = f"MISMATCH in {len(mismatched)}" if mismatched else "every marker as sent"
                print(f"{'':40}{len(sample)} acknowledged reports opened by the case worker: {verdict}")
            results.append(
                {
                    "drill": phase.name,
                    "requests": phase.requests,
                    "acknowledged": len(phase.acks) + len(phase.replays),
                    "acknowledged_as_replay": len(phase.replays),
                    "stored": stored_here,
                    "lost": lost,
                    "duplicated": duplicated,
                    "recovery_s": None if recovery is None else round(recovery, 1),
                    "errors": dict(phase.errors),
                    "staff": dict(phase.staff),
                    "markers_checked": len(sample),
                }
            )
        unaccounted = sum(count for marker, count in extra_markers.items() if marker.startswith("unreadable"))
        print(
            f"\nstored without acknowledgement: {len(extra)} (each opened; its marker: "
            f"{dict(extra_markers) or 'none'}); clients unfinished: {load.unfinished}"
        )
        (self.work.parent / "amparo-drills-last.json").write_text(
            json.dumps({"drills": results, "task": self.task_result}, indent=2)
        )
        problems += unaccounted + load.unfinished
        if not task_ok:
            print("DRILL c FAILED: the killed task's effect did not happen exactly once (or it did not run again)")
            problems += 1
        return problems

    def marker_of(self, staff: Browser, reference: str) -> str:
        status, _, page = staff.get(f"/reports/{reference}/")
        found = re.search(rb"DRILL-[a-z]-[0-9a-f]{12}", page)
        return found.group(0).decode() if status == 200 and found else f"unreadable ({status})"

    def cleanup(self) -> None:
        self.stop(strict=False)
        if not KEEP:
            shutil.rmtree(self.work, ignore_errors=True)


def main() -> int:
    pg = PrivatePostgres()
    work = Path(tempfile.mkdtemp(prefix="amparo-drill-"))
    redis = PrivateRedis(work)
    drills: Drills | None = None
    started = time.monotonic()
    try:
        step("initdb and start a private PostgreSQL; start a private Redis")
        pg.init()
        redis.start()
        drills = Drills(pg, redis)
        problems = drills.run_drills()
    except SmokeFailure as failure:
        print(f"\nDRILLS FAILED: {failure}", file=sys.stderr, flush=True)
        if drills is not None:
            for name in drills.logs:
                print(f"--- {name} (last lines)\n{drills.tail(name)}", file=sys.stderr)
        return 1
    finally:
        if drills is not None:
            drills.cleanup()
        redis.stop()
        pg.stop()
        if not KEEP:
            shutil.rmtree(pg.root, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
    load_1, load_5, _ = os.getloadavg()
    step(f"drills done in {time.monotonic() - started:.0f} s; load average {load_1:.1f} (1 min), {load_5:.1f} (5 min)")
    if problems:
        print(f"DRILLS FAILED: {problems} report(s) lost, duplicated, mismatched or unfinished", file=sys.stderr)
        return 1
    print("DRILLS PASSED: every acknowledged report stored exactly once")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    sys.exit(main())
