"""Anti-abuse that never identifies anyone: proof of work, caps, throttles.

Everything here lives in Django's cache (Redis in production) with a time to live, never
in the database. Counter names are HMACs of (window, period, what is counted) under a key
derived from the vault's key file (`vault.derived_key`), never kept in the cache: a copy
of Redis alone cannot tell which receipt or organisation a counter counts, and each period
has names of its own. Every counter of one period expires at the same whole second, one
period after its own ends (`_bucket`), so its time to live dates nothing finer than the
period; Redis is run without persistence (docs/deployment.md). Nothing is keyed by address
or browser: the public paths never see them (amparo.reports.middleware).

- Proof of work (hashcash): the server issues a random single-use challenge with a
  difficulty; the browser or app finds a nonce such that SHA-256(challenge + nonce)
  starts with that many zero bits. Difficulty rises with the volume of recent reports.
- Caps per instance and per organisation, per hour; submissions without the puzzle
  (JavaScript off) are held under a stricter cap of their own.
- Receipt attempts carry a puzzle of their own that failures make harder (per public id
  and across the instance); one guess only ever tests one receipt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from amparo.core import vault

HOUR = 60 * 60


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _bucket(name: str, value: str, window: int) -> tuple[str, int]:
    """The cache key counting (name, value) in the current window, and when it expires: the
    end of the next window, in whole seconds since the epoch (the same for every counter of
    the window, whenever its first event came)."""
    slot = int(time.time()) // window
    secret = vault.derived_key("rate-limit-counter-names")
    digest = hmac.new(secret, f"{window}:{slot}|{name}|{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"amparo:rl:{digest}", (slot + 2) * window


def _seconds_until(expires_at: int) -> int:
    return max(1, expires_at - int(time.time()))


def hit(name: str, value: str = "", *, window: int = HOUR) -> int:
    """Count one event under (name, value) in the current window; return the new count."""
    bucket = _bucket(name, value, window)
    client = _redis_client()
    if client is None:
        return _hit_key(*bucket)
    pipe = client.pipeline(transaction=True)
    _count_in(pipe, [bucket])
    return int(pipe.execute()[-1])


def _hit_key(key: str, expires_at: int) -> int:
    """Count one in `key` through Django's cache API (not Redis: see `_count_in`)."""
    if cache.add(key, 1, _seconds_until(expires_at)):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, _seconds_until(expires_at))
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
    cache.set(_challenge_key(challenge), 1, _setting("AMPARO_POW_TTL", 600))
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


def pow_solved(challenge: str, nonce: str) -> str:
    """The challenge if `nonce` solves it, else "" (checked locally: whether this server
    issued it and it is still unused is for `challenge_redeem` or `room(redeem=...)`)."""
    challenge, nonce = str(challenge)[:80], str(nonce)[:32]
    head, _, _rest = challenge.partition(":")
    if not head.isdigit() or not nonce.isdigit():
        return ""
    digest = hashlib.sha256(f"{challenge}{nonce}".encode()).digest()
    return challenge if leading_zero_bits(digest) >= int(head) else ""


def _challenge_key(challenge: str) -> str:
    return f"amparo:pow:{challenge}"


def challenge_redeem(challenge: str, nonce: str) -> bool:
    """True once for a challenge this server issued, still fresh, with a nonce that solves it."""
    solved = pow_solved(challenge, nonce)
    return bool(solved) and bool(cache.delete(_challenge_key(solved)))  # single use: one caller deletes it


# --- caps ------------------------------------------------------------------------------------


def instance_has_room(*, held: bool) -> bool:
    """Below the per-instance hourly cap (and, for held submissions, the stricter held cap)."""
    return room(held=held, organisation_ids=[]).instance


def organisation_has_room(organisation_id: int) -> bool:
    return bool(room(held=False, organisation_ids=[organisation_id]).organisations)


@dataclass
class Room:
    instance: bool  # below the instance's hourly cap (and the held cap, for a held submission)
    organisations: list[int]  # those asked about that are below their own cap
    also: Any  # the value of the extra cache key asked for, None when absent or not asked
    redeemed: bool  # the challenge asked to redeem was fresh and is now used up
    counted: list[tuple[str, int]] = field(default_factory=list)  # buckets this call counted in


def room(*, held: bool, organisation_ids: list[int], also: str = "", redeem: str = "", count_it: bool = False) -> Room:
    """The caps for one submission, read in one cache round trip.

    `redeem` is a challenge whose nonce `pow_solved` accepted: it is used up in the same
    round trip, and when it was not fresh the submission counts as held (stricter cap).
    `also` is one more cache key to read on the way (the routing table's version).
    `count_it` counts the submission in the same round trip (the caps are judged on the
    counts before it); a caller that then stores nothing gives the count back with
    `uncount(room.counted)`.
    """
    instance_bucket, held_bucket = _bucket("submissions", "", HOUR), _bucket("held", "", HOUR)
    org_buckets = [_bucket("org", str(organisation_id), HOUR) for organisation_id in organisation_ids]
    instance_key, held_key, org_keys = instance_bucket[0], held_bucket[0], [key for key, _ttl in org_buckets]
    keys = [key for key in (instance_key, held_key, *org_keys, also) if key]
    buckets: list[tuple[str, int]] = []
    if count_it:
        buckets = [instance_bucket, _bucket("submissions", "", 600), *([held_bucket] if held else []), *org_buckets]
    found, redeemed = _read_redeem_count(keys, _challenge_key(redeem) if redeem else "", buckets)
    if count_it and redeem and not redeemed and not held:
        _hit_buckets([held_bucket])  # a stale challenge: held after all (rare, a second round trip)
        buckets.append(held_bucket)
    has_room = int(found.get(instance_key) or 0) < _setting("AMPARO_REPORT_CAP_PER_HOUR", 2000)
    if held or (redeem and not redeemed):
        has_room = has_room and int(found.get(held_key) or 0) < _setting("AMPARO_REPORT_HELD_CAP_PER_HOUR", 60)
    org_cap = _setting("AMPARO_REPORT_ORG_CAP_PER_HOUR", 500)
    with_room = [
        organisation_id
        for organisation_id, key in zip(organisation_ids, org_keys, strict=True)
        if int(found.get(key) or 0) < org_cap
    ]
    return Room(has_room, with_room, found.get(also) if also else None, redeemed, buckets)


def _read_redeem_count(
    keys: list[str], challenge_key: str, buckets: list[tuple[str, int]]
) -> tuple[dict[str, Any], bool]:
    """get_many(keys), then delete(challenge_key) if asked and count one in each bucket: one
    MULTI/EXEC on Redis (so a counter is never left without its time to live)."""
    client = _redis_client()
    if client is None:
        found = cache.get_many(keys)
        redeemed = bool(cache.delete(challenge_key)) if challenge_key else False
        for key, expires_at in buckets:
            _hit_key(key, expires_at)
        return found, redeemed
    backend = caches["default"]
    pipe = client.pipeline(transaction=True)
    pipe.mget([backend.make_and_validate_key(key) for key in keys])
    if challenge_key:
        pipe.delete(backend.make_and_validate_key(challenge_key))
    _count_in(pipe, buckets)
    results = pipe.execute()
    loads = backend._cache._serializer.loads  # type: ignore[attr-defined]  # private in RedisCache, not in the stubs
    found = {key: loads(value) for key, value in zip(keys, results[0], strict=True) if value is not None}
    return found, bool(results[1]) if challenge_key else False


def give_back_organisations(room: Room, organisation_ids: list[int]) -> Room:
    """Give back what `room(count_it=True)` counted for these organisations (those over their
    cap, which do not receive the submission); the room without them in `counted`."""
    keys = {_bucket("org", str(organisation_id), HOUR)[0] for organisation_id in organisation_ids}
    uncount([bucket for bucket in room.counted if bucket[0] in keys])
    return replace(room, counted=[bucket for bucket in room.counted if bucket[0] not in keys])


def uncount(buckets: list[tuple[str, int]]) -> None:
    """Give back what `room(count_it=True)` counted, for a submission that was not stored."""
    client = _redis_client()
    if client is None:
        for key, _expires_at in buckets:
            try:
                cache.decr(key)
            except ValueError:  # expired meanwhile: nothing to give back
                pass
        return
    backend = caches["default"]
    pipe = client.pipeline(transaction=True)
    for key, expires_at in buckets:
        full_key = backend.make_and_validate_key(key)
        pipe.set(full_key, 1, exat=expires_at, nx=True)  # never leave a counter without its TTL
        pipe.decr(full_key)
    pipe.execute()


def _redis_client() -> Any:
    """The Redis client behind Django's cache when it is Django's Redis backend, else None."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)  # type: ignore[attr-defined]  # private in RedisCache, not in the stubs


def _hit_buckets(buckets: list[tuple[str, int]]) -> None:
    """Count one event in each bucket: in one round trip on Redis, one by one otherwise.

    On Redis each counter is created (expiring at its window's whole second) if missing and
    incremented in one MULTI/EXEC; the value is stored as a plain integer, as Django's Redis
    backend stores integers, so `count()` reads it.
    """
    client = _redis_client()
    if client is None:
        for key, expires_at in buckets:
            _hit_key(key, expires_at)
        return
    pipe = client.pipeline(transaction=True)
    _count_in(pipe, buckets)
    pipe.execute()


def _count_in(pipe: Any, buckets: list[tuple[str, int]]) -> None:
    backend = caches["default"]
    for key, expires_at in buckets:
        full_key = backend.make_and_validate_key(key)
        pipe.set(full_key, 0, exat=expires_at, nx=True)  # EXPIREAT: no sub-second trace of the first event
        pipe.incr(full_key)


# --- receipt attempts ------------------------------------------------------------------------
#
# Every receipt attempt costs the server one Argon2id, so it must carry a solved puzzle
# (`receipt_difficulty` bits). Failures make the puzzle harder, never refuse a receipt that
# comes with enough work: failures across the instance add one bit per doubling over
# AMPARO_RECEIPT_FAILED_ALL_PER_HOUR (up to AMPARO_POW_MAX_BITS), failures at one public id
# past AMPARO_RECEIPT_ATTEMPTS_PER_HOUR add AMPARO_RECEIPT_LOCKED_EXTRA_BITS and one more bit
# per doubling (no ceiling: guessing at one receipt gets exponentially dearer). Pages sent
# without JavaScript cannot solve: such attempts share AMPARO_RECEIPT_UNSOLVED_PER_HOUR per
# instance and stop at the per-receipt limit, as before (decision 0009).


def _extra_bits(seen: int, calm: int) -> int:
    """One bit per doubling of `seen` at or over `calm` (0 below it)."""
    extra, calm = 0, max(1, calm)
    while seen >= calm * (2**extra):
        extra += 1
    return extra


def receipt_difficulty(public_id: str = "") -> int:
    """Leading zero bits a receipt attempt at `public_id` needs now ("" for the page's first
    challenge, before the receipt is known)."""
    base = _setting("AMPARO_RECEIPT_POW_BITS", 0) or _setting("AMPARO_POW_BITS", 16)
    ceiling = max(base, _setting("AMPARO_POW_MAX_BITS", 22))
    keys = {"all": _bucket("receipt-failed-all", "", HOUR)[0]}
    if public_id:
        keys["id"] = _bucket("receipt-failed", public_id, HOUR)[0]
    found = cache.get_many(list(keys.values()))
    failed_all = int(found.get(keys["all"]) or 0)
    bits = min(ceiling, base + _extra_bits(failed_all, _setting("AMPARO_RECEIPT_FAILED_ALL_PER_HOUR", 5000)))
    failed_id = int(found.get(keys.get("id", ""), 0) or 0) if public_id else 0
    limit = _setting("AMPARO_RECEIPT_ATTEMPTS_PER_HOUR", 10)
    if failed_id >= limit:
        bits += _setting("AMPARO_RECEIPT_LOCKED_EXTRA_BITS", 4) + _extra_bits(failed_id, limit) - 1
    return bits


def receipt_challenge_issue(public_id: str = "") -> tuple[str, int]:
    """A single-use challenge for a receipt attempt, at `receipt_difficulty(public_id)`."""
    bits = receipt_difficulty(public_id)
    challenge = f"{bits}:{secrets.token_hex(16)}"
    cache.set(_challenge_key(challenge), 1, _setting("AMPARO_POW_TTL", 600))
    return challenge, bits


def receipt_locked_without_work(public_id: str) -> bool:
    """True once this public id had AMPARO_RECEIPT_ATTEMPTS_PER_HOUR failures this hour: an
    attempt without a solved puzzle is refused (one with the harder puzzle is not)."""
    return count("receipt-failed", public_id) >= _setting("AMPARO_RECEIPT_ATTEMPTS_PER_HOUR", 10)


def receipt_unsolved_allowed() -> bool:
    """Count one receipt attempt sent without a solved puzzle (a page without JavaScript);
    False once AMPARO_RECEIPT_UNSOLVED_PER_HOUR such attempts were made this hour."""
    return hit("receipt-unsolved") <= _setting("AMPARO_RECEIPT_UNSOLVED_PER_HOUR", 600)


def receipt_failed(public_id: str) -> None:
    """Count a failed attempt at `public_id` (wrong, expired or never issued)."""
    hit("receipt-failed", public_id)
    hit("receipt-failed-all")
