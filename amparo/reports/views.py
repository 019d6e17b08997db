"""Staff pages of reporting: the triage inbox, a signal, hotline intake, routing rules."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from amparo.accounts.models import User
from amparo.core import blobs, sealing
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.reports import services
from amparo.reports.forms import (
    HotlineForm,
    InboxFilterForm,
    LinkCaseForm,
    ReplyForm,
    RoutingRuleForm,
    SignalConsentForm,
    TriageForm,
)
from amparo.reports.models import RoutingRule, Signal
from amparo.reports.vocabularies import (
    URGENCY_ORDER,
    AgeGroup,
    CallerType,
    Danger,
    Gender,
    Indicator,
    MessageAuthor,
    SignalStatus,
)

CLOSED_STATUSES = [SignalStatus.CLOSED, SignalStatus.SPAM, SignalStatus.REFERRED, SignalStatus.LINKED]


def _require(request: HttpRequest, perm: str) -> None:
    if not can(request.user, perm):
        raise PermissionDenied


def _locked(request: HttpRequest, signal: Signal | None = None) -> HttpResponse:
    return render(request, "reports/signal_locked.html", {"signal": signal})


def signal_list(request: HttpRequest) -> HttpResponse:
    """The inbox: open signals, most urgent first; copy-paste duplicates grouped in one row."""
    _require(request, Perm.REPORT_VIEW)
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    signals = Signal.objects.visible_to(request.user).select_related("assignee")
    status = filters.get("status", "")
    if status == "":
        signals = signals.exclude(status__in=CLOSED_STATUSES)
    elif status != "all":
        signals = signals.filter(status=status)
    for name in ("urgency", "exploitation_type"):
        if filters.get(name):
            signals = signals.filter(**{name: filters[name]})
    if filters.get("country"):
        signals = signals.filter(country=filters["country"].upper())
    if filters.get("held"):
        signals = signals.filter(held=True)
    if filters.get("mine"):
        signals = signals.filter(assignee=cast(User, request.user))  # signed in: LoginRequiredMiddleware
    inbox = signals.annotate(
        unread=Count("messages", filter=Q(messages__author=MessageAuthor.REPORTER, messages__read_by_org=False))
    )[:300]
    rows: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for signal in sorted(inbox, key=lambda s: (URGENCY_ORDER.get(s.urgency, 9), -s.arrived_on.toordinal(), -s.pk)):
        if signal.fingerprint and signal.fingerprint in groups:
            groups[signal.fingerprint]["similar"] += 1
            continue
        row = {"signal": signal, "similar": 0}
        if signal.fingerprint:
            groups[signal.fingerprint] = row
        rows.append(row)
    return render(
        request,
        "reports/signal_list.html",
        {"form": form, "rows": rows, "can_intake": can(request.user, Perm.REPORT_INTAKE)},
    )


def signal_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One signal, decrypted in this session (audited); replies and triage for those who may."""
    signal = get_visible_or_404(Signal, request.user, reference=reference)
    may_triage = can(request.user, Perm.REPORT_TRIAGE)
    assignees = services.assignable_staff(actor=request.user)
    reply_form = ReplyForm()
    linked = signal.status == SignalStatus.LINKED
    triage_form = TriageForm(
        initial={"status": signal.status, "urgency": signal.urgency, "assignee": signal.assignee_id},
        assignees=assignees,
        linked=linked,
    )
    may_link = may_triage and can(request.user, Perm.CASE_EDIT)
    link_form, consent_form = LinkCaseForm(), SignalConsentForm()
    if request.method == "POST":
        if not may_triage:
            raise PermissionDenied
        action = request.POST.get("action")
        if action in ("link_case", "unlink_case") and not may_link:
            raise PermissionDenied
        if action == "reply":
            reply_form = ReplyForm(request.POST)
            if reply_form.is_valid():
                services.signal_reply(actor=request.user, signal=signal, text=reply_form.cleaned_data["text"])
                messages.success(request, _("Your message was sent to the reporter."))
                return redirect("reports:signal_detail", reference=signal.reference)
        elif action == "link_case":
            link_form = LinkCaseForm(request.POST)
            linked_to = _link_case(request, signal, link_form)
            if isinstance(linked_to, HttpResponse):
                return linked_to
        elif action == "unlink_case" and signal.case_id:
            services.signal_unlink_case(actor=request.user, signal=signal)
            messages.success(request, _("Signal %(ref)s is no longer linked to a case.") % {"ref": signal.reference})
            return redirect("reports:signal_detail", reference=signal.reference)
        elif action == "consent":
            consent_form = SignalConsentForm(request.POST)
            if consent_form.is_valid():
                services.signal_consent_record(
                    actor=request.user,
                    signal=signal,
                    police=consent_form.value("consent_police"),
                    services=consent_form.value("consent_services"),
                )
                messages.success(request, _("The reporter's consent was recorded."))
                return redirect("reports:signal_detail", reference=signal.reference)
        elif action == "triage":
            triage_form = TriageForm(request.POST, assignees=assignees, linked=linked)
            if triage_form.is_valid():
                data = triage_form.cleaned_data
                try:
                    services.signal_update(
                        actor=request.user,
                        signal=signal,
                        status=data["status"],
                        urgency=data["urgency"],
                        assignee=data["assignee"],
                        release=data["release"],
                        referred_to=data["referred_to"],
                    )
                except services.StatusNeedsCase:
                    triage_form.add_error("status", _("Link the signal to a case, or unlink it, below."))
                except services.ConsentMissing:
                    triage_form.add_error(
                        "referred_to",
                        _("A referral needs the reporter's consent to share with the police or services you chose."),
                    )
                else:
                    messages.success(request, _("Signal %(ref)s updated.") % {"ref": signal.reference})
                    return redirect("reports:signal_detail", reference=signal.reference)
        elif action in ("spam", "spam_group"):
            count = services.signals_mark_spam(actor=request.user, signal=signal, whole_group=action == "spam_group")
            messages.success(
                request,
                ngettext("%(count)s signal marked as spam.", "%(count)s signals marked as spam.", count)
                % {"count": count},
            )
            return redirect("reports:signal_list")
    try:
        opened = services.signal_open(request=request, actor=request.user, signal=signal)
    except sealing.Locked:
        return _locked(request, signal)
    labels = _answer_labels(opened.answers)
    similar = 0
    if signal.fingerprint:
        similar = Signal.objects.visible_to(request.user).filter(fingerprint=signal.fingerprint).count() - 1
    return render(
        request,
        "reports/signal_detail.html",
        {
            "signal": signal,
            "opened": opened,
            "answers": opened.answers,
            "labels": labels,
            "may_triage": may_triage,
            "reply_form": reply_form,
            "triage_form": triage_form,
            "similar": similar,
            "may_link": may_link,
            "link_form": link_form,
            "consent_form": consent_form,
            "linked_case": _linked_case(request, signal),
            "co_recipients": services.signal_co_recipients(signal=signal),
            **_signal_referrals(request, signal),
        },
        status=400 if (reply_form.errors or triage_form.errors or link_form.errors or consent_form.errors) else 200,
    )


def _signal_referrals(request: HttpRequest, signal: Signal) -> dict[str, Any]:
    """ "Refer" for those who may (decision 0034), and the referrals sent from this signal
    (metadata only) for those who see the organisation's referrals."""
    from amparo.referrals import workflow
    from amparo.referrals.workflow_models import Referral

    sent: list[Any] = []
    if can(request.user, Perm.REFERRAL_VIEW):
        sent = list(
            Referral.objects.visible_to(request.user)
            .filter(signal=signal, sender_id=signal.organisation_id)
            .select_related("receiver", "service")
            .defer("sealed_content", "sealed_reply")
        )
    return {"may_refer": workflow.may_refer_signal(request.user, signal), "signal_referrals": sent}


def _linked_case(request: HttpRequest, signal: Signal) -> Any:
    """The signal's case if the reader may see it (a reference to follow), else None."""
    from amparo.cases.models import Case

    if signal.case_id is None:
        return None
    return Case.objects.visible_to(request.user).filter(pk=signal.case_id).first()


def _link_case(request: HttpRequest, signal: Signal, form: LinkCaseForm) -> HttpResponse | None:
    """Link to an existing case of the organisation (found through visible_to), carrying the
    place and type over from the signal opened in this session; None when the form shows an error."""
    from django.core.exceptions import ValidationError

    from amparo.cases.models import Case

    if not form.is_valid():
        return None
    reference = form.cleaned_data["case_reference"].strip().upper()
    case = Case.objects.visible_to(request.user).filter(reference=reference).first()
    if case is None:
        form.add_error("case_reference", _("No case of your organisation has this reference."))
        return None
    try:
        opened = services.signal_open(request=request, actor=request.user, signal=signal)
    except sealing.Locked:
        return _locked(request, signal)
    try:
        services.signal_link_case(actor=request.user, signal=signal, case=case, answers=opened.answers)
    except ValidationError as exc:
        form.add_error("case_reference", exc.messages[0])  # scoping: a ValidationError's text, not a Message row
        return None
    messages.success(
        request, _("Signal %(ref)s is linked to case %(case)s.") % {"ref": signal.reference, "case": case.reference}
    )
    return redirect("reports:signal_detail", reference=signal.reference)


def _answer_labels(answers: dict[str, Any]) -> dict[str, str]:
    """Coded answers in words, in the reader's language."""

    def words(vocabulary: Any, codes: Any) -> str:
        codes = codes if isinstance(codes, list) else [codes] if codes else []
        return ", ".join(str(dict(vocabulary.choices).get(code, code)) for code in codes)

    return {
        "age_groups": words(AgeGroup, answers.get("age_groups")),
        "genders": words(Gender, answers.get("genders")),
        "indicators": words(Indicator, answers.get("indicators")),
        "danger": words(Danger, answers.get("danger")),
        "caller_type": words(CallerType, answers.get("caller_type")),
    }


def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    signal = get_visible_or_404(Signal, request.user, reference=reference)
    attachment = signal.attachments.visible_to(request.user).filter(pk=pk).first()
    if attachment is None:
        return render(request, "errors/404.html", status=404)
    try:
        name, content_type, content = services.attachment_open(
            request=request, actor=request.user, attachment=attachment
        )
    except sealing.Locked:
        return _locked(request, signal)
    except blobs.ObjectDamaged:
        return render(request, "errors/attachment_unavailable.html", status=502)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def hotline_create(request: HttpRequest) -> HttpResponse:
    """Log a call, text, chat, e-mail or walk-in as a signal of the advocate's organisation."""
    _require(request, Perm.REPORT_INTAKE)
    form = HotlineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signal, receipt = services.hotline_signal_create(
                actor=request.user,
                answers=form.answers(),
                channel=form.cleaned_data["channel"],
                issue_receipt=form.cleaned_data["issue_receipt"],
            )
        except sealing.NoKeys:
            form.add_error(None, _("Your organisation has no keys yet: an administrator must create them first."))
        else:
            caller_language = form.cleaned_data["language"]
            if caller_language not in ("es", "en"):
                caller_language = translation.get_language() or "en"
            followup_url = request.build_absolute_uri(reverse("report:report_followup"))
            return render(
                request,
                "reports/hotline_done.html",
                {
                    "signal": signal,
                    "receipt": receipt,
                    "caller_language": caller_language,
                    "followup_url": f"{followup_url}?lang={caller_language}",
                },
            )
    return render(request, "reports/hotline_create.html", {"form": form}, status=400 if form.errors else 200)


def routing_rule_list(request: HttpRequest) -> HttpResponse:
    """The organisation's rules: which countries, regions and types of report it receives."""
    _require(request, Perm.REPORT_ROUTING)
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.routing_rule_create(
            actor=request.user,
            country=data.get("country") or "",
            region=data["region"],
            exploitation_type=data.get("exploitation_type") or "",
        )
        messages.success(request, _("The rule was added."))
        return redirect("reports:routing_rule_list")
    rules = RoutingRule.objects.visible_to(request.user)
    user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
    organisation_id = cast(int, user.organisation_id)  # can() (in _require) refuses users without one
    return render(
        request,
        "reports/routing_rule_list.html",
        {"form": form, "rules": rules, "has_keys": sealing.has_keys(organisation_id)},
        status=400 if form.errors else 200,
    )


@require_POST
def routing_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_visible_or_404(RoutingRule, request.user, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("The rule was kept: confirm that you want to remove it."))
        return redirect("reports:routing_rule_list")
    services.routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The rule was removed."))
    return redirect("reports:routing_rule_list")
