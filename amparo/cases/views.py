from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases import services, texts
from amparo.cases.forms import (
    AssignForm,
    BreakGlassForm,
    CaseSearchForm,
    ClosureDecisionForm,
    ClosureRequestForm,
    ConsentForm,
    ConsentOverrideForm,
    ContextForm,
    DecisionForm,
    DuplicateDismissForm,
    EventForm,
    NoteForm,
    PersonForm,
    ReopenForm,
    ScreeningForm,
    ServicePlanForm,
    ServiceUpdateForm,
    WithdrawConsentForm,
)
from amparo.cases.models import Case, CaseClosure, ClosureDecision, Consent
from amparo.cases.vocabularies import (
    ConsentPurpose,
    ExploitationType,
    IsicSection,
    MeansOfControl,
    PerpetratorRole,
    SexualExploitationType,
    language_name,
)
from amparo.core.countries import country_name
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404

CONTEXT_LISTS = {
    "means_of_control": MeansOfControl,
    "exploitation_types": ExploitationType,
    "forced_labour_industries": IsicSection,
    "sexual_exploitation_types": SexualExploitationType,
    "perpetrator_roles": PerpetratorRole,
}


def labels(vocabulary: Any, codes: list[str]) -> list[str]:
    """The translated labels of stored codes (a code no longer in the list shows as itself)."""
    known = dict(vocabulary.choices)
    return [str(known.get(code, code)) for code in codes]


def _case(request: HttpRequest, reference: str, perm: str) -> Case:
    """The case named by `reference`, if the user holds `perm` and may see it; else 403/404."""
    if not can(request.user, perm):
        raise PermissionDenied
    return get_visible_or_404(Case, request.user, reference=reference)


def _child_or_404(rows: Any, pk: int) -> Any:
    """A child row reached through its visible parent (`case.services.all()`), or 404."""
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _run(form: forms.Form, action: Callable[[], Any]) -> Any:
    """Call the service; turn its ValidationError into form errors. None when it refused."""
    try:
        return action()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return None


def _action_page(
    request: HttpRequest,
    case: Case,
    form: forms.Form,
    title: str,
    action: Callable[[], Any],
    done: str,
    intro: str = "",
) -> HttpResponse:
    if request.method == "POST" and form.is_valid() and _run(form, action) is not None:
        messages.success(request, done)
        return redirect("cases:case_detail", reference=case.reference)
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "form": form, "title": title, "intro": intro}
    return render(request, "cases/case_action.html", context, status=status)


def case_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.CASE_VIEW):
        raise PermissionDenied
    form = CaseSearchForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    cases = services.case_search(
        actor=request.user,  # type: ignore[arg-type]
        query=criteria.get("q", ""),
        name=criteria.get("name", ""),
        birth_date=criteria.get("birth_date"),
    ).only("reference", "person_name", "status", "created_at", "organisation_id")[:50]
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "cases": cases,
            "searched": any(criteria.values()),
            "can_create": can(request.user, Perm.CASE_EDIT),
        },
    )


def case_create(request: HttpRequest) -> HttpResponse:
    """Registration, step 1: the consent conversation, recorded before the person."""
    if not can(request.user, Perm.CASE_EDIT):
        raise PermissionDenied
    form = ConsentForm(request.POST or None, initial={"text_language": (request.LANGUAGE_CODE or "en")[:2]})
    if request.method == "POST" and form.is_valid():
        consent = services.consent_record(
            actor=request.user,  # type: ignore[arg-type]
            given_by=form.cleaned_data["given_by"],
            child_assent=form.cleaned_data["child_assent"],
            text_language=form.cleaned_data["text_language"],
            purposes=form.purposes(),
        )
        return redirect("cases:case_register", registration=consent.registration)
    text = texts.consent_text()
    return render(
        request,
        "cases/case_create.html",
        {
            "form": form,
            "consent_text": texts.in_language(text["languages"]),
            "version": text["version"],
            "purposes": [
                (label, form[f"agreed_{purpose}"], form[f"basis_{purpose}"])
                for purpose, label in ConsentPurpose.choices
            ],
        },
    )


def case_register(request: HttpRequest, registration: str) -> HttpResponse:
    """Registration, step 2: the person, after likely duplicates have been shown."""
    if not can(request.user, Perm.CASE_EDIT):
        raise PermissionDenied
    consent = get_visible_or_404(Consent, request.user, registration=registration, case__isnull=True)
    form = PersonForm(request.POST or None)
    duplicates: list[tuple[Case, list[str]]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = services.likely_duplicates(
            actor=request.user,  # type: ignore[arg-type]
            name=" ".join(filter(None, [data["given_name"], data["family_name"], data["other_names"]])),
            phones=[data["phone"], data["other_phone"]],
            document_number=data["document_number"],
            birth_date=data["birth_date"],
        )
        if not duplicates or request.POST.get("confirm_new") == "1":
            case = _run(
                form,
                lambda: services.case_create(
                    actor=request.user,  # type: ignore[arg-type]
                    consent=consent,
                    duplicates_reviewed=True,
                    **data,
                ),
            )
            if case is not None:
                messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
                return redirect("cases:case_detail", reference=case.reference)
    return render(
        request,
        "cases/case_register.html",
        {"form": form, "consent": consent, "duplicates": duplicates},
        status=400 if request.method == "POST" and not duplicates else 200,
    )


def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_visible_or_404(Case, request.user, reference=reference)
    services.case_read(actor=request.user, case=case)  # type: ignore[arg-type]
    user = request.user
    consents = [(label, services.consent_allows(case, purpose)) for purpose, label in ConsentPurpose.choices]
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "citizenship": [country_name(code) for code in case.citizenship],
            **{name: labels(vocabulary, getattr(case, name)) for name, vocabulary in CONTEXT_LISTS.items()},
            "language": language_name(case.primary_language),
            "consents": consents,
            "decisions": case.decisions.select_related("decided_by"),
            "events": case.events.all(),
            "screenings": case.screenings.select_related("screened_by")[:5],
            "notes": case.notes.select_related("author"),
            "pending_closure": case.closures.filter(decision=ClosureDecision.PENDING).first(),
            "emergency_accesses": case.emergency_accesses.select_related("user")[:10],
            "services": case.services.all(),
            "duplicate_alerts": [
                (alert, alert.other if alert.case_id == case.pk else alert.case)
                for alert in chain(
                    case.duplicate_alerts.filter(dismissed_at__isnull=True).select_related("other"),
                    case.duplicate_alerts_as_other.filter(dismissed_at__isnull=True).select_related("case"),
                )
            ],
            "can_edit": can(user, Perm.CASE_EDIT),
            "can_note": can(user, Perm.CASE_NOTE),
            "can_override": can(user, Perm.CASE_CONSENT_OVERRIDE),
            "by_emergency": not can(user, Perm.CASE_VIEW),
        },
    )


def case_person_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    initial = {name: getattr(case, name) for name in services.PERSON_FIELDS} | {
        "birth_date": case.birth_date_value,
        "given_name": case.given_name or case.person_name,  # cases opened before names were split
    }
    form = PersonForm(request.POST or None, initial=initial)
    if request.method != "POST":
        services.case_read(actor=request.user, case=case, reason="edit_form")  # type: ignore[arg-type]
    return _action_page(
        request,
        case,
        form,
        _("The person"),
        lambda: services.case_update_person(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The person's details were saved."),
    )


def case_context_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    initial = {name: getattr(case, name) for name in services.CONTEXT_FIELDS}
    birth = case.birth_date_value
    current_age = (timezone.localdate() - birth).days // 365 if birth else None
    form = ContextForm(request.POST or None, initial=initial, current_age=current_age)
    if request.method != "POST":
        services.case_read(actor=request.user, case=case, reason="edit_form")  # type: ignore[arg-type]
    return _action_page(
        request,
        case,
        form,
        _("What happened: the victim context"),
        lambda: services.case_update_context(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The victim context was saved."),
    )


def decision_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = DecisionForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Record a decision on trafficking status"),
        lambda: services.decision_record(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The decision was recorded."),
        intro=_(
            "A screening suggests; this is the decision a person or an authority took. Earlier decisions are kept."
        ),
    )


def event_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = EventForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Add a step of the route"),
        lambda: services.event_add(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The step was added to the route."),
    )


def screening_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = ScreeningForm(request.POST or None)
    data = texts.indicator_list()
    if request.method == "POST" and form.is_valid():
        screening = _run(
            form,
            lambda: services.screening_record(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        )
        if screening is not None:
            messages.success(
                request,
                _("Indicators present: %(present)s of %(total)s. This is a suggestion; record the decision separately.")
                % {"present": screening.present, "total": screening.total},
            )
            return redirect("cases:case_detail", reference=case.reference)
    return render(
        request,
        "cases/screening_create.html",
        {
            "case": case,
            "form": form,
            "title": texts.in_language(data["title"]),
            "guidance": texts.in_language(data["guidance"]),
            "version": data["version"],
        },
        status=400 if request.method == "POST" else 200,
    )


def consent_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = WithdrawConsentForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Record a withdrawal of consent"),
        lambda: services.consent_withdraw(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The withdrawal was recorded; the purpose is now refused."),
    )


def consent_override(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_CONSENT_OVERRIDE)
    form = ConsentOverrideForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Authorise a use without consent"),
        lambda: services.consent_override(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The override was recorded. It lasts 24 hours."),
        intro=_("Only where the law requires it or a life is at risk. The reason is kept and audited."),
    )


def note_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_NOTE)
    form = NoteForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Add a note"),
        lambda: services.note_add(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The note was added."),
    )


def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = AssignForm(request.POST or None, staff=services.assignable_staff(request.user))  # type: ignore[arg-type]
    return _action_page(
        request,
        case,
        form,
        _("Assign the case"),
        lambda: services.case_assign(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The case was assigned."),
    )


def closure_request_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = ClosureRequestForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Ask to close the case"),
        lambda: services.closure_request(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("An administrator of your organisation will approve the closure."),
    )


def case_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = ReopenForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Reopen the case"),
        lambda: services.case_reopen(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The case was reopened."),
    )


def closure_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.CASE_CLOSE_APPROVE):
        raise PermissionDenied
    closures = (
        CaseClosure.objects.visible_to(request.user)
        .filter(decision=ClosureDecision.PENDING)
        .select_related("case", "requested_by")
    )
    return render(request, "cases/closure_list.html", {"closures": closures})


def closure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, Perm.CASE_CLOSE_APPROVE):
        raise PermissionDenied
    closure = get_visible_or_404(CaseClosure, request.user, pk=pk, decision=ClosureDecision.PENDING)
    form = ClosureDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.closure_decide(actor=request.user, closure=closure, approve=approve)  # type: ignore[arg-type]
        except PermissionDenied:
            form.add_error(None, _("You asked for this closure; another administrator must decide it."))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The case was closed.") if approve else _("The closure was not approved."))
            return redirect("cases:closure_list")
    return render(
        request,
        "cases/closure_decide.html",
        {"closure": closure, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def case_break_glass(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.CASE_BREAK_GLASS):
        raise PermissionDenied
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = _run(form, lambda: services.break_glass_open(actor=request.user, **form.cleaned_data))  # type: ignore[arg-type]
        if case is not None:
            return redirect("cases:case_detail", reference=case.reference)
    return render(
        request, "cases/case_break_glass.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


def service_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = ServicePlanForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Plan a service"),
        lambda: services.service_plan(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The service was added to the support plan."),
    )


def service_update(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    service = _child_or_404(case.services.all(), pk)
    form = ServiceUpdateForm(
        request.POST or None, initial={"status": service.status, "completed_on": service.completed_on}
    )
    return _action_page(
        request,
        case,
        form,
        _("Update the service: %(service)s") % {"service": service.get_service_type_display()},
        lambda: services.service_update(actor=request.user, service=service, **form.cleaned_data),  # type: ignore[arg-type]
        _("The service was updated."),
    )


def duplicate_dismiss(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    # Reached through the visible case, from either side of the pair.
    alert = _child_or_404(case.duplicate_alerts.all() | case.duplicate_alerts_as_other.all(), pk)
    form = DuplicateDismissForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Not the same person"),
        lambda: services.duplicate_dismiss(actor=request.user, alert=alert),  # type: ignore[arg-type]
        _("The alert was dismissed."),
    )
