"""What django-axes keeps of failed staff sign-ins: only what lock-out per account needs.

Axes' database handler stores, for every failed sign-in, the client's address, user agent,
Accept header, path, query and form data (the e-mail typed) and the time to the
microsecond. Lock-out per account (decision 0003) needs only: which account, how many
failures, and when the last one was, to the minute. So:

- the account is a keyed hash of the normalised e-mail (`lockout_key`: HMAC-SHA256 under a
  key derived from the vault's key file), so a copy of the database does not say who
  mistyped their password, nor which addresses someone tried;
- the address is never read (`no_address`), the user agent, Accept header, path, query and
  form data are stored empty;
- the time of the last failure is rounded up to the whole minute (the lock lasts at least
  AXES_COOLOFF_TIME, at most a minute more).

Axes' API keeps working with e-mail addresses: `axes.utils.reset(username=<e-mail>)` and
`manage.py axes_reset_username <e-mail>` hash the address the same way.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

_HASHED = re.compile(r"[0-9a-f]{64}")


def lockout_key(email: str) -> str:
    """The value axes stores for the account `email`: a keyed hash of it, normalised."""
    from amparo.core import vault

    normalised = email.strip().lower().encode()
    return hmac.new(vault.derived_key("sign-in-lockout-accounts"), normalised, hashlib.sha256).hexdigest()


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a sign-in attempt is for, as its lockout key
    (normalised first, so case tricks do not dodge lock-out)."""
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    return lockout_key(value) if isinstance(value, str) and value.strip() else None


def no_address(request: Any) -> None:
    """AXES_CLIENT_IP_CALLABLE: lock-out is per account; the address is never read."""
    return None


def _minute_after(moment: datetime.datetime) -> datetime.datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + datetime.timedelta(minutes=1)


class LockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, storing a hashed account, a count and a minute."""

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
        if request is None:
            return
        request.axes_ip_address = None
        request.axes_user_agent = request.axes_http_accept = request.axes_path_info = ""
        request.axes_attempt_time = _minute_after(request.axes_attempt_time or timezone.now())
        self.clean_expired_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        if username is None:  # no account named: nothing to count (lock-out is per account only)
            return
        if not getattr(settings, "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT", True) and request.axes_locked_out:
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=None)
            return
        with transaction.atomic():
            # scoping: axes' own table of failed sign-ins, by hashed account
            attempt = AccessAttempt.objects.select_for_update().filter(username=username).first()
            if attempt is None:
                attempt = AccessAttempt(
                    username=username,
                    ip_address=None,
                    user_agent="",
                    get_data="",
                    post_data="",
                    http_accept="",
                    path_info="",
                    failures_since_start=1,
                    attempt_time=request.axes_attempt_time,
                )
                attempt.save_base(raw=True)  # raw: keep the rounded time, not auto_now_add's
            else:
                # scoping: the row locked above
                AccessAttempt.objects.filter(pk=attempt.pk).update(
                    failures_since_start=F("failures_since_start") + 1, attempt_time=request.axes_attempt_time
                )
        failures = self.get_failures(request, credentials)
        request.axes_failures_since_start = failures
        if getattr(settings, "AXES_LOCK_OUT_AT_FAILURE", True) and failures >= get_failure_limit(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=None)

    def reset_attempts(
        self, *, ip_address: str | None = None, username: str | None = None, ip_or_username: bool = False
    ) -> int:
        """Axes' reset, given an e-mail address (or a lockout key) as the username."""
        if username and not _HASHED.fullmatch(username):
            username = lockout_key(username)
        return super().reset_attempts(ip_address=ip_address, username=username, ip_or_username=ip_or_username)
