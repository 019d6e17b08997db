"""`{% receipt_puzzle %}`: the hidden fields of a receipt attempt's proof of work.

Every form that sends a receipt carries a fresh single-use challenge (abuse.receipt_challenge_issue);
report.js solves it before the form is sent. Without JavaScript the nonce stays empty and
the attempt counts as unsolved (services.followup_open)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from amparo.reports import abuse

register = template.Library()


@register.simple_tag
def receipt_puzzle(challenge: str = "") -> str:
    """Hidden pow_challenge (the one given, else a new one) and an empty pow_nonce."""
    challenge = challenge or abuse.receipt_challenge_issue()[0]
    return format_html(
        '<input type="hidden" name="pow_challenge" value="{}"><input type="hidden" name="pow_nonce" value="">',
        challenge,
    )
