"""`make prod-smoke`: the production shape, started from this checkout, walked end to end.

With production settings (AMPARO_ENV=production, a fresh key file and SECRET_KEY, a fresh
PostgreSQL database created here and dropped at the end, Redis databases 8 (cache) and 9
(broker)), it runs migrate and collectstatic, starts gunicorn (deploy/gunicorn.conf.py, two
workers), a Celery worker and Celery beat on loopback as real processes, then:

1. /health/live and /health/ready answer 200 with every check ok;
2. a report is submitted through the public API (with the proof-of-work puzzle) and read
   back with its receipt; the requests carry a marker user agent and forwarded address;
3. a background task runs through the worker (its result names another process, and the
   audit chain is verified there);
4. a staff member created here signs in with password and TOTP code, finds the report in
   the inbox, triages it and opens it (its words decrypted with the organisation's key);
5. /metrics counts those requests by route name; `check --deploy` passes;
6. every process is stopped with SIGTERM and must exit by itself;
7. no log line of any process (app, gunicorn access log, worker, beat) carries the marker
   address, user agent, the report's words or the receipt.

Any failed step ends the run with a non-zero status and says which. Environment overrides:
AMPARO_SMOKE_PG (default postgres://postgres@127.0.0.1:5432), AMPARO_SMOKE_REDIS
(redis://127.0.0.1:6379), AMPARO_SMOKE_KEEP=1 keeps the work directory.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
PG = os.environ.get("AMPARO_SMOKE_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("AMPARO_SMOKE_REDIS", "redis://127.0.0.1:6379").rstrip("/")

# Markers that must reach no log line.
MARK_UA = "SmokeMarkerBrowser/9.9 (Linux; rare-device-7731)"
MARK_ADDRESS = "198.51.100.173"
MARK_WORDS = "Marisol Quintanilla is held at the Ensenada cannery on Calle Azucena 414"
STAFF_NAME = "Smoke Admin Ximena"
STARTED = time.monotonic()


class SmokeFailure(Exception):
    pass


def step(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """HTTP to gunicorn as the reverse proxy would forward it (X-Forwarded-Proto: https),
    keeping cookies by hand: the production cookies are Secure and a cookie jar would not
    send them over the loopback's plain HTTP."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": MARK_UA,
            "X-Forwarded-For": MARK_ADDRESS,
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        origin = f"https://127.0.0.1:{self.port}"
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            },
        )

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        status, _, data = self.request(
            "POST", path, body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        return status, json.loads(data or b"{}")


def csrf_token(page: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    check(found is not None, "no CSRF token on the page")
    assert found is not None
    return found.group(1).decode()


def solve(challenge: str) -> str:
    """The reporter's puzzle, as the browser's report.js solves it (amparo.reports.abuse)."""
    import hashlib

    bits, nonce = int(challenge.split(":", 1)[0]), 0
    while True:
        digest = int.from_bytes(hashlib.sha256(f"{challenge}{nonce}".encode()).digest(), "big")
        if digest >> (256 - bits) == 0:
            return str(nonce)
        nonce += 1


def totp_code(hex_key: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(hex_key)).token():06d}"


SETUP = """
import json
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice
from amparo.accounts.models import Organisation, User
from amparo.core import sealing
from amparo.core.permissions import Role
from amparo.reports.models import RoutingRule

org = Organisation.objects.create(name="Smoke Refuge", org_type="ngo", country="MEX")
admin = User.objects.create_user("{admin}", "{password}", full_name="{name}", organisation=org, role=Role.ORG_ADMIN)
worker = User.objects.create_user("{worker}", "{password}", full_name="Smoke Worker", organisation=org, role=Role.CASE_WORKER)
devices = {{u.email: TOTPDevice.objects.create(user=u, name="smoke", confirmed=True).key for u in (admin, worker)}}
for user in (admin, worker):
    sealing.staff_key_open(user=user, password="{password}")
request = RequestFactory().get("/")
request.session = {{}}
request.user = admin
sealing.organisation_keys_create(request, actor=admin)
request.COOKIES[sealing.UNLOCK_COOKIE] = sealing._b64(request._amparo_unlock_key)
sealing.grants_issue(request, actor=admin, users=[worker])
RoutingRule.objects.create(organisation=org, country="MEX")
print("SMOKE-SETUP " + json.dumps(devices))
"""


class Smoke:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="amparo-smoke-"))
        self.db_name = f"amparo_smoke_{os.getpid()}_{int(time.time())}"
        self.db_created = False
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.port = free_port()
        self.metrics_token = secrets.token_urlsafe(24)
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        key_file = self.work / "keys.json"
        subprocess.run(
            [
                PY,
                "-c",
                "import sys, pathlib; from amparo.core.vault import Keyring, write_key_file; "
                "write_key_file(pathlib.Path(sys.argv[1]), Keyring.generate())",
                str(key_file),
            ],
            cwd=ROOT,
            check=True,
            env={**os.environ, "AMPARO_VAR_DIR": str(self.work / "var")},
        )
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "CELERY_", "REDIS_", "DATABASE_"))}
        return {
            **keep,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "amparo.settings",
            "AMPARO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "AMPARO_BEHIND_PROXY": "true",
            "AMPARO_KEY_FILE": str(key_file),
            "AMPARO_VAR_DIR": str(self.work / "var"),
            "STATIC_ROOT": str(self.work / "static"),
            "MEDIA_ROOT": str(self.work / "var" / "media"),
            "DATABASE_URL": f"{PG}/{self.db_name}",
            "REDIS_URL": f"{REDIS}/8",
            "CELERY_BROKER_URL": f"{REDIS}/9",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "smtp.invalid",
            "AMPARO_METRICS_TOKEN": self.metrics_token,
            "PROMETHEUS_MULTIPROC_DIR": str(self.work / "metrics"),
            "AMPARO_ACCESS_LOG": str(self.work / "gunicorn-access.log"),
            "AMPARO_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            "AMPARO_POW_BITS": "10",
            "AMPARO_KDF_OPSLIMIT": "1",
            "AMPARO_KDF_MEMLIMIT": str(8 * 1024 * 1024),
            "LOG_LEVEL": "DEBUG",
        }

    # --- helpers ---------------------------------------------------------------------

    def manage(self, *args: str, stdin: str | None = None, name: str = "manage") -> str:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )
        log = self.work / f"{name}.log"
        with log.open("a") as handle:
            handle.write(done.stdout + done.stderr)
        self.logs[name] = log
        check(done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
        return done.stdout

    def psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
            connection.execute(sql)

    def start(self, name: str, command: list[str]) -> None:
        log = self.work / f"{name}.log"
        self.logs[name] = log
        handle = log.open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_for(self, what: str, probe, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise SmokeFailure(
                        f"{name} exited ({process.returncode}) while waiting for {what}:\n{self.tail(name)}"
                    )
            try:
                if probe():
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SmokeFailure(f"timed out waiting for {what}")

    def tail(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")[-3000:] if name in self.logs else ""

    # --- the walk ----------------------------------------------------------------------

    def run(self) -> None:
        step(f"work directory {self.work}; database {self.db_name}; gunicorn on 127.0.0.1:{self.port}")
        import redis

        for db in (8, 9):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
        self.psql(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True

        step("migrate, compile_catalogues, collectstatic")
        self.manage("migrate", "--noinput", "-v0")
        self.manage("compile_catalogues")
        self.manage("collectstatic", "--noinput", "-v0")
        check(any((self.work / "static").rglob("*.css")), "collectstatic wrote no CSS")

        step("a staff organisation with keys, two accounts with TOTP devices, a routing rule")
        admin, worker, password = "admin@smoke.example", "worker@smoke.example", secrets.token_urlsafe(18)
        out = self.manage(
            "shell",
            stdin=SETUP.format(admin=admin, worker=worker, password=password, name=STAFF_NAME),
            name="setup",
        )
        devices = json.loads(out.split("SMOKE-SETUP ", 1)[1].splitlines()[0])

        step("start gunicorn (2 workers), a Celery worker and Celery beat")
        self.start("gunicorn", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "amparo.wsgi"])
        self.start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "amparo",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "-n",
                "smoke@%h",
            ],
        )
        schedule = self.work / "var" / "celerybeat-schedule"
        self.start(
            "beat", [str(BIN / "celery"), "-A", "amparo", "beat", "--loglevel", "INFO", "--schedule", str(schedule)]
        )
        web = Browser(self.port)
        self.wait_for("/health/live", lambda: web.get("/health/live")[0] == 200)
        status, _, body = web.get("/health/ready")
        check(status == 200, f"/health/ready answered {status}: {body!r}")
        ready = json.loads(body)
        check(set(ready["checks"].values()) == {"ok"}, f"readiness: {ready}")
        step(f"ready: {ready['checks']}")
        for path, expected in (("/health/live", 200), ("/accounts/login/", 301)):
            plain = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            plain.request("GET", path, headers={"Host": "127.0.0.1"})  # no X-Forwarded-Proto: a probe
            answer = plain.getresponse()
            answer.read()
            plain.close()
            check(answer.status == expected, f"{path} over plain HTTP answered {answer.status}, not {expected}")
        self.wait_for("celery beat to start", lambda: "beat: Starting" in self.logs["beat"].read_text(), 60)

        step("submit a report through the public API, with the proof of work")
        reporter = Browser(self.port)
        status, challenge = reporter.post_json("/api/v1/report/challenge/", {})
        check(status == 200, f"challenge: {status} {challenge}")
        puzzle = challenge["challenge"]
        status, submitted = reporter.post_json(
            "/api/v1/report/",
            {
                "what_happened": MARK_WORDS,
                "country": "MEX",
                "pow_challenge": puzzle,
                "pow_nonce": solve(puzzle),
            },
        )
        check(status == 201, f"report submission answered {status}: {submitted}")
        receipt = submitted["receipt"]
        check(submitted["held"] is False, "the report was held although the puzzle was solved")

        step("follow up with the receipt")
        status, thread = reporter.post_json("/api/v1/report/follow-up/", {"receipt": receipt})
        if status == 428:
            puzzle = thread["challenge"]
            status, thread = reporter.post_json(
                "/api/v1/report/follow-up/", {"receipt": receipt, "pow_challenge": puzzle, "pow_nonce": solve(puzzle)}
            )
        check(status == 200, f"follow-up with the receipt answered {status}: {thread}")

        step("a background task through the worker")
        out = self.manage(
            "shell",
            "-c",
            "import json, os; from amparo.core.tasks import health_check, verify_audit_task; "
            "r = health_check.delay().get(timeout=60); a = verify_audit_task.delay().get(timeout=60); "
            "print('SMOKE-TASK ' + json.dumps({'here': os.getpid(), 'there': r['pid'], 'vault': r['vault_ok'], 'audit': a}))",
            name="task-client",
        )
        task = json.loads(out.split("SMOKE-TASK ", 1)[1].splitlines()[0])
        check(task["there"] != task["here"] and task["vault"] is True, f"the task did not run in the worker: {task}")
        check(task["audit"] == [], f"the audit chain is not clean: {task['audit']}")
        check("succeeded" in self.logs["worker"].read_text(), "the worker logged no succeeded task")

        step("staff sign-in with password and TOTP")
        staff = Browser(self.port)
        self.sign_in(staff, worker, password, devices[worker])

        step("the inbox lists the report; triage it; open it")
        status, _, inbox = staff.get("/reports/")
        check(status == 200, f"inbox answered {status}")
        references = re.findall(rb'href="/reports/(S-[A-Z0-9]+)/"', inbox)
        check(len(references) == 1, f"expected one signal in the inbox, found {references}")
        reference = references[0].decode()
        detail = f"/reports/{reference}/"
        status, _, page = staff.get(detail)
        check(status == 200, f"signal page answered {status}")
        check(MARK_WORDS.encode() in page, "the report's words were not decrypted on the signal page")
        status, headers, _ = staff.post_form(
            detail,
            {"csrfmiddlewaretoken": csrf_token(page), "action": "triage", "status": "in_review", "urgency": "high"},
        )
        check(status == 302, f"triage answered {status}")
        out = self.manage(
            "shell",
            "-c",
            f"from amparo.reports.models import Signal; s = Signal.objects.get(reference='{reference}'); "
            "print('SMOKE-SIGNAL', s.status, s.urgency)",
            name="signal-check",
        )
        check("SMOKE-SIGNAL in_review high" in out, f"the triage was not stored: {out[-300:]}")

        step("metrics by route name; check --deploy")
        status, _, metrics = web.request("GET", "/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        check(status == 200, f"/metrics answered {status}")
        text = metrics.decode()
        for route in ("api:report_submit", "reports:signal_list", "reports:signal_detail", "accounts:login"):
            check(f'route="{route}"' in text, f"/metrics has no count for {route}")
        check(reference not in text and receipt not in text, "/metrics carries an identifier")
        check("amparo_celery_queue_length" in text and "amparo_celery_broker_up 1.0" in text, "no queue metrics")
        check(web.get("/metrics")[0] == 401, "/metrics opened without the token")
        self.manage("check", "--deploy", "--fail-level", "WARNING", name="check-deploy")

        step("stop every process with SIGTERM")
        self.stop(strict=True)
        check(
            schedule.exists() or any(schedule.parent.glob("celerybeat-schedule*")), "celery beat wrote no schedule file"
        )

        step("scan every log for the markers")
        self.scan_logs([MARK_UA, MARK_ADDRESS, MARK_WORDS, "Marisol", "Calle Azucena", receipt, password])
        access = (self.work / "gunicorn-access.log").read_text()
        check(access.count("\n") >= 10, "gunicorn wrote no access log lines to scan")
        check("/" not in access, "the access log carries a path")
        app_lines = [line for line in self.logs["gunicorn"].read_text().splitlines() if line.startswith("{")]
        check(app_lines and all(json.loads(line)["level"] for line in app_lines), "the app log is not JSON")

    def sign_in(self, client: Browser, email: str, password: str, device_key: str) -> None:
        status, _, page = client.get("/accounts/login/")
        check(status == 200, f"sign-in page answered {status}")
        status, headers, body = client.post_form(
            "/accounts/login/", {"csrfmiddlewaretoken": csrf_token(page), "username": email, "password": password}
        )
        check(status == 302, f"password step answered {status}: {body[:500]!r}")
        status, _, page = client.get("/accounts/two-factor/verify/")
        check(status == 200, f"two-factor page answered {status}")
        status, _, body = client.post_form(
            "/accounts/two-factor/verify/", {"csrfmiddlewaretoken": csrf_token(page), "token": totp_code(device_key)}
        )
        check(status == 302, f"two-factor step answered {status}: {body[:500]!r}")
        status, _, _ = client.get("/")
        check(status == 200, f"the staff home answered {status} after sign-in")

    def scan_logs(self, markers: list[str]) -> None:
        found = []
        files = [*self.logs.values(), self.work / "gunicorn-access.log"]
        for path in files:
            text = path.read_text(errors="replace") if path.exists() else ""
            for marker in markers:
                if marker and marker in text:
                    line = next(line for line in text.splitlines() if marker in line)
                    found.append(f"{path.name}: {line[:200]}")
        check(not found, "markers in the logs:\n" + "\n".join(found))
        step(f"scanned {len(files)} logs ({sum(p.stat().st_size for p in files if p.exists())} bytes): clean")

    def stop(self, strict: bool) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        problems = []
        for name, process in self.processes.items():
            try:
                code = process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                problems.append(f"{name} did not stop within 45 s of SIGTERM")
                continue
            if code not in (0, -signal.SIGTERM):
                problems.append(f"{name} exited with {code}:\n{self.tail(name)}")
        self.processes = {}
        if strict:
            check(not problems, "; ".join(problems))

    def cleanup(self) -> None:
        self.stop(strict=False)
        if self.db_created:
            self.psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        if os.environ.get("AMPARO_SMOKE_KEEP") != "1":
            shutil.rmtree(self.work, ignore_errors=True)


def main() -> int:
    smoke = Smoke()
    try:
        smoke.run()
    except SmokeFailure as failure:
        print(f"\nPROD-SMOKE FAILED: {failure}", file=sys.stderr, flush=True)
        for name in smoke.logs:
            print(f"--- {name} (last lines)\n{smoke.tail(name)}", file=sys.stderr)
        return 1
    finally:
        smoke.cleanup()
    step("PROD-SMOKE PASSED")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    sys.exit(main())
