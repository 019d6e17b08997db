"""check --deploy refuses production without a shared cache and warns without a Celery broker."""

from __future__ import annotations

from amparo.core.checks import shared_cache_and_broker


def test_production_without_redis_or_broker_is_flagged(settings):
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_BROKER_URL = ""
    assert {w.id for w in shared_cache_and_broker()} == {"amparo.E002", "amparo.W002"}
    assert "amparo.E002" in _deploy_check_ids(settings)  # an error: check --deploy fails


def test_production_refuses_a_per_process_cache_from_the_environment(tmp_path):
    """Without REDIS_URL, `check --deploy` fails even at its default level (errors only):
    several web processes would each keep their own challenges and caps (decision 0037)."""
    import os
    import subprocess
    import sys

    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "REDIS_", "CELERY_", "EMAIL_"))}
    env = {
        **keep,
        "AMPARO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "amparo.test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "AMPARO_CREATE_KEY_FILE": "true",
        "AMPARO_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], env=env, capture_output=True, text=True, cwd=str(root)
    )
    assert result.returncode != 0 and "amparo.E002" in result.stderr + result.stdout
    with_redis = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env={**env, "REDIS_URL": "redis://127.0.0.1:6379/14"},
        capture_output=True,
        text=True,
        cwd=str(root),
    )
    assert "amparo.E002" not in with_redis.stderr + with_redis.stdout


def test_production_with_redis_and_a_broker_passes(settings):
    settings.PRODUCTION = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/14"}
    }
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/13"
    assert shared_cache_and_broker() == []


def test_development_is_not_nagged(settings):
    settings.PRODUCTION = False
    assert shared_cache_and_broker() == []


def _deploy_check_ids(settings) -> set[str]:
    from django.core import checks

    return {message.id for message in checks.run_checks(include_deployment_checks=True) if message.is_serious()}


def test_production_without_an_e_mail_server_is_an_error(settings):
    """Reset and invitation links must not end up in the console log."""
    settings.PRODUCTION = True
    for backend in (
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    ):
        settings.EMAIL_BACKEND = backend
        assert "amparo.E001" in _deploy_check_ids(settings), backend
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "amparo.E001" not in _deploy_check_ids(settings)
    settings.PRODUCTION = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "amparo.E001" not in _deploy_check_ids(settings)


def test_production_refuses_a_default_console_mail_backend_from_the_environment(tmp_path):
    """With AMPARO_ENV=production and no EMAIL_BACKEND, `check --deploy` fails."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "AMPARO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "amparo.test",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
        "AMPARO_CREATE_KEY_FILE": "true",
        "AMPARO_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("EMAIL_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
    )
    assert result.returncode != 0 and "amparo.E001" in result.stderr + result.stdout
