"""Referral pages: the inboxes, the referral form from a case, a referral's page for both
sides with the actions each may take. Thin: forms parse, amparo/referrals/workflow.py works."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.cases.models import Case
from amparo.core import sealing
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.referrals import content, workflow
from amparo.referrals.onetime_models import ExternalReferral
from amparo.referrals.services import types_for
from amparo.referrals.workflow_forms import (
    ChooseForm,
    CompleteForm,
    DeclineForm,
    ListFilterForm,
    OpenCaseForm,
    RevokeForm,
    SignalChooseForm,
    UpdateForm,
    ValuesForm,
)
from amparo.referrals.workflow_models import OPEN_STATUSES, Referral, ReferralStatus
from amparo.reports.models import Signal

PAGE_SIZE = 25


@dataclass
class ListPage:
    """One page of a referral list, without a count of all rows."""

    rows: list[Referral]
    number: int
    has_next: bool

    def __iter__(self) -> Iterator[Referral]:
        return iter(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def box_referrals(request: HttpRequest, box: str, form: ListFilterForm) -> Any:
    """The referrals of one list (waiting for us, sent by us, overdue), in the list's order,
    narrowed by the filters when the form is valid. The pages and the CSV exports share it."""
    org_id = request.user.organisation_id  # type: ignore[union-attr]
    referrals = Referral.objects.visible_to(request.user)
    if box == "waiting":
        referrals = referrals.received_by(org_id).waiting().order_by("due_at", "id")
    elif box == "sent":
        referrals = referrals.sent_by(org_id).order_by("-sent_at", "-id")
    else:
        referrals = referrals.overdue().order_by("due_at", "id")
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == ReferralStatus.EXPIRED:
            referrals = referrals.overdue()
        elif status:
            referrals = referrals.filter(status=status)
        if form.cleaned_data["service_type"]:
            referrals = referrals.filter(service_type_code=form.cleaned_data["service_type"])
    return referrals


def _list_page(request: HttpRequest, box: str) -> HttpResponse:
    if not can(request.user, Perm.REFERRAL_VIEW):
        raise PermissionDenied
    org_id = request.user.organisation_id  # type: ignore[union-attr]
    form = ListFilterForm(request.GET or None)
    types = list(types_for(org_id))
    referrals = box_referrals(request, box, form)
    page_number = (form.cleaned_data["page"] or 1) if form.is_valid() else 1
    # Lists show metadata only: the sealed blobs are not even fetched, and no count is taken
    # (one row more than a page says whether there is a next one).
    referrals = referrals.select_related("sender", "receiver", "service").defer("sealed_content", "sealed_reply")
    start = (page_number - 1) * PAGE_SIZE
    rows = list(referrals[start : start + PAGE_SIZE + 1])
    page = ListPage(rows[:PAGE_SIZE], page_number, has_next=len(rows) > PAGE_SIZE)
    external: list[Any] = []
    if box == "sent" and page_number == 1:
        # Referrals to services not on Amparo (decision 0032): the latest, metadata only.
        external = list(
            ExternalReferral.objects.visible_to(request.user)
            .select_related("service")
            .defer("ciphertext", "salt", "token_hash")[:PAGE_SIZE]
        )
    return render(
        request,
        "referrals/referral_list.html",
        {"box": box, "page": page, "form": form, "types": types, "org_id": org_id, "external": external},
    )


def waiting(request: HttpRequest) -> HttpResponse:
    """Received and not yet answered, the overdue (oldest due time) first."""
    return _list_page(request, "waiting")


def sent(request: HttpRequest) -> HttpResponse:
    return _list_page(request, "sent")


def overdue(request: HttpRequest) -> HttpResponse:
    return _list_page(request, "overdue")


def create(request: HttpRequest, reference: str) -> HttpResponse:
    """Refer the person of one of the organisation's cases: service, field set, values, note."""
    if not can(request.user, Perm.REFERRAL_SEND):
        raise PermissionDenied
    case = get_visible_or_404(Case, request.user, reference=reference)
    services = workflow.referable_services(request.user)
    data = request.POST if request.method == "POST" else (request.GET if "service" in request.GET else None)
    choose = ChooseForm(data, services=services)
    values_form = None
    status = 200
    if choose.is_valid():
        field_set = choose.cleaned_data["field_set"]
        service = services.filter(pk=choose.cleaned_data["service"]).first()
        if service is None:
            choose.add_error("service", _("Choose a service of another organisation on Amparo."))
        else:
            try:
                workflow.check_basis(
                    sender_id=case.organisation_id, receiver_id=service.organisation_id, field_set=field_set
                )
            except ValidationError as exc:
                choose.add_error(None, exc)
            else:
                if request.method == "POST":
                    values_form = ValuesForm(request.POST, field_set=field_set)
                    if values_form.is_valid():
                        try:
                            referral = workflow.referral_send(
                                actor=request.user,
                                case=case,
                                service=service,
                                field_set=field_set,
                                values=values_form.values(),
                                note=values_form.cleaned_data["note"],
                            )
                        except ValidationError as exc:
                            values_form.add_error(None, exc)
                        else:
                            messages.success(request, _("The referral was sent."))
                            return redirect("referral:detail", pk=referral.pk)
                else:
                    initial = {f"f_{k}": v for k, v in content.prefill(case, field_set).items()}
                    values_form = ValuesForm(initial=initial, field_set=field_set)
    if request.method == "POST":
        status = 400
    may = workflow.may_refer(request.user, case)
    return render(
        request,
        "referrals/referral_form.html",
        {"case": case, "choose": choose, "values_form": values_form, "may_refer": may},
        status=status,
    )


def create_from_signal(request: HttpRequest, reference: str) -> HttpResponse:
    """Refer a triaged signal (decision 0034): service or authority, the signal's need-to-know
    set, the legal basis; then the values, prefilled from the opened signal and reviewed."""
    if not can(request.user, Perm.REFERRAL_SEND_SIGNAL):
        raise PermissionDenied
    signal = get_visible_or_404(Signal, request.user, reference=reference)
    if not can(request.user, Perm.REPORT_TRIAGE):
        raise PermissionDenied
    services = workflow.referable_services(request.user)
    data = request.POST if request.method == "POST" else (request.GET if "service" in request.GET else None)
    choose = SignalChooseForm(data, services=services)
    values_form = None
    locked = False
    refusal = workflow.signal_refusal(signal)
    if choose.is_valid() and not refusal:
        field_set = choose.cleaned_data["field_set"]
        legal_basis = choose.cleaned_data["legal_basis"]
        service = services.filter(pk=choose.cleaned_data["service"]).first()
        if service is None:
            choose.add_error("service", _("Choose a service of another organisation on Amparo."))
        else:
            try:
                workflow.check_signal_basis(
                    signal=signal, service=service, field_set=field_set, legal_basis=legal_basis
                )
                workflow.check_basis(
                    sender_id=signal.organisation_id, receiver_id=service.organisation_id, field_set=field_set
                )
            except ValidationError as exc:
                choose.add_error(None, exc)
            else:
                if request.method == "POST":
                    values_form = ValuesForm(request.POST, field_set=field_set)
                    if values_form.is_valid():
                        try:
                            referral = workflow.referral_send_signal(
                                actor=request.user,
                                signal=signal,
                                service=service,
                                field_set=field_set,
                                legal_basis=legal_basis,
                                values=values_form.values(),
                                note=values_form.cleaned_data["note"],
                            )
                        except ValidationError as exc:
                            values_form.add_error(None, exc)
                        else:
                            messages.success(request, _("The referral was sent."))
                            return redirect("referral:detail", pk=referral.pk)
                else:
                    try:
                        answers = workflow.signal_answers(request=request, actor=request.user, signal=signal)
                    except sealing.Locked:
                        locked = True
                    else:
                        prefilled = content.prefill_signal(signal, answers, field_set)
                        initial = {f"f_{k}": v for k, v in prefilled.items()}
                        values_form = ValuesForm(initial=initial, field_set=field_set)
    return render(
        request,
        "referrals/referral_signal_form.html",
        {"signal": signal, "choose": choose, "values_form": values_form, "refusal": refusal, "locked": locked},
        status=400 if request.method == "POST" else 200,
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_visible_or_404(Referral, request.user, pk=pk)
    user = request.user
    org_id = user.organisation_id  # type: ignore[union-attr]
    is_receiver = org_id == referral.receiver_id
    opened = None
    locked = False
    cut = ""
    updates: list[Any] = []
    reply = ""
    try:
        if is_receiver:
            cut = workflow.receiver_access_cut(referral)
            if not cut:
                opened = workflow.referral_open(request=request, actor=user, referral=referral)
        else:
            reply = workflow.reply_open(request=request, actor=user, referral=referral)
        updates = workflow.updates_open(request=request, actor=user, referral=referral)
    except sealing.Locked:
        locked = True
    current = referral.current_status()
    may_decide = is_receiver and can(user, Perm.REFERRAL_DECIDE) and not cut
    may_send = not is_receiver and can(user, Perm.REFERRAL_SEND)
    names = workflow.organisation_names({referral.sender_id, referral.receiver_id})
    shelter_context = _shelter_context(user, referral, current) if is_receiver and not cut else {}
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "sender_name": names.get(referral.sender_id, ""),
            "receiver_name": names.get(referral.receiver_id, ""),
            "is_receiver": is_receiver,
            "opened": opened,
            "locked": locked,
            "cut_reason": workflow.CUT_REASONS.get(cut, "") if cut else "",
            "updates": updates,
            "reply": reply,
            "current": current,
            "may_accept": may_decide and current == ReferralStatus.SENT,
            "may_start": may_decide and current == ReferralStatus.ACCEPTED,
            "may_complete": is_receiver
            and can(user, Perm.REFERRAL_DECIDE)
            and current in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS),
            "may_revoke": may_send and referral.status in OPEN_STATUSES,
            "may_update": may_send and current in OPEN_STATUSES,
            "may_open_case": is_receiver
            and not cut
            and referral.receiver_case_id is None
            and can(user, Perm.REFERRAL_DECIDE)
            and can(user, Perm.CASE_EDIT)
            and current in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS),
            "own_case": _own_case(user, referral) if is_receiver else None,
            "decline_form": DeclineForm(),
            "complete_form": CompleteForm(),
            "revoke_form": RevokeForm(),
            "update_form": UpdateForm(),
            **shelter_context,
        },
    )


def _shelter_context(user: Any, referral: Referral, current: str) -> dict[str, Any]:
    """For the receiver of a referral to one of its shelters (decision 0033): the stay it led
    to, or "Admit" for those who admit (or why not yet)."""
    from amparo.shelters import services as shelter_services
    from amparo.shelters.models import Admission

    shelter = shelter_services.shelter_for_referral(user, referral)
    if shelter is None:
        return {}
    # scoping: the stay linked to this referral, in a shelter the user sees (visible_to)
    admission = Admission.objects.visible_to(user).filter(referral_id=referral.pk).select_related("shelter").first()
    if admission is not None:
        return {"shelter_admission": admission, "may_see_admission": can(user, Perm.SHELTER_ADMIT)}
    if not can(user, Perm.SHELTER_ADMIT) or current not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        return {}
    return {
        "admit_shelter": shelter,
        "admit_problem": shelter_services.referral_admission_problem(user, referral, shelter),
    }


def _own_case(user: Any, referral: Referral) -> Case | None:
    """The receiver's own case opened from the referral, if the reader may see it."""
    if referral.receiver_case_id is None:
        return None
    return Case.objects.visible_to(user).filter(pk=referral.receiver_case_id).first()


def _act(
    request: HttpRequest, pk: int, perm: str, form_class: Any, action: Callable[..., Any], done: str
) -> HttpResponse:
    if not can(request.user, perm):
        raise PermissionDenied
    referral = get_visible_or_404(Referral, request.user, pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(
            request,
            _("Check the form: %(errors)s") % {"errors": " ".join(e for errs in form.errors.values() for e in errs)},
        )
        return redirect("referral:detail", pk=referral.pk)
    try:
        action(referral, **(form.cleaned_data if form is not None else {}))
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else _("You cannot do this on this referral.")
        messages.error(request, text)
        return redirect("referral:detail", pk=referral.pk)
    except sealing.NoKeys:
        messages.error(
            request, _("The other organisation has not set up its keys yet, so nothing can be sealed to it.")
        )
        return redirect("referral:detail", pk=referral.pk)
    messages.success(request, done)
    return redirect("referral:detail", pk=referral.pk)


@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_DECIDE,
        None,
        lambda r: workflow.referral_accept(actor=request.user, referral=r),
        _("The referral was accepted."),
    )


@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_DECIDE,
        DeclineForm,
        lambda r, **kw: workflow.referral_decline(actor=request.user, referral=r, **kw),
        _("The referral was declined."),
    )


@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_DECIDE,
        None,
        lambda r: workflow.referral_start(actor=request.user, referral=r),
        _("The referral is in progress."),
    )


@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_DECIDE,
        CompleteForm,
        lambda r, **kw: workflow.referral_complete(actor=request.user, referral=r, **kw),
        _("The outcome was reported to the referring organisation."),
    )


@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_SEND,
        RevokeForm,
        lambda r, **kw: workflow.referral_revoke(actor=request.user, referral=r, **kw),
        _("The referral was revoked: the other organisation can no longer read what was shared."),
    )


@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        Perm.REFERRAL_SEND,
        UpdateForm,
        lambda r, **kw: workflow.referral_update_send(actor=request.user, referral=r, **kw),
        _("The update was sent."),
    )


def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiver opens its own case from an accepted referral: consent recorded again by its
    case worker, the name and summary prefilled from the shared fields (and editable)."""
    from amparo.cases import services as case_services
    from amparo.cases import texts
    from amparo.cases.forms import ConsentForm
    from amparo.cases.vocabularies import ConsentPurpose

    if not can(request.user, Perm.CASE_EDIT):
        raise PermissionDenied
    referral = get_visible_or_404(Referral, request.user, pk=pk, receiver_id=request.user.organisation_id)  # type: ignore[union-attr]
    if not can(request.user, Perm.REFERRAL_DECIDE):
        raise PermissionDenied
    cut = workflow.receiver_access_cut(referral)
    if cut:
        messages.error(request, str(workflow.CUT_REASONS[cut]))
        return redirect("referral:detail", pk=referral.pk)
    name, summary, locked = "", "", False
    if request.method != "POST":  # the prefill is read (and audited) once, for the form
        try:
            name, summary = workflow.case_prefill(
                workflow.referral_open(request=request, actor=request.user, referral=referral)
            )
        except sealing.Locked:
            locked = True
    consent_form = ConsentForm(request.POST or None, initial={"text_language": (request.LANGUAGE_CODE or "en")[:2]})
    person_form = OpenCaseForm(request.POST or None, initial={"given_name": name, "summary": summary})
    if request.method == "POST" and consent_form.is_valid() and person_form.is_valid():
        try:
            with transaction.atomic():
                consent = case_services.consent_record(
                    actor=request.user,  # type: ignore[arg-type]
                    given_by=consent_form.cleaned_data["given_by"],
                    child_assent=consent_form.cleaned_data["child_assent"],
                    text_language=consent_form.cleaned_data["text_language"],
                    purposes=consent_form.purposes(),
                )
                case = workflow.referral_open_case(
                    request=request, actor=request.user, referral=referral, consent=consent, **person_form.cleaned_data
                )
        except ValidationError as exc:
            person_form.add_error(None, exc)
        else:
            messages.success(request, _("Case %(ref)s opened from the referral.") % {"ref": case.reference})
            return redirect("cases:case_detail", reference=case.reference)
    text = texts.consent_text()
    return render(
        request,
        "referrals/referral_open_case.html",
        {
            "referral": referral,
            "locked": locked,
            "form": consent_form,
            "person_form": person_form,
            "consent_text": texts.in_language(text["languages"]),
            "version": text["version"],
            "purposes": [
                (label, consent_form[f"agreed_{purpose}"], consent_form[f"basis_{purpose}"])
                for purpose, label in ConsentPurpose.choices
            ],
        },
        status=400 if request.method == "POST" else 200,
    )
