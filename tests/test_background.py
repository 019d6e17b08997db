"""Background work: eager in-process by default, and a real worker on Redis when configured."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery

from amparo.core.tasks import health_check

REDIS_URL = os.environ.get("AMPARO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent


def test_tasks_run_in_process_by_default():
    result = health_check.delay().get(timeout=5)
    assert result["pid"] == os.getpid() and result["vault_ok"]


@pytest.fixture
def redis_worker():
    """A real `celery worker` process on the Redis at 127.0.0.1:6379, on a queue of its own."""
    queue = f"amparo-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "amparo",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_a_task_goes_through_a_real_worker_on_redis(redis_worker):
    client = Celery("amparo-test-client", broker=REDIS_URL, backend=REDIS_URL)
    started = time.monotonic()
    result = client.send_task("amparo.core.health_check", queue=redis_worker)
    value = result.get(timeout=60)
    assert time.monotonic() - started < 60
    assert value["vault_ok"] is True
    assert value["pid"] != os.getpid()  # it ran in the worker process, not here
