"""Shelter pages: the list, a shelter's occupancy, its history chart, admissions, discharges
and the waiting list. Thin: forms parse, services.py decides. Every object is resolved through
`visible_to` (`get_visible_or_404`); another organisation's shelter is the same 404 as a
missing one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.cases.models import Case
from amparo.core.dbrouter import from_replica
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.referrals import workflow
from amparo.referrals.models import Service
from amparo.referrals.workflow_models import Referral
from amparo.shelters import charts, services
from amparo.shelters.forms import AdmissionForm, DischargeForm, HistoryForm, ShelterForm, WaitingForm
from amparo.shelters.models import Admission, Shelter, WaitingEntry, WaitingStatus


def _require(request: HttpRequest, perm: str) -> None:
    if not can(request.user, perm):
        raise PermissionDenied


def _run(form: forms.Form, action: Callable[[], Any]) -> Any:
    """Run a service; its ValidationError becomes the form's errors (never a 500)."""
    try:
        return action()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return None


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _with_names(request: HttpRequest, rows: list[Any]) -> list[Any]:
    names = services.names_for(request.user, [row.case_id for row in rows])
    for row in rows:
        row.person_name = names.get(row.case_id, "")
    return rows


def shelter_list(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.SHELTER_VIEW)
    shelters = list(Shelter.objects.visible_to(request.user))
    rows = [{"shelter": shelter, "beds": services.occupancy(shelter)} for shelter in shelters]
    return render(
        request,
        "shelters/shelter_list.html",
        {"rows": rows, "can_manage": can(request.user, Perm.SHELTER_MANAGE)},
    )


def _shelter_services(request: HttpRequest) -> Any:
    return (
        Service.objects.visible_to(request.user)
        .filter(service_type__code="shelter", shelter__isnull=True, on_amparo=True)
        .order_by("name")
    )


def shelter_create(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.SHELTER_MANAGE)
    if not can(request.user, Perm.SERVICE_MANAGE):
        raise PermissionDenied
    form = ShelterForm(request.POST or None, services=_shelter_services(request))
    if request.method == "POST" and form.is_valid():
        fields = form.shelter_fields()
        service = form.cleaned_data["service"]
        shelter = _run(form, lambda: services.shelter_create(actor=request.user, service=service, **fields))
        if shelter is not None:
            messages.success(request, _("The shelter was created. Its location is now confidential in the directory."))
            return redirect("shelters:shelter_detail", pk=shelter.pk)
    return render(request, "shelters/shelter_form.html", {"form": form, "shelter": None}, status=_status(form))


def shelter_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.SHELTER_MANAGE)
    shelter = get_visible_or_404(Shelter, request.user, pk=pk)
    form = ShelterForm(request.POST or None, shelter=shelter, initial=ShelterForm.initial_for(shelter))
    if request.method == "POST" and form.is_valid():
        saved = _run(
            form, lambda: services.shelter_update(actor=request.user, shelter=shelter, **form.shelter_fields())
        )
        if saved is not None:
            messages.success(request, _("The shelter was saved."))
            return redirect("shelters:shelter_detail", pk=shelter.pk)
    return render(request, "shelters/shelter_form.html", {"form": form, "shelter": shelter}, status=_status(form))


def shelter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Occupancy now, the waiting list and, for those who admit, the people staying."""
    _require(request, Perm.SHELTER_VIEW)
    shelter = get_visible_or_404(Shelter, request.user, pk=pk)
    may_admit = can(request.user, Perm.SHELTER_ADMIT)
    waiting = _with_names(
        request,
        list(
            services.with_case_reference(
                WaitingEntry.objects.visible_to(request.user).filter(shelter=shelter, status=WaitingStatus.WAITING)
            )
        ),
    )
    staying = (
        _with_names(
            request,
            list(
                services.with_case_reference(
                    Admission.objects.visible_to(request.user).filter(shelter=shelter).current()
                ).order_by("admitted_on", "id")
            ),
        )
        if may_admit
        else []
    )
    return render(
        request,
        "shelters/shelter_detail.html",
        {
            "shelter": shelter,
            "beds": services.occupancy(shelter),
            "waiting": waiting,
            "staying": staying,
            "may_admit": may_admit,
            "may_manage": can(request.user, Perm.SHELTER_MANAGE),
            "may_wait": can(request.user, Perm.SHELTER_WAITLIST),
            "referred": services.referrals_to_admit(request.user, shelter) if may_admit else [],
        },
    )


def shelter_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Daily occupancy of the last 30 or 90 days: an SVG chart and the same numbers in a table."""
    _require(request, Perm.SHELTER_VIEW)
    shelter = get_visible_or_404(Shelter, request.user, pk=pk)
    form = HistoryForm(request.GET or None)
    days = (form.cleaned_data.get("days") if form.is_valid() else None) or 30
    # A chart of past days: read from the replica when one is configured (decision 0037).
    history = from_replica(lambda: services.occupancy_history(shelter, days=days))
    capacities = services.capacities_of(shelter)
    types = [
        (value, label)
        for value, label in services.BedType.choices
        if capacities.get(value) or any(day.occupied.get(value) for day in history)
    ]
    rows = [
        {"day": day.day, "counts": [day.occupied.get(v, 0) for v, _l in types], "total": day.total}
        for day in reversed(history)
    ]
    return render(
        request,
        "shelters/shelter_history.html",
        {
            "shelter": shelter,
            "form": form,
            "days": days,
            "chart": charts.occupancy_svg(history, sum(capacities.values())),
            "types": types,
            "rows": rows,
            "capacity": sum(capacities.values()),
        },
        status=_status(form),
    )


def waiting_admit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admit the person of a waiting-list entry (put there by someone who can open the case)."""
    _require(request, Perm.SHELTER_ADMIT)
    entry = get_visible_or_404(WaitingEntry, request.user, pk=pk, status=WaitingStatus.WAITING)
    shelter = entry.shelter
    entry.case_reference = services.with_case_reference(  # type: ignore[attr-defined]
        WaitingEntry.objects.visible_to(request.user).filter(pk=entry.pk)
    ).values_list("case_reference", flat=True)[0]
    form = AdmissionForm(request.POST or None, initial={"bed_type": entry.bed_type})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # scoping: the case of an entry on the actor's own shelter's list: its id and organisation, nothing decrypted
        case = Case.objects.only("id", "organisation_id").get(pk=entry.case_id)
        admission = _run(
            form,
            lambda: services.admission_create(
                actor=request.user,
                shelter=shelter,
                case=case,
                bed_type=data["bed_type"],
                admitted_on=data["admitted_on"],
                expected_days=data["expected_days"],
                over_capacity_reason=data["over_capacity_reason"],
                entry=entry,
            ),
        )
        if admission is not None:
            messages.success(request, _("The person was admitted and left the waiting list."))
            return redirect("shelters:shelter_detail", pk=shelter.pk)
    return render(
        request,
        "shelters/admission_form.html",
        {"form": form, "shelter": shelter, "entry": entry, "beds": services.occupancy(shelter)},
        status=_status(form),
    )


def _admission(request: HttpRequest, pk: int) -> Admission:
    admission = get_visible_or_404(Admission, request.user, pk=pk)
    admission.case_reference = services.with_case_reference(  # type: ignore[attr-defined]
        Admission.objects.visible_to(request.user).filter(pk=admission.pk)
    ).values_list("case_reference", flat=True)[0]
    _with_names(request, [admission])
    return admission


def _referral_context(request: HttpRequest, admission: Admission) -> dict[str, Any]:
    """The referral a stay came from, for its page: the referring organisation's name and
    whether the discharge will report the outcome to it (decision 0033)."""
    if admission.referral_id is None:
        return {"referral": None, "reports_to": ""}
    referral = Referral.objects.visible_to(request.user).filter(pk=admission.referral_id).first()
    if referral is None:
        return {"referral": None, "reports_to": ""}
    sender = workflow.organisation_names({referral.sender_id}).get(referral.sender_id, "")
    reports = services.referral_to_report(request.user, admission) is not None
    return {"referral": referral, "sender_name": sender, "reports_to": sender if reports else ""}


def admission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One stay (audited read), with the discharge form while it lasts."""
    _require(request, Perm.SHELTER_ADMIT)
    admission = _admission(request, pk)
    services.admission_viewed(actor=request.user, admission=admission)
    context = _referral_context(request, admission)
    form = DischargeForm(reports_to=context["reports_to"]) if admission.discharged_on is None else None
    return render(request, "shelters/admission_detail.html", {"admission": admission, "form": form, **context})


@require_POST
def admission_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.SHELTER_ADMIT)
    admission = _admission(request, pk)
    context = _referral_context(request, admission)
    form = DischargeForm(request.POST, reports_to=context["reports_to"])
    if form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: services.admission_discharge(
                actor=request.user,
                admission=admission,
                discharged_on=data["discharged_on"],
                destination=data["destination"],
                reason=data["reason"],
                note_for_sender=data.get("note_for_sender", ""),
            ),
        )
        if done is not None:
            messages.success(request, _("The stay ended: the bed is free."))
            if context["reports_to"]:
                messages.success(
                    request,
                    _("The outcome was reported to %(org)s: %(outcome)s.")
                    % {
                        "org": context["reports_to"],
                        "outcome": services.Outcome(services.OUTCOME_FOR_DESTINATION[data["destination"]]).label,
                    },
                )
            return redirect("shelters:shelter_detail", pk=admission.shelter_id)
    return render(
        request, "shelters/admission_detail.html", {"admission": admission, "form": form, **context}, status=400
    )


def referral_admit(request: HttpRequest, pk: int) -> HttpResponse:
    """Admit the person of an accepted referral to the shelter it was sent to (decision 0033).
    The shelter manager sees the referring organisation, the reference of the case their
    organisation opened from the referral and the beds, never the sealed content."""
    _require(request, Perm.SHELTER_ADMIT)
    _require(request, Perm.REFERRAL_DECIDE)
    referral = get_visible_or_404(Referral, request.user, pk=pk, receiver_id=request.user.organisation_id)  # type: ignore[union-attr]
    shelter = services.shelter_for_referral(request.user, referral)
    problem = services.referral_admission_problem(request.user, referral, shelter)
    if problem:
        messages.error(request, problem)
        return redirect("referral:detail", pk=referral.pk)
    assert shelter is not None and referral.receiver_case_id is not None  # a problem otherwise
    # scoping: the reference of the case the actor's organisation opened from the referral (nothing decrypted)
    reference = Case.objects.filter(pk=referral.receiver_case_id).values_list("reference", flat=True).first()
    form = AdmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        admission = _run(
            form,
            lambda: services.admission_from_referral(
                actor=request.user,
                referral=referral,
                bed_type=data["bed_type"],
                admitted_on=data["admitted_on"],
                expected_days=data["expected_days"],
                over_capacity_reason=data["over_capacity_reason"],
            ),
        )
        if admission is not None:
            messages.success(
                request, _("The person was admitted; the referring organisation sees the referral in progress.")
            )
            return redirect("shelters:admission_detail", pk=admission.pk)
    sender = workflow.organisation_names({referral.sender_id}).get(referral.sender_id, "")
    return render(
        request,
        "shelters/referral_admit.html",
        {
            "form": form,
            "shelter": shelter,
            "referral": referral,
            "reference": reference,
            "sender_name": sender,
            "beds": services.occupancy(shelter),
        },
        status=_status(form),
    )


def waiting_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.SHELTER_WAITLIST)
    shelter = get_visible_or_404(Shelter, request.user, pk=pk)
    form = WaitingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = _run(
            form,
            lambda: services.waiting_add(
                actor=request.user,
                shelter=shelter,
                case_reference=data["case_reference"],
                bed_type=data["bed_type"],
                priority=data["priority"],
            ),
        )
        if entry is not None:
            messages.success(request, _("The person is on the waiting list."))
            return redirect("shelters:shelter_detail", pk=shelter.pk)
    return render(request, "shelters/waiting_form.html", {"form": form, "shelter": shelter}, status=_status(form))


@require_POST
def waiting_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Perm.SHELTER_ADMIT)
    entry = get_visible_or_404(WaitingEntry, request.user, pk=pk, status=WaitingStatus.WAITING)
    services.waiting_withdraw(actor=request.user, entry=entry)
    messages.success(request, _("The person was taken off the waiting list."))
    return redirect("shelters:shelter_detail", pk=entry.shelter_id)
