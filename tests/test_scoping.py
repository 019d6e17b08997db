"""visible_to() of the rows that belong to a case or a signal: visible exactly when the parent is.

Child models reuse their parent's own rule (Case.objects.visible_to, Signal.objects.visible_to),
so emergency access and any later rule on cases apply to notes, attachments and the rest.
"""

from __future__ import annotations

import pytest

from amparo.accounts.models import User
from amparo.cases import services
from amparo.cases.models import Case, CaseAttachment, Note
from amparo.core.permissions import Role
from amparo.reports.models import Attachment, Message, Signal
from amparo.reports.services import today
from tests.conftest import as_verified


@pytest.fixture
def case_rows(staff_a, org_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = Case.objects.create(organisation=org_a, person_name="Scoped Person", created_by=worker)
    note = Note.objects.create(case=case, author=worker, body="Seen at the bus terminal")
    attachment = CaseAttachment.objects.create(
        case=case, uploaded_by=worker, file_name="a.png", content_type="image/png", size=3, content="AAAA"
    )
    return case, note, attachment


def test_case_children_follow_the_case(staff_a, staff_b, case_rows):
    case, note, attachment = case_rows
    for model, row in ((Note, note), (CaseAttachment, attachment)):
        assert list(model.objects.visible_to(as_verified(staff_a[Role.CASE_WORKER]))) == [row]
        assert list(case.notes.visible_to(as_verified(staff_a[Role.LEGAL_ADVISER]))) == [note]
        for role in Role.values:  # every role of the other organisation
            assert not model.objects.visible_to(as_verified(staff_b[role])).exists()
        for role in (Role.ORG_ADMIN, Role.SHELTER_MANAGER, Role.ANALYST, Role.HOTLINE_ADVOCATE):
            assert not model.objects.visible_to(as_verified(staff_a[role])).exists()
        unverified = User.objects.get(pk=staff_a[Role.CASE_WORKER].pk)  # no two-factor in this session
        assert not model.objects.visible_to(unverified).exists()


def test_case_children_follow_emergency_access(staff_a, case_rows):
    case, note, _attachment = case_rows
    advocate = as_verified(staff_a[Role.HOTLINE_ADVOCATE])
    assert not Note.objects.visible_to(advocate).exists()
    services.break_glass_open(
        actor=advocate,
        reference=case.reference,
        reason="safety",
        explanation="The caller says she is locked in a room and her case worker is away.",
    )
    assert list(Note.objects.visible_to(advocate)) == [note]
    assert list(case.notes.visible_to(advocate)) == [note]


def test_signal_children_follow_the_signal(staff_a, staff_b, org_a):
    signal = Signal.objects.create(organisation=org_a, channel="web", arrived_on=today(), sealed=b"x")
    message = Message.objects.create(signal=signal, author="reporter", sealed_for_org=b"m", sent_on=today())
    attachment = Attachment.objects.create(signal=signal, sealed_name=b"n", sealed_content=b"c")
    worker = as_verified(staff_a[Role.CASE_WORKER])
    assert list(Message.objects.visible_to(worker)) == [message]
    assert list(signal.attachments.visible_to(worker)) == [attachment]
    for role in Role.values:
        assert not Message.objects.visible_to(as_verified(staff_b[role])).exists()
        assert not Attachment.objects.visible_to(as_verified(staff_b[role])).exists()
    assert not Message.objects.visible_to(as_verified(staff_a[Role.SHELTER_MANAGER])).exists()
