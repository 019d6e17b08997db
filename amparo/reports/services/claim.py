"""A hotline caller's first use of the receipt an advocate gave them: a secret of their own.

The advocate saw the receipt's secret (`hotline_signal_create` stores it with
`must_change`). Until the caller replaces it, the follow-up pages and API show and accept
nothing but this step; once they do, the advocate's secret no longer opens anything.
Public use case: no actor, no audit entry (an audit entry would date the caller's visit).
"""

from __future__ import annotations

from django.db import transaction

from amparo.reports.models import Receipt
from amparo.reports.services.common import ReceiptRefused
from amparo.reports.services.reporter import Opened, receipt_change


class SecretRefused(ValueError):
    """The new secret is the one the caller was given (someone else knows it)."""


def receipt_claim(*, opened: Opened, given_secret: str, new_secret: str | None = None) -> str:
    """Replace the secret of a receipt someone else saw (`must_change`) with the caller's own.

    `opened` comes from followup_open with the receipt as given (`given_secret` is its
    secret); `new_secret` is a generated secret or a passphrase already checked by
    receipts.passphrase_clean, or None to draw one. Messages sealed to the old reporter
    key are re-sealed to the new one (receipt_change), in the same transaction as the
    check. Returns the new receipt as receipt_change formats it.

    Refuses with ReceiptRefused, the answer a wrong receipt gets, when the receipt no
    longer has to change or changed since it was opened (someone else claimed it first),
    and with SecretRefused when `new_secret` is the given one. Changes nothing then.
    """
    if new_secret is not None and new_secret == given_secret:
        raise SecretRefused
    with transaction.atomic():
        current = Receipt.objects.select_for_update().filter(pk=opened.receipt.pk).first()
        if current is None or not current.must_change:
            raise ReceiptRefused
        return receipt_change(opened=opened, new_secret=new_secret)  # refuses a receipt changed since opened
