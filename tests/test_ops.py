"""Health endpoints and Prometheus metrics (amparo.core.ops, decisions 0027 and 0028).

Readiness failures are real: a database on a port where nothing listens, a fresh database
without migrations, a broker that does not answer and a key file that cannot be read, each
in a separate Python process started with that environment (no mock)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.permissions import Role
from tests.conftest import verified_client

ROOT = Path(__file__).resolve().parent.parent
REDIS_BROKER = "redis://127.0.0.1:6379/9"
TOKEN = "scrape-token-for-tests-0123456789"

_READY_SCRIPT = """
import json, django
django.setup()
from django.test import Client
r = Client().get("/health/ready")
print(json.dumps({"status": r.status_code, "body": r.content.decode()}))
"""


def ready_in_a_process(tmp_path: Path, **env: str) -> tuple[int, dict, str]:
    """GET /health/ready in a new Python process with `env` added to a development set-up."""
    key_file = tmp_path / "keys.json"
    if not key_file.exists():
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, pathlib; from amparo.core.vault import Keyring, write_key_file; "
                "write_key_file(pathlib.Path(sys.argv[1]), Keyring.generate())",
                str(key_file),
            ],
            cwd=ROOT,
            check=True,
            env={**os.environ, "AMPARO_VAR_DIR": str(tmp_path / "var")},
        )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_", "AMPARO_KEYS"))}
    full = {
        **base,
        "DJANGO_SETTINGS_MODULE": "amparo.settings",
        "AMPARO_VAR_DIR": str(tmp_path / "var"),
        "AMPARO_KEY_FILE": str(key_file),
        "AMPARO_CREATE_KEY_FILE": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ready.sqlite3'}",
        **env,
    }
    if "DATABASE_URL" not in env or env["DATABASE_URL"].startswith("sqlite"):
        migrate = full.get("AMPARO_TEST_SKIP_MIGRATE") != "1"
        if migrate and not (tmp_path / "ready.sqlite3").exists():
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=full, check=True)
    done = subprocess.run(
        [sys.executable, "-c", _READY_SCRIPT], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return last["status"], json.loads(last["body"]), done.stdout + done.stderr


# --- Liveness and readiness ------------------------------------------------------------------


def test_live_answers_without_touching_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_ready_says_ok_for_each_check_when_everything_works(db):
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "key_file": "ok", "migrations": "ok"},
    }


def test_health_pages_open_without_signing_in_and_for_a_user_not_yet_two_factor_verified(staff_a):
    client = Client()
    client.force_login(staff_a[Role.CASE_WORKER], backend="amparo.accounts.backends.StaffBackend")
    for path in ("/health/live", "/health/ready"):
        assert Client().get(path).status_code == 200
        assert client.get(path).status_code == 200


def test_probes_over_plain_http_get_an_answer_while_pages_still_redirect_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.AMPARO_METRICS_TOKEN = TOKEN
    assert Client().get("/health/live").status_code == 200
    assert Client().get("/health/ready").status_code == 200
    assert scrape().status_code == 200
    assert Client().get("/accounts/login/").status_code == 301
    assert Client().get("/report/").status_code == 301
    assert Client().get("/health/live", secure=True).status_code == 200


@pytest.mark.parametrize("kind", ["missing", "directory", "garbage"])
def test_ready_is_503_when_the_key_file_cannot_be_read(db, settings, tmp_path, kind):
    path = tmp_path / "keys.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "garbage":
        path.write_text("not a key file")
    settings.AMPARO_KEY_FILE = path
    settings.AMPARO_CREATE_KEY_FILE = False
    response = Client().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["checks"]["key_file"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert str(tmp_path) not in response.content.decode()  # no path, no error text


def test_ready_is_503_when_the_database_is_unreachable(tmp_path):
    status, body, output = ready_in_a_process(
        tmp_path, DATABASE_URL="postgres://amparo_ops_nobody:s3cret-pw@127.0.0.1:1/amparo_ops_nowhere"
    )
    assert status == 503
    assert body["checks"]["database"] == "fail" and body["checks"]["key_file"] == "ok"
    assert not re.search(r"127\.0\.0\.1|amparo_ops_nowhere|s3cret|nobody", json.dumps(body))
    assert "s3cret" not in output  # nor in the log line that says which check failed


def test_ready_is_503_while_migrations_are_pending(tmp_path):
    status, body, _ = ready_in_a_process(tmp_path, AMPARO_TEST_SKIP_MIGRATE="1")
    assert status == 503
    assert body["checks"]["migrations"] == "fail" and body["checks"]["database"] == "ok"


def test_ready_checks_the_broker_for_real(tmp_path):
    ok, body_ok, _ = ready_in_a_process(tmp_path, CELERY_BROKER_URL=REDIS_BROKER, REDIS_URL="redis://127.0.0.1:6379/8")
    assert ok == 200 and body_ok["checks"]["broker"] == "ok" and body_ok["checks"]["cache"] == "ok"
    down, body_down, _ = ready_in_a_process(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:1/9")
    assert down == 503 and body_down["checks"]["broker"] == "fail"
    no_cache, body_cache, _ = ready_in_a_process(tmp_path, REDIS_URL="redis://127.0.0.1:1/8")
    assert no_cache == 503 and body_cache["checks"]["cache"] == "fail"


# --- Metrics ---------------------------------------------------------------------------------


def scrape(client: Client | None = None, token: str = TOKEN):
    return (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(db, settings, staff_a):
    settings.AMPARO_METRICS_TOKEN = ""
    assert scrape().status_code == 404
    settings.AMPARO_METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    assert scrape(token="wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401  # no "Bearer"
    # Signing in is no substitute for the token: an administrator's session is refused too.
    assert verified_client(staff_a[Role.ORG_ADMIN]).get("/metrics").status_code == 401
    page = scrape()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/plain")
    assert b"amparo_http_requests_total" in page.content
    if not settings.CELERY_BROKER_URL:  # tasks in-process: no broker to call up or down
        assert b"amparo_celery_broker_up" not in page.content


def test_metrics_label_routes_by_name_never_by_path(db, settings, staff_a):
    from amparo.cases.models import Case

    settings.AMPARO_METRICS_TOKEN = TOKEN
    worker = staff_a[Role.CASE_WORKER]
    case = Case.objects.create(organisation=worker.organisation, person_name="Metric Person", created_by=worker)
    client = verified_client(worker)
    detail = reverse("cases:case_detail", kwargs={"reference": case.reference})
    assert client.get(detail).status_code == 200
    receipt_like = "RCPT7Q2X-ABCD-EFGH-JKLM-NPQR"
    Client().get(f"/report/follow-up/{receipt_like}/")  # a guess at a path: matches nothing
    Client().get(f"/cases/{case.reference}/no-such-page/{receipt_like}")
    client.get(detail + "?q=Metric+Person")
    text = scrape().content.decode()
    assert 'route="cases:case_detail"' in text and 'method="GET"' in text and 'status="200"' in text
    assert 'route="unmatched"' in text
    for secret in (case.reference, str(case.pk) + "/", receipt_like, "Metric", "/cases/", "/report/"):
        assert secret not in text, secret
    labels = set(re.findall(r'route="([^"]*)"', text))
    assert labels <= {"unmatched", *_all_route_names()}, labels - _all_route_names()


def test_metrics_report_queue_length_and_task_failures(db, settings):
    """The queue length is read from the broker (Redis db 9) and task failures from the
    shared cache, where the worker's task_failure signal counts them."""
    import redis

    from amparo.core import ops

    settings.AMPARO_METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = REDIS_BROKER
    queue = "amparo-ops-metrics-test"
    settings.AMPARO_METRICS_QUEUES = [queue]
    client = redis.Redis.from_url(REDIS_BROKER)
    client.delete(queue)
    client.rpush(queue, "m1", "m2", "m3")
    try:
        from celery import signals

        from amparo.core.tasks import health_check

        signals.task_failure.send(sender=health_check, task_id="x", exception=RuntimeError("boom"))
        signals.task_failure.send(sender=health_check, task_id="y", exception=RuntimeError("boom"))
        text = scrape().content.decode()
    finally:
        client.delete(queue)
    assert f'amparo_celery_queue_length{{queue="{queue}"}} 3.0' in text
    assert "amparo_celery_broker_up 1.0" in text
    assert 'amparo_celery_task_failures_total{task="amparo.core.health_check"} 2.0' in text
    assert 'amparo_celery_task_failures_total{task="amparo.core.verify_audit"} 0.0' in text
    assert "boom" not in text
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/9"
    down = scrape()
    assert down.status_code == 200 and "amparo_celery_broker_up 0.0" in down.content.decode()
    assert ops.REQUESTS is not None


def _all_route_names() -> set[str]:
    from tests.test_permission_matrix import all_url_names

    return all_url_names()
