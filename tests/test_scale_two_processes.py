"""Two real web processes hold the abuse rules as one (issue 10, part 3; decision 0037).

Two gunicorn processes on loopback serve the test database (on SQLite the same file, on
PostgreSQL the same `test_…` database) with Redis db 5 as their shared cache, as two web
servers behind a proxy would. A proof-of-work challenge issued by one is accepted by the
other once and then never again, and the hourly cap counts the submissions both took.
With a per-process memory cache neither would hold: `check --deploy` refuses production
without REDIS_URL (amparo.core.checks, tests/test_deploy_checks.py).

Redis: AMPARO_TEST_SCALE_REDIS_URL (default redis://127.0.0.1:6379/5), flushed before and after.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from amparo.reports import abuse
from amparo.reports.models import RoutingRule, Signal
from tests.sealing_helpers import org_with_keys

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
REDIS_URL = os.environ.get("AMPARO_TEST_SCALE_REDIS_URL", "redis://127.0.0.1:6379/5")
CAP = 4

SETTINGS = """\
from amparo.settings import *  # noqa: F403
AMPARO_RECEIPT_OPSLIMIT = 1
AMPARO_RECEIPT_MEMLIMIT = 8192
"""

REPORT = {"what_happened": "Men sleep in containers at the Veracruz port yard", "country": "MEX"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    data = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{data['NAME']}"
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    return f"postgres://{data['USER']}{password}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


def post(port: int, path: str, body: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


class Web:
    """One gunicorn process (one worker) of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [GUNICORN, "amparo.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health/live")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")

    def challenge(self) -> str:
        status, body = post(self.port, "/api/v1/report/challenge/", {})
        assert status == 200, body
        return body["challenge"]

    def submit(self, challenge: str, nonce: str) -> tuple[int, dict]:
        return post(self.port, "/api/v1/report/", {**REPORT, "pow_challenge": challenge, "pow_nonce": nonce})

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # db 5 belongs to this test
    yield REDIS_URL
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_a_challenge_used_at_one_process_is_refused_at_the_other_and_the_cap_counts_both(
    staff_a, org_a, shared_redis, tmp_path
):
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    (tmp_path / "scale_two_settings.py").write_text(SETTINGS)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "CELERY_", "REDIS_", "DATABASE_"))}
    env = {
        **keep,
        "PYTHONPATH": f"{tmp_path}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "scale_two_settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": shared_redis,
        "AMPARO_KEY_FILE": str(settings.AMPARO_KEY_FILE),
        "AMPARO_CREATE_KEY_FILE": "0",
        "AMPARO_VAR_DIR": str(tmp_path / "var"),
        "AMPARO_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "AMPARO_POW_BITS": "6",
        "AMPARO_POW_MAX_BITS": "8",
        "AMPARO_REPORT_CAP_PER_HOUR": str(CAP),
        "LOG_LEVEL": "WARNING",
    }
    assert Path(env["AMPARO_KEY_FILE"]).exists(), "the test key file is missing"
    one, two = Web(env, tmp_path / "one.log"), Web(env, tmp_path / "two.log")
    try:
        deadline = time.monotonic() + 45
        one.wait_ready(deadline)
        two.wait_ready(deadline)

        # A challenge issued by process 1 and used there...
        first = one.challenge()
        nonce = abuse.solve(first)
        status, body = one.submit(first, nonce)
        assert status == 201 and body["held"] is False, body
        # ...is refused at process 2: the report is kept but held, as any stale puzzle.
        status, body = two.submit(first, nonce)
        assert status == 201 and body["held"] is True, body
        # Process 2 does know process 1's challenges: a fresh one issued at 1 passes at 2, once.
        second = one.challenge()
        status, body = two.submit(second, abuse.solve(second))
        assert status == 201 and body["held"] is False, body
        status, body = one.submit(second, abuse.solve(second))
        assert status == 201 and body["held"] is True, body

        # Four submissions so far, two at each process: the hourly cap of four is reached at both.
        for web in (two, one):
            puzzle = web.challenge()
            status, body = web.submit(puzzle, abuse.solve(puzzle))
            assert status == 503, (status, body)
            assert "Too many reports" in body["detail"]
    finally:
        one.stop()
        two.stop()
    assert Signal.objects.count() == CAP  # every acknowledged report stored, nothing past the cap
    for log in (tmp_path / "one.log", tmp_path / "two.log"):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
