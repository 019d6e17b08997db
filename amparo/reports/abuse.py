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

from django.conf import settings
from django.core.cache import cache

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
    key, ttl = _bucket(name, value, window)
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
    if count("submissions") >= _setting("AMPARO_REPORT_CAP_PER_HOUR", 2000):
        return False
    return not held or count("held") < _setting("AMPARO_REPORT_HELD_CAP_PER_HOUR", 60)


def organisation_has_room(organisation_id: int) -> bool:
    return count("org", str(organisation_id)) < _setting("AMPARO_REPORT_ORG_CAP_PER_HOUR", 500)


def submission_counted(*, held: bool, organisation_ids: list[int]) -> None:
    hit("submissions")
    hit("submissions", window=600)
    if held:
        hit("held")
    for organisation_id in organisation_ids:
        hit("org", str(organisation_id))


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
