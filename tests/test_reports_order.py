"""Message ids are random, yet both sides read the conversation in the order it was written."""

from __future__ import annotations

from amparo.core.permissions import Role
from amparo.reports import services
from amparo.reports.models import Message, Signal
from tests.conftest import as_verified
from tests.test_reports import _cheap_crypto_and_puzzles, receiving_fixture, submit  # noqa: F401


def test_a_conversation_keeps_its_order_while_the_ids_say_nothing_about_it(receiving, staff_a):
    receipt = submit()
    signal = Signal.objects.get()
    advocate = as_verified(staff_a[Role.HOTLINE_ADVOCATE])
    opened = services.followup_open(receipt_text=receipt, unsolved_allowed=True)
    written = []
    for turn in range(6):
        if turn % 2 == 0:
            services.signal_reply(actor=advocate, signal=signal, text=f"question {turn}")
        else:
            services.followup_reply(opened=opened, text=f"answer {turn}")
        written.append(f"{'question' if turn % 2 == 0 else 'answer'} {turn}")
    stored = list(Message.objects.filter(signal=signal))
    assert [m.seq for m in stored] == [1, 2, 3, 4, 5, 6]
    ids = [m.pk for m in stored]
    # An auto-increment gives consecutive numbers in writing order; random ids almost never do.
    assert ids != list(range(ids[0], ids[0] + 6))
    thread = services.followup_thread(opened=services.followup_open(receipt_text=receipt, unsolved_allowed=True))
    assert [item["text"] for item in thread] == written
