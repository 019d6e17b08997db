"""Django's Redis cache backend, with one Redis client per process instead of one per call.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object around the shared
connection pool on every cache call. On the anonymous intake path (three cache calls per
report then) that was 0.24 s of the 3.2 s that 300 reports took under cProfile, about 7 %
(bench/report_profile.py --profile, 2026-11-23). A `redis.Redis` client is safe to share between
threads, and its pool notices a fork, so one client per pool is kept and reused.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClient
