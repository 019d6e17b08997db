"""Celery application. Eager (in-process) unless CELERY_BROKER_URL is set."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")

app = Celery("amparo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_failure.connect
def _count_failure(sender: object = None, **kwargs: object) -> None:
    """Count task failures by task name for /metrics (amparo.core.ops); never the arguments."""
    from amparo.core.ops import record_task_failure

    record_task_failure(getattr(sender, "name", ""))
