"""check --deploy warns when production runs without a shared cache or a Celery broker."""

from __future__ import annotations

from amparo.core.checks import shared_cache_and_broker


def test_production_without_redis_or_broker_is_flagged(settings):
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_BROKER_URL = ""
    assert {w.id for w in shared_cache_and_broker()} == {"amparo.W001", "amparo.W002"}


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
