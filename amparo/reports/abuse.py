"""Anti-abuse that never identifies anyone: proof of work, caps, throttles.

Everything here lives in Django's cache (Redis in production) with a time to live, never
in the database. Counter keys are HMACs under a secret that is itself a cache entry and
expires with its period (`_period_secret`), so yesterday's keys cannot be linked to
anything once their secret is gone. Nothing is keyed by address or browser: the public
paths never see them (amparo.reports.middleware).

- Proof of work (hashcash): the server issues a random single-use challenge with a
  difficulty; the browser or app finds a nonce such that SHA-256(challenge + nonce)
  starts with that many zero bits. Difficulty rises with the volume of recent reports.
- Caps per instance and per organisation, per hour; submissions without the puzzle
  (JavaScript off) are held under a stricter cap of their own.
- Receipt attempts are throttled per public id: one guess only ever tests one receipt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

HOUR = 60 * 60


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


_current_secrets: dict[str, bytes] = {}


def _period_secret(period: str, ttl: int) -> bytes:
    """A random secret for one period, kept only in the cache, gone when the period ends.

    Each process remembers the secrets of the current periods only (a fresh dict replaces
    the old one when a period changes), saving two cache round trips per counter.
    """
    known = _current_secrets.get(period)
    if known is not None:
        return known
    key = f"amparo:rl-secret:{period}"
    fresh = secrets.token_hex(32)
    cache.add(key, fresh, ttl)
    secret = bytes.fromhex(cache.get(key) or fresh)
    window = period.split(":", 1)[0]
    for stale in [name for name in _current_secrets if name.split(":", 1)[0] == window]:
        del _current_secrets[stale]
    _current_secrets[period] = secret
    return secret


def _bucket(name: str, value: str, window: int) -> tuple[str, int]:
    slot = int(time.time()) // window
    secret = _period_secret(f"{window}:{slot}", window * 2)
    digest = hmac.new(secret, f"{name}|{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"amparo:rl:{digest}", window * 2


def hit(name: str, value: str = "", *, window: int = HOUR) -> int:
    """Count one event under (name, value) in the current window; return the new count."""
    return _hit_key(*_bucket(name, value, window))


def _hit_key(key: str, ttl: int) -> int:
    if cache.add(key, 1, ttl):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)
        return 1


def count(name: str, value: str = "", *, window: int = HOUR) -> int:
    key, _ttl = _bucket(name, value, window)
    return int(cache.get(key) or 0)


# --- proof of work --------------------------------------------------------------------------


def difficulty() -> int:
    """Leading zero bits asked of the next client: one more bit per doubling of recent volume."""
    base = _setting("AMPARO_POW_BITS", 16)
    ceiling = _setting("AMPARO_POW_MAX_BITS", 24)
    calm = max(1, _setting("AMPARO_POW_CALM_PER_10_MIN", 100))
    recent = count("submissions", window=600)
    extra = 0
    while recent >= calm * (2**extra) and base + extra < ceiling:
        extra += 1
    return base + extra


def challenge_issue() -> tuple[str, int]:
    """A new single-use challenge and its difficulty (kept in the cache for 10 minutes)."""
    bits = difficulty()
    challenge = f"{bits}:{secrets.token_hex(16)}"
    cache.set(f"amparo:pow:{challenge}", 1, _setting("AMPARO_POW_TTL", 600))
    return challenge, bits


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def solve(challenge: str) -> str:
    """Find a nonce (what the browser's report.js does); for tests and the load generator."""
    bits = int(challenge.split(":", 1)[0])
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def challenge_redeem(challenge: str, nonce: str) -> bool:
    """True once for a challenge this server issued, still fresh, with a nonce that solves it."""
    challenge, nonce = str(challenge)[:80], str(nonce)[:32]
    head, _, _rest = challenge.partition(":")
    if not head.isdigit() or not nonce.isdigit():
        return False
    digest = hashlib.sha256(f"{challenge}{nonce}".encode()).digest()
    if leading_zero_bits(digest) < int(head):
        return False
    return bool(cache.delete(f"amparo:pow:{challenge}"))  # single use: only one caller deletes it


# --- caps ------------------------------------------------------------------------------------


def instance_has_room(*, held: bool) -> bool:
    """Below the per-instance hourly cap (and, for held submissions, the stricter held cap)."""
    return room(held=held, organisation_ids=[])[0]


def organisation_has_room(organisation_id: int) -> bool:
    return bool(room(held=False, organisation_ids=[organisation_id])[1])


def room(*, held: bool, organisation_ids: list[int], also: str = "") -> tuple[bool, list[int], Any]:
    """The caps for one submission, read in one cache round trip.

    Returns whether the instance is below its hourly cap (and, for a held submission, the
    held cap), the organisations among `organisation_ids` below theirs, and the value of the
    cache key `also` (read in the same round trip; None when absent or not asked for).
    """
    instance_key = _bucket("submissions", "", HOUR)[0]
    held_key = _bucket("held", "", HOUR)[0] if held else ""
    org_keys = [_bucket("org", str(organisation_id), HOUR)[0] for organisation_id in organisation_ids]
    found = cache.get_many([key for key in (instance_key, held_key, *org_keys, also) if key])
    has_room = int(found.get(instance_key) or 0) < _setting("AMPARO_REPORT_CAP_PER_HOUR", 2000)
    if held:
        has_room = has_room and int(found.get(held_key) or 0) < _setting("AMPARO_REPORT_HELD_CAP_PER_HOUR", 60)
    org_cap = _setting("AMPARO_REPORT_ORG_CAP_PER_HOUR", 500)
    with_room = [
        organisation_id
        for organisation_id, key in zip(organisation_ids, org_keys, strict=True)
        if int(found.get(key) or 0) < org_cap
    ]
    return has_room, with_room, found.get(also) if also else None


def submission_counted(*, held: bool, organisation_ids: list[int]) -> None:
    buckets = [_bucket("submissions", "", HOUR), _bucket("submissions", "", 600)]
    if held:
        buckets.append(_bucket("held", "", HOUR))
    buckets.extend(_bucket("org", str(organisation_id), HOUR) for organisation_id in organisation_ids)
    _hit_buckets(buckets)


def _redis_client() -> Any:
    """The Redis client behind Django's cache when it is Django's Redis backend, else None."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _hit_buckets(buckets: list[tuple[str, int]]) -> None:
    """Count one event in each bucket: in one round trip on Redis, one by one otherwise.

    On Redis each counter is created (with its time to live) if missing and incremented in
    one MULTI/EXEC, as `hit()` does with add() and incr(); the value is stored as a plain
    integer, as Django's Redis backend stores integers, so `count()` reads it.
    """
    client = _redis_client()
    if client is None:
        for key, ttl in buckets:
            _hit_key(key, ttl)
        return
    backend = caches["default"]
    pipe = client.pipeline(transaction=True)
    for key, ttl in buckets:
        full_key = backend.make_and_validate_key(key)
        pipe.set(full_key, 0, ex=ttl, nx=True)
        pipe.incr(full_key)
    pipe.execute()


# --- receipt throttle ------------------------------------------------------------------------


def receipt_attempt_allowed(public_id: str) -> bool:
    """False once this public id (or the instance as a whole) had too many failed attempts this hour.

    Only failures count, so a reporter in a long conversation is never throttled by their
    own correct receipt; ten wrong guesses lock that one receipt for the rest of the hour.
    """
    per_id = count("receipt-failed", public_id) < _setting("AMPARO_RECEIPT_ATTEMPTS_PER_HOUR", 10)
    overall = count("receipt-failed-all") < _setting("AMPARO_RECEIPT_ATTEMPTS_ALL_PER_HOUR", 5000)
    return per_id and overall


def receipt_failed(public_id: str) -> None:
    hit("receipt-failed", public_id)
    hit("receipt-failed-all")
