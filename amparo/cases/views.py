from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from amparo.cases import screening, services, texts
from amparo.cases.forms import (
    AssignForm,
    AttachmentForm,
    BreakGlassForm,
    CaseSearchForm,
    ClosureDecisionForm,
    ClosureRequestForm,
    ConsentForm,
    ConsentOverrideForm,
    ContextForm,
    DecisionForm,
    DuplicateDismissForm,
    ErasureForm,
    ErasureStartForm,
    EventForm,
    ExportForm,
    LegalAssistanceForm,
    NoteForm,
    PersonForm,
    ProceedingForm,
    ReopenForm,
    ScreeningForm,
    ServicePlanForm,
    ServiceUpdateForm,
    TransferDecisionForm,
    TransferRequestForm,
    WithdrawConsentForm,
)
from amparo.cases.models import Case, CaseClosure, CaseTransfer, ClosureDecision, Consent, TransferDecision
from amparo.cases.screening import missing_elements
from amparo.cases.vocabularies import (
    ConsentPurpose,
    ExploitationType,
    IsicSection,
    MeansOfControl,
    PerpetratorRole,
    SexualExploitationType,
    language_name,
)
from amparo.core import blobs, vault
from amparo.core.countries import country_name
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.reports import services as reports_services

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
    """A child row among `rows` (read through `visible_to`, from its visible parent), or 404."""
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


def my_cases(request: HttpRequest) -> HttpResponse:
    """The cases assigned to the user (as case worker or legal adviser): open ones first,
    the most recently changed first; then, for those who edit cases, the open cases of the
    organisation without an active case worker, to take on."""
    if not can(request.user, Perm.CASE_VIEW):
        raise PermissionDenied
    fields = ("reference", "person_name", "status", "updated_at", "organisation_id", "assigned_to_id")
    visible = Case.objects.visible_to(request.user)
    mine = sorted(
        visible.assigned_to_user(request.user).only(*fields).order_by("-updated_at")[:200],
        key=lambda case: not case.is_open,
    )
    unassigned = (
        visible.open().filter(Q(assigned_to__isnull=True) | Q(assigned_to__is_active=False)).only(*fields)[:50]
        if can(request.user, Perm.CASE_EDIT)
        else []
    )
    return render(request, "cases/my_cases.html", {"mine": mine, "unassigned": unassigned})


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
        target = reverse("cases:case_register", kwargs={"registration": consent.registration})
        source = _from_signal(request)
        return redirect(f"{target}?signal={source[0].reference}" if isinstance(source, tuple) else target)
    source = _from_signal(request)
    if isinstance(source, HttpResponse):
        return source
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
            "from_signal": source[0] if source else None,
        },
    )


def _from_signal(request: HttpRequest) -> tuple[Any, dict[str, Any]] | HttpResponse | None:
    """The signal (?signal=S-...) a case is being opened from, opened in this session, or None.

    Needs report.triage besides case.edit; a signal of another organisation or already
    linked answers 404; a session without the organisation's unlocked key gets the
    signal's locked page (the facts to carry over are sealed)."""
    from amparo.core import sealing
    from amparo.reports import services as reports
    from amparo.reports.models import Signal

    reference = request.GET.get("signal", "")
    if not reference:
        return None
    if not can(request.user, Perm.REPORT_TRIAGE):
        raise PermissionDenied
    signal = get_visible_or_404(Signal, request.user, reference=reference, case__isnull=True)
    try:
        opened = reports.signal_open(request=request, actor=request.user, signal=signal)
    except sealing.Locked:
        return render(request, "reports/signal_locked.html", {"signal": signal})
    return signal, opened.answers


def case_register(request: HttpRequest, registration: str) -> HttpResponse:
    """Registration, step 2: the person, after likely duplicates have been shown."""
    if not can(request.user, Perm.CASE_EDIT):
        raise PermissionDenied
    consent = get_visible_or_404(Consent, request.user, registration=registration, case__isnull=True)
    source = _from_signal(request)
    if isinstance(source, HttpResponse):
        return source
    initial = {"summary": reports_services.case_summary_from(*source)} if source else {}
    form = PersonForm(request.POST or None, initial=initial)
    duplicates: list[tuple[Case, list[str]]] = []
    unseen: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = {
            "name": " ".join(filter(None, [data["given_name"], data["family_name"], data["other_names"]])),
            "phones": [data["phone"], data["other_phone"]],
            "document_number": data["document_number"],
            "birth_date": data["birth_date"],
        }
        duplicates = services.likely_duplicates(actor=request.user, **person)  # type: ignore[arg-type]
        unseen = services.unseen_duplicates(actor=request.user, **person)  # type: ignore[arg-type]
        if not (duplicates or unseen) or request.POST.get("confirm_new") == "1":

            def create() -> Case:
                with transaction.atomic():  # the case exists only with its link to the signal
                    case = services.case_create(
                        actor=request.user,  # type: ignore[arg-type]
                        consent=consent,
                        duplicates_reviewed=True,
                        **data,
                    )
                    if source:
                        signal, answers = source
                        reports_services.signal_link_case(actor=request.user, signal=signal, case=case, answers=answers)
                return case

            case = _run(form, create)
            if case is not None:
                messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
                return redirect("cases:case_detail", reference=case.reference)
    return render(
        request,
        "cases/case_register.html",
        {
            "form": form,
            "consent": consent,
            "duplicates": duplicates,
            "unseen": unseen,
            "from_signal": source[0] if source else None,
        },
        status=400 if request.method == "POST" and not (duplicates or unseen) else 200,
    )


def _with_title(record: Any) -> Any:
    record.title = _tool_title(record.tool)
    return record


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
            "decisions": case.decisions.visible_to(user).select_related("decided_by"),
            "events": case.events.visible_to(user),
            "screenings": [
                _with_title(record) for record in case.screenings.visible_to(user).select_related("screened_by")[:5]
            ],
            "notes": case.notes.visible_to(user).select_related("author"),
            "attachments": case.attachments.visible_to(user).select_related("uploaded_by").defer("content"),
            "attachment_form": AttachmentForm() if can(user, Perm.CASE_NOTE) else None,
            "follow_up_services": [
                s for s in case.services.visible_to(user) if s.service_type in services.FOLLOW_UP_SERVICES
            ]
            if not case.is_open
            else [],
            # scoping: whether a closure waits is shown to all who see the case; the request itself to approvers
            "pending_closure": case.closures.filter(decision=ClosureDecision.PENDING).first(),
            # Only the owning organisation's own: after a transfer, the sender's emergency
            # openings (their staff's names and reasons) are the sender's business.
            # scoping: the visible case's own organisation's openings, shown to all who see the case
            "emergency_accesses": case.emergency_accesses.filter(organisation_id=case.organisation_id).select_related(
                "user"
            )[:10],
            "services": case.services.visible_to(user),
            "legal_assistance": case.legal_assistance.visible_to(user),
            "proceedings": case.proceedings.visible_to(user),
            "duplicate_alerts": [
                (alert, alert.other if alert.case_id == case.pk else alert.case)
                for alert in chain(
                    case.duplicate_alerts.visible_to(user).filter(dismissed_at__isnull=True).select_related("other"),
                    case.duplicate_alerts_as_other.visible_to(user)
                    .filter(dismissed_at__isnull=True)
                    .select_related("case"),
                )
            ],
            "signals": reports_services.case_signals(actor=user, case=case) if can(user, Perm.REPORT_VIEW) else [],
            "can_edit": can(user, Perm.CASE_EDIT),
            "can_note": can(user, Perm.CASE_NOTE),
            "can_override": can(user, Perm.CASE_CONSENT_OVERRIDE),
            "can_legal": can(user, Perm.CASE_LEGAL),
            "erasure": getattr(case, "erasure", None),
            # scoping: the pending transfer of the visible case (the receiving organisation's name only)
            "pending_transfer": case.transfers.filter(decision=TransferDecision.PENDING)
            .select_related("organisation")
            .first(),
            "by_emergency": not can(user, Perm.CASE_VIEW),
            "may_refer": _may_refer(user, case),
            "case_referrals": _case_referrals(user, case),
        },
    )


def _may_refer(user: Any, case: Case) -> bool:
    from amparo.referrals.workflow import may_refer

    return may_refer(user, case)


def _case_referrals(user: Any, case: Case) -> list[Any]:
    """The referrals sent from this case (metadata only), for those who see referrals."""
    from amparo.referrals.models import Referral

    return list(
        Referral.objects.visible_to(user)
        .filter(case=case, sender_id=case.organisation_id)
        .select_related("receiver", "service")
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


GRADE_LABELS = {
    "strong": pgettext_lazy("indicator grade", "strong"),
    "medium": pgettext_lazy("indicator grade", "medium"),
    "weak": pgettext_lazy("indicator grade", "weak"),
}
RECRUITMENT_LABELS = {
    "deceptive": pgettext_lazy("recruitment", "deceptive"),
    "coercive": pgettext_lazy("recruitment", "coercive"),
    "abuse_of_vulnerability": pgettext_lazy("recruitment", "by abuse of vulnerability"),
}


def _tool_title(tool: str) -> str:
    """The list's title in the active language (a tool no longer offered shows as its code)."""
    return texts.in_language(texts.indicator_list_for(tool)["title"]) if tool in texts.INDICATOR_LISTS else tool


def _indicator_groups(data: dict[str, Any], marked: set[str]) -> list[dict[str, Any]]:
    """The list's indicators grouped by dimension (one group for lists without dimensions),
    in the active language, each saying whether it is marked."""
    dimensions = data.get("dimensions") or [{"id": "", "indicators": data["indicators"]}]
    if "act" in data:
        dimensions = [data["act"], *dimensions]
    return [
        {
            "id": dimension["id"],
            "name": texts.in_language(dimension) if "en" in dimension else _("Indicators present"),
            "indicators": [
                {
                    "id": item["id"],
                    "text": texts.in_language(item),
                    "grade": item.get("grade", ""),
                    "grade_label": GRADE_LABELS.get(item.get("grade", ""), ""),
                    "marked": item["id"] in marked,
                }
                for item in dimension["indicators"]
            ],
        }
        for dimension in dimensions
    ]


def _either(names: Any) -> str:
    """ "A", "A or B", "A, B or C" in the active language."""
    names = [str(name) for name in names]
    if len(names) < 2:
        return "".join(names)
    return _("%(some)s or %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


def screening_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    asked = (request.POST if request.method == "POST" else request.GET).get("tool") or texts.DEFAULT_TOOL
    tool = asked if asked in texts.INDICATOR_LISTS else texts.DEFAULT_TOOL
    form = ScreeningForm(request.POST or None, tool=tool)
    if request.method == "POST" and form.is_valid():
        record = _run(
            form,
            lambda: services.screening_record(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        )
        if record is not None:
            messages.success(
                request,
                _("Indicators present: %(present)s of %(total)s. This is a suggestion; record the decision separately.")
                % {"present": record.present, "total": record.total},
            )
            return redirect("cases:screening_detail", reference=case.reference, pk=record.pk)
    data = form.indicator_list
    suggested = screening.suggested_tools(case, timezone.localdate())
    return render(
        request,
        "cases/screening_create.html",
        {
            "case": case,
            "form": form,
            "tool": tool,
            "unknown_tool": asked != tool,
            "tools": [
                {"tool": name, "title": _tool_title(name), "current": name == tool, "suggested": name in suggested}
                for name in texts.INDICATOR_LISTS
            ],
            "title": texts.in_language(data["title"]),
            "guidance": texts.in_language(data["guidance"]),
            "version": data["version"],
            "unchecked": not data.get("checked_against_source", True),
            "groups": _indicator_groups(data, set(request.POST.getlist("present"))),
        },
        status=400 if request.method == "POST" or asked != tool else 200,
    )


def screening_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """One screening: the indicators marked and, for lists with a combination rule, the
    suggestion per dimension and overall. Reached through the visible case; audited."""
    case = get_visible_or_404(Case, request.user, reference=reference)
    record = _child_or_404(case.screenings.visible_to(request.user).select_related("screened_by"), pk)
    services.screening_read(actor=request.user, screening=record)  # type: ignore[arg-type]
    marked = {indicator for indicator, present in record.answers.items() if present}
    data = texts.indicator_list_version(record.tool, record.version) or {
        "title": {"en": record.tool},
        "indicators": [{"id": indicator, "en": indicator} for indicator in record.answers],
    }
    groups = _indicator_groups(data, marked)
    present = record.result.get("dimensions", {})
    names = {group["id"]: group["name"] for group in groups}
    missing = (
        [_either(names.get(name, name) for name in group) for group in missing_elements(data["rule"], present)]
        if record.result and "rule" in data
        else []
    )
    for group in groups:
        group["present"] = present.get(group["id"], False)
        group["marked"] = [item for item in group["indicators"] if item["marked"]]
        group["counts"] = {grade: sum(item["grade"] == grade for item in group["marked"]) for grade in GRADE_LABELS}
    return render(
        request,
        "cases/screening_detail.html",
        {
            "case": case,
            "screening": record,
            "title": texts.in_language(data["title"]),
            "unchecked": not data.get("checked_against_source", True),
            "groups": groups,
            "result": record.result,
            "missing": missing,
            "recruitment": ", ".join(str(RECRUITMENT_LABELS.get(k, k)) for k in record.result.get("recruitment", [])),
            "can_edit": can(request.user, Perm.CASE_EDIT),
        },
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


def attachment_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_NOTE)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        attachment = _run(
            form,
            lambda: services.attachment_add(actor=request.user, case=case, upload=form.cleaned_data["upload"]),  # type: ignore[arg-type]
        )
        if attachment is not None:
            messages.success(request, _("The file was attached without its metadata."))
            return redirect("cases:case_detail", reference=case.reference)
    return render(
        request,
        "cases/attachment_create.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The cleaned file, reached through the visible case; never shown inline."""
    case = get_visible_or_404(Case, request.user, reference=reference)
    attachment = _child_or_404(case.attachments.visible_to(request.user), pk)
    try:
        content = services.attachment_read(actor=request.user, attachment=attachment)  # type: ignore[arg-type]
    except (blobs.ObjectDamaged, vault.VaultError):
        return render(request, "errors/attachment_unavailable.html", status=502)
    response = HttpResponse(content, content_type=attachment.content_type)
    extension = {"image/jpeg": "jpg", "application/pdf": "pdf"}.get(attachment.content_type, "png")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-{attachment.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = AssignForm(
        request.POST or None,
        initial={"assignee": case.assigned_to_id, "legal_adviser": case.legal_adviser_id},
        staff=services.assignable_staff(request.user),  # type: ignore[arg-type]
        legal_advisers=services.assignable_legal_advisers(request.user),  # type: ignore[arg-type]
    )
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
    summary = services.decision_summary(actor=request.user, case=closure.case, purpose="closure")  # type: ignore[arg-type]
    return render(
        request,
        "cases/closure_decide.html",
        {"closure": closure, "form": form, "summary": summary},
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
    service = _child_or_404(case.services.visible_to(request.user), pk)
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
    alert = _child_or_404(
        case.duplicate_alerts.visible_to(request.user) | case.duplicate_alerts_as_other.visible_to(request.user), pk
    )
    form = DuplicateDismissForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Not the same person"),
        lambda: services.duplicate_dismiss(actor=request.user, alert=alert),  # type: ignore[arg-type]
        _("The alert was dismissed."),
    )


def legal_assistance_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_LEGAL)
    form = LegalAssistanceForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Record legal assistance"),
        lambda: services.legal_assistance_add(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The legal assistance was recorded."),
    )


def proceeding_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_LEGAL)
    form = ProceedingForm(request.POST or None)
    return _action_page(
        request,
        case,
        form,
        _("Link a legal proceeding"),
        lambda: services.proceeding_add(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The proceeding was linked to the case."),
    )


def proceeding_update(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_LEGAL)
    proceeding = _child_or_404(case.proceedings.visible_to(request.user), pk)
    initial = {name: getattr(proceeding, name) for name in services.PROCEEDING_FIELDS}
    form = ProceedingForm(request.POST or None, initial=initial)
    return _action_page(
        request,
        case,
        form,
        _("Update the proceeding"),
        lambda: services.proceeding_update(actor=request.user, proceeding=proceeding, **form.cleaned_data),  # type: ignore[arg-type]
        _("The proceeding was updated."),
    )


def _export_language(request: HttpRequest) -> str:
    form = ExportForm(request.GET or None)
    if form.is_valid():
        return str(form.cleaned_data["language"])
    current = (request.LANGUAGE_CODE or "en")[:2]
    return current if current in services.EXPORT_LANGUAGES else "en"


def case_export(request: HttpRequest, reference: str) -> HttpResponse:
    """A printable page of everything the case holds about the person, in their language."""
    case = _case(request, reference, Perm.CASE_VIEW)
    language = _export_language(request)
    data = services.case_export_subject(actor=request.user, case=case, language=language, fmt="html")  # type: ignore[arg-type]
    with translation.override(language):
        response = render(
            request,
            "cases/case_export.html",
            {"case": case, "data": data, "form": ExportForm(initial={"language": language})},
        )
    response["Cache-Control"] = "no-store"
    return response


def case_export_json(request: HttpRequest, reference: str) -> HttpResponse:
    """The same export as a JSON file to hand to the person."""
    case = _case(request, reference, Perm.CASE_VIEW)
    language = _export_language(request)
    data = services.case_export_subject(actor=request.user, case=case, language=language, fmt="json")  # type: ignore[arg-type]
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-{language}.json"'
    response["Cache-Control"] = "no-store"
    return response


def case_erase_start(request: HttpRequest) -> HttpResponse:
    """Where an administrator types the reference of the case to erase."""
    if not can(request.user, Perm.CASE_ERASE):
        raise PermissionDenied
    form = ErasureStartForm(request.GET or None)
    if form.is_valid():
        return redirect("cases:case_erase", reference=form.cleaned_data["reference"].strip().upper())
    return render(request, "cases/case_erase_start.html", {"form": form})


def case_erase(request: HttpRequest, reference: str) -> HttpResponse:
    """An organisation administrator erases a case at the person's request. The page shows
    the reference and a need-to-know summary (status, support plan, what will be erased):
    administrators cannot read case files."""
    if not can(request.user, Perm.CASE_ERASE):
        raise PermissionDenied
    case = services.case_for_erasure(actor=request.user, reference=reference)  # type: ignore[arg-type]
    if case is None:
        raise Http404
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erasure = _run(
            form,
            lambda: services.case_erase(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        )
        if erasure is not None:
            messages.success(request, _("Case %(ref)s was erased.") % {"ref": case.reference})
            return redirect("core:home")
    erased = getattr(case, "erasure", None)
    summary = None if erased else services.decision_summary(actor=request.user, case=case, purpose="erasure")  # type: ignore[arg-type]
    return render(
        request,
        "cases/case_erase.html",
        {"case": case, "form": form, "erased": erased, "summary": summary},
        status=400 if request.method == "POST" else 200,
    )


def transfer_request(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, Perm.CASE_EDIT)
    form = TransferRequestForm(
        request.POST or None,
        destinations=services.transfer_destinations(actor=request.user),  # type: ignore[arg-type]
    )
    return _action_page(
        request,
        case,
        form,
        _("Transfer the case to another organisation"),
        lambda: services.transfer_request(actor=request.user, case=case, **form.cleaned_data),  # type: ignore[arg-type]
        _("The transfer was offered. The case stays yours until the other organisation accepts it."),
        intro=_(
            "Only with the person's consent to referral. Until it accepts, the other organisation sees the "
            "reference and a summary without the person's data (status, support plan, consent to referral)."
        ),
    )


def transfer_list(request: HttpRequest) -> HttpResponse:
    """Transfers offered to the user's organisation: the reference and the sender only."""
    if not can(request.user, Perm.CASE_TRANSFER_DECIDE):
        raise PermissionDenied
    transfers = (
        CaseTransfer.objects.visible_to(request.user)
        .filter(decision=TransferDecision.PENDING)
        .select_related("from_organisation", "case")
    )
    return render(request, "cases/transfer_list.html", {"transfers": transfers})


def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, Perm.CASE_TRANSFER_DECIDE):
        raise PermissionDenied
    transfer = get_visible_or_404(CaseTransfer, request.user, pk=pk, decision=TransferDecision.PENDING)
    form = TransferDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        decided = _run(
            form,
            lambda: services.transfer_decide(actor=request.user, transfer=transfer, accept=accept),  # type: ignore[arg-type]
        )
        if decided is not None:
            messages.success(
                request, _("The case is now your organisation's.") if accept else _("The transfer was rejected.")
            )
            return redirect("cases:transfer_list")
    summary = services.decision_summary(actor=request.user, case=transfer.case, purpose="transfer")  # type: ignore[arg-type]
    return render(
        request,
        "cases/transfer_decide.html",
        {"transfer": transfer, "reference": transfer.case.reference, "form": form, "summary": summary},
        status=400 if request.method == "POST" else 200,
    )
