"""The reporter's pages: the whole anonymous web surface of reporting, in one module.

No account, no cookie, no cache: AnonymousReportingMiddleware has already removed the
address, user agent, referer and cookies from every request under /report/ and clears
any cookie from the response. The forms are exempt from CSRF because nothing ambient
authorises a request here (no session, no cookie): the receipt travels in the form body.
The language is chosen with ?lang= (or the browser's Accept-Language), never a cookie.
Switching language on a page with a form posts the form back with `switch_lang` (the
button in the page header belongs to the form): the page comes back in the other language
with what was typed, nothing is sent or stored, and it works without JavaScript.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from amparo.core.countries import country_name
from amparo.reports import abuse, receipts, services
from amparo.reports.cleaning import MAX_BYTES, MAX_FILES, Refused
from amparo.reports.emergency import emergency_number, numbers, numbers_by_country
from amparo.reports.forms import (
    AttachmentsField,
    FollowUpReplyForm,
    PassphraseForm,
    ReceiptClaimForm,
    ReceiptForm,
    RecipientsForm,
    ReportForm,
    questionnaire_answers,
    routing_key,
)
from amparo.reports.vocabularies import AgeGroup, Channel, Danger, ExploitationType, Gender, Indicator

LANGUAGES = {"es", "en"}


#: The largest request body accepted on the public pages (all attachments plus the answers).
MAX_BODY = MAX_FILES * MAX_BYTES + 1024 * 1024


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps every upload in memory, never in a temporary file: no plaintext touches the disk.

    The view refuses bodies over MAX_BODY before any upload is read.
    """

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:  # noqa: N803
        self.activated = True


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open to everyone, CSRF-exempt (no ambient authority), in the language named by ?lang=;
    uploads are held in memory only, and oversized bodies are refused before they are read."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            return HttpResponse(_("This is too much to send at once. Send fewer or smaller photos."), status=413)
        request.upload_handlers = [InMemoryUploadHandler(request)]
        lang = str(request.POST.get("switch_lang") or request.POST.get("lang") or request.GET.get("lang") or "")[:2]
        if lang in LANGUAGES:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        return view(request, *args, **kwargs)

    return login_not_required(csrf_exempt(require_http_methods(["GET", "POST"])(wrapper)))


def report_labels(answers: dict[str, Any]) -> dict[str, str]:
    """The reporter's coded answers in words, in the page's language."""

    def words(vocabulary: Any, codes: Any) -> str:
        codes = codes if isinstance(codes, list) else [codes] if codes else []
        return ", ".join(str(dict(vocabulary.choices).get(code, code)) for code in codes)

    return {
        "country": country_name(answers.get("country", "")) if answers.get("country") else "",
        "exploitation_type": words(ExploitationType, answers.get("exploitation_type")),
        "age_groups": words(AgeGroup, answers.get("age_groups")),
        "genders": words(Gender, answers.get("genders")),
        "indicators": words(Indicator, answers.get("indicators")),
        "danger": words(Danger, answers.get("danger")),
    }


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """What every public page needs. `keep_form` names the form the language switch posts
    back (what was typed is kept); "" makes the switch a plain link; None hides it (a page
    showing a receipt once must not be left by a click on the language)."""
    lang = translation.get_language() or "en"
    return {
        "lang": lang,
        "other_lang": "en" if lang == "es" else "es",
        "emergency_numbers": numbers(),
        "emergency_by_country": numbers_by_country(lang),
        "quick_exit_url": settings.AMPARO_QUICK_EXIT_URL,
        "keep_form": "",
        **extra,
    }


def _switching(request: HttpRequest) -> bool:
    """True when the request is the language switch posting a form back: show, never act."""
    return request.method == "POST" and "switch_lang" in request.POST


def _as_typed(form_class: type[Any], request: HttpRequest, *, skip: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """An unbound form showing what was typed (no errors: nothing was submitted yet).

    File inputs cannot be filled in again; the switch posts the form without its files."""
    shown = form_class(**kwargs)
    initial = dict(kwargs.pop("initial", {}) or {})
    for name, field in shown.fields.items():
        if name in skip or isinstance(field, AttachmentsField):
            continue
        value = field.widget.value_from_datadict(request.POST, {}, shown.add_prefix(name))
        if value not in (None, "", []):
            initial[name] = value
    return form_class(initial=initial, **kwargs)


def _photos_dropped(request: HttpRequest) -> bool:
    return bool(request.POST.get("attachments") or request.FILES)


@public_page
def public_home(request: HttpRequest) -> HttpResponse:
    """The public site's front page: report, follow up, find help, emergency numbers.

    A form posted here by a page rendered before the form moved to /report/new/ is handled
    as the report it is, so no report is lost across an upgrade."""
    if request.method == "POST":
        return _report_create(request)
    return render(request, "reports/public_home.html", _context(request, keep_form=""))


def _report_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return _context(request, keep_form="report-form", **extra)


def _fresh_form(data: Any = None, files: Any = None) -> ReportForm:
    challenge, _bits = abuse.challenge_issue()
    initial = {"pow_challenge": challenge, "submission_key": secrets.token_urlsafe(24)}
    form = ReportForm(data, files, initial=initial)
    return form


@public_page
def report_create(request: HttpRequest) -> HttpResponse:
    """The questionnaire; on success the receipt, shown once and never stored."""
    return _report_create(request)


def _report_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "reports/report_create.html", _report_context(request, form=_fresh_form()))
    if _switching(request):
        fresh = _fresh_form()
        form = _as_typed(ReportForm, request, skip=("pow_challenge", "pow_nonce"), initial=fresh.initial)
        return render(
            request,
            "reports/report_create.html",
            _report_context(request, form=form, photos_dropped=_photos_dropped(request)),
        )
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        fresh = _fresh_form()
        resent = cast(QueryDict, form.data).copy()  # request.POST, immutable: edit a copy
        resent["pow_challenge"], resent["pow_nonce"] = fresh.initial["pow_challenge"], ""
        form.data = resent
        return render(request, "reports/report_create.html", _report_context(request, form=form), status=400)
    data = form.cleaned_data
    # Checked here; used up (single use) in the same cache round trip as the caps are read.
    challenge = abuse.pow_solved(data["pow_challenge"], data["pow_nonce"])
    answers = questionnaire_answers(data)
    chosen = _recipients_chosen(request, form, answers, challenge)
    if isinstance(chosen, HttpResponse):
        return chosen
    try:
        submitted = services.report_submit(
            answers=answers,
            files=data["attachments"],
            channel=Channel.WEB,
            language=translation.get_language() or "",
            held=not challenge,
            challenge=challenge,
            trusted=getattr(request, "amparo_trusted_network", False),
            idempotency_key=data.get("submission_key", ""),
            recipients=chosen,
        )
    except services.CapReached:
        form.add_error(None, _("Too many reports are arriving right now. Please try again in an hour."))
        return render(request, "reports/report_create.html", _report_context(request, form=form), status=503)
    except services.ReportingUnavailable:
        form.add_error(None, _("Reporting is not set up on this server yet. Please contact the organisation directly."))
        return render(request, "reports/report_create.html", _report_context(request, form=form), status=503)
    except Refused as refused:  # an attachment did not decode: nothing stored, a fresh puzzle to send again
        form.add_error("attachments", str(refused.args[0]))
        resent = cast(QueryDict, form.data).copy()
        resent["pow_challenge"], resent["pow_nonce"] = _fresh_form().initial["pow_challenge"], ""
        form.data = resent
        return render(request, "reports/report_create.html", _report_context(request, form=form), status=400)
    danger_number = emergency_number(answers["country"]) if answers["danger"] == Danger.YES else ""
    return render(
        request,
        "reports/report_receipt.html",
        _context(
            request,
            submitted=submitted,
            danger=answers["danger"] == Danger.YES,
            danger_number=danger_number,
            keep_form=None,  # the receipt is shown once: no click here may leave the page
        ),
    )


def _recipients_chosen(
    request: HttpRequest, form: ReportForm, answers: dict[str, Any], challenge: str
) -> list[int] | HttpResponse:
    """The organisations the reporter kept, once they have seen who receives the report for
    these answers; else the form again with the list (every organisation ticked), sending nothing.

    The list is shown again whenever the routing answers changed since it was shown. A solved
    puzzle is kept for the second click; photos cannot travel back in a page and must be
    chosen again (the page says so)."""
    unavailable = _("Reporting is not set up on this server yet. Please contact the organisation directly.")
    try:
        available = services.report_recipients(
            country=answers["country"], region=answers["region"], exploitation_type=answers["exploitation_type"]
        )
    except services.ReportingUnavailable:
        form.add_error(None, unavailable)
        return render(request, "reports/report_create.html", _context(request, form=form), status=503)
    choices = [(recipient.id, recipient.name) for recipient in available]
    key = routing_key(answers)
    recipients_form = RecipientsForm(request.POST, choices=choices)
    if request.POST.get("recipients_for") == key and recipients_form.is_valid():
        return list(recipients_form.cleaned_data["recipients"])
    status = 400
    if request.POST.get("recipients_for") != key:
        status = 200
        recipients_form = RecipientsForm(
            initial={"recipients": [org_id for org_id, _name in choices], "recipients_for": key}, choices=choices
        )
    resent = cast(QueryDict, form.data).copy()
    if not challenge:
        resent["pow_challenge"], resent["pow_nonce"] = abuse.challenge_issue()[0], ""
    form.data = resent
    return render(
        request,
        "reports/report_create.html",
        _context(
            request,
            form=form,
            recipients_form=recipients_form,
            photos_dropped=bool(form.cleaned_data.get("attachments")),
        ),
        status=status,
    )


def _refused(request: HttpRequest, *, throttled: bool = False, unsolved: bool = False) -> HttpResponse:
    """The follow-up page with the one refusal every wrong, expired or unknown receipt gets
    (the typed receipt is not shown again)."""
    if unsolved:
        refusal, status = (
            _(
                "Too many attempts are being made right now. Turn on JavaScript in your browser to open your "
                "report, or try again in an hour."
            ),
            429,
        )
    elif throttled:
        refusal, status = _("Too many attempts with this receipt. Wait an hour and try again."), 429
    else:
        refusal, status = _("This receipt does not open a report. Check each character and try again."), 400
    return render(
        request,
        "reports/report_followup.html",
        _followup_context(request, form=ReceiptForm(), refusal=refusal),
        status=status,
    )


def _followup_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return _context(request, keep_form="receipt-form", **extra)


def _more_work(request: HttpRequest, receipt_text: str, needed: services.PuzzleNeeded) -> HttpResponse:
    """The follow-up page again, the receipt kept, with the harder puzzle this attempt needs."""
    notice = _(
        "To protect this receipt, your device must do more work before it opens. Press the button again and "
        "wait: this can take a minute."
    )
    form = ReceiptForm(initial={"receipt": receipt_text})
    return render(
        request,
        "reports/report_followup.html",
        _followup_context(request, form=form, refusal=notice, challenge=needed.challenge),
        status=429,
    )


def _open_or_refuse(request: HttpRequest, receipt_text: str) -> services.Opened | HttpResponse:
    try:
        return services.followup_open(
            receipt_text=receipt_text,
            challenge=str(request.POST.get("pow_challenge", "")),
            nonce=str(request.POST.get("pow_nonce", "")),
            unsolved_allowed=True,
        )
    except services.PuzzleNeeded as needed:
        return _more_work(request, receipt_text, needed)
    except services.Throttled as throttled:
        return _refused(request, throttled=True, unsolved=throttled.unsolved)
    except services.ReceiptRefused:
        return _refused(request)


def _claim_page(
    request: HttpRequest,
    opened: services.Opened,
    receipt_text: str,
    passphrase_form: PassphraseForm,
    *,
    offered: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The first-use step of a receipt someone else gave: a new receipt offered, or a
    passphrase of the caller's own. Shows nothing of the report or its messages."""
    offered = offered or receipts.new_secret()
    public_id = opened.receipt.public_id
    return render(
        request,
        "reports/report_receipt_claim.html",
        _context(
            request,
            receipt=receipt_text,
            public_id=public_id,
            offered=offered,
            offered_receipt=receipts.format_receipt(public_id, offered),
            passphrase_form=passphrase_form,
            error=error,
        ),
        status=status,
    )


def _passphrase_form(opened: services.Opened, receipt_text: str, data: Any = None) -> PassphraseForm:
    parts = receipts.parse_receipt(receipt_text)
    return PassphraseForm(data, public_id=opened.receipt.public_id, given_secret=parts.secret if parts else "")


def _thread_page(request: HttpRequest, opened: services.Opened, receipt_text: str, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    extra.setdefault("reply_form", FollowUpReplyForm(initial={"receipt": receipt_text}))
    report = services.followup_report(opened=opened)
    # A receipt shown once on this page must not be lost to a click on the language.
    extra.setdefault("keep_form", None if extra.get("new_receipt") or extra.get("claimed") else "reply-form")
    return render(
        request,
        "reports/report_thread.html",
        _context(
            request,
            thread=services.followup_thread(opened=opened),
            receipt=receipt_text,
            holders=services.followup_holders(opened=opened),
            report=report,
            report_labels=report_labels(report) if report else {},
            **extra,
        ),
        status=status,
    )


@public_page
def report_followup(request: HttpRequest) -> HttpResponse:
    """Come back with the receipt: read the organisation's messages, answer, change the receipt.

    A receipt someone else gave (a hotline advocate: `must_change`) opens only the step
    where the caller chooses a secret of their own (report_receipt_claim); nothing is read
    or stored before that."""
    if request.method != "POST":
        sent = request.GET.get("sent") == "1"
        return render(
            request, "reports/report_followup.html", _followup_context(request, form=ReceiptForm(), sent=sent)
        )
    action = request.POST.get("action", "open")
    if _switching(request) and action != "reply":
        return render(
            request, "reports/report_followup.html", _followup_context(request, form=_as_typed(ReceiptForm, request))
        )
    receipt_form = ReceiptForm(request.POST)
    if not receipt_form.is_valid():
        return render(
            request, "reports/report_followup.html", _followup_context(request, form=receipt_form), status=400
        )
    receipt_text = receipt_form.cleaned_data["receipt"]
    opened = _open_or_refuse(request, receipt_text)
    if isinstance(opened, HttpResponse):
        return opened
    if opened.receipt.must_change:
        return _claim_page(request, opened, receipt_text, _passphrase_form(opened, receipt_text))
    if _switching(request):  # the reply typed so far, in the other language; nothing sent
        reply_form = _as_typed(FollowUpReplyForm, request, initial={"receipt": receipt_text})
        return _thread_page(
            request, opened, receipt_text, reply_form=reply_form, photos_dropped=_photos_dropped(request)
        )
    new_receipt = ""
    if action == "change_receipt":
        try:
            new_receipt = services.receipt_change(opened=opened)
        except services.ReceiptRefused:  # changed meanwhile (another tab or device)
            return _refused(request)
        receipt_text = new_receipt
    reply_form = FollowUpReplyForm(initial={"receipt": receipt_text})
    status = 200
    if action == "reply":
        reply_form = FollowUpReplyForm(request.POST, request.FILES)
        if reply_form.is_valid():
            data = reply_form.cleaned_data
            try:
                services.followup_reply(
                    opened=opened, text=data["text"], contact=data["contact"], files=data["attachments"]
                )
            except Refused as refused:  # an attachment did not decode: nothing stored
                reply_form.add_error("attachments", str(refused.args[0]))
            else:
                # Post/redirect/get: reloading the next page cannot send the answer again. The
                # receipt is not carried into the address (it would stay in the history), so the
                # conversation closes; the receipt opens it again (decision 0012).
                see_other = HttpResponseRedirect(
                    f"{reverse('report:report_followup')}?lang={translation.get_language() or 'en'}&sent=1"
                )
                see_other.status_code = 303  # See Other: the next request is a GET
                return see_other
        status = 400
    return _thread_page(request, opened, receipt_text, reply_form=reply_form, new_receipt=new_receipt, status=status)


@public_page
def report_receipt_claim(request: HttpRequest) -> HttpResponse:
    """First use of a receipt someone else gave: the caller takes the receipt offered or sets
    a passphrase of their own; the given secret stops working at once (services.receipt_claim).

    The given receipt travels in the form body and is checked (and throttled) again; a
    receipt that no longer needs this step answers as the follow-up page does.
    """
    if request.method != "POST":
        return redirect(f"{reverse('report:report_followup')}?lang={translation.get_language() or 'en'}")
    form = ReceiptClaimForm(request.POST)
    if not form.is_valid():
        return render(
            request, "reports/report_followup.html", _followup_context(request, form=ReceiptForm()), status=400
        )
    receipt_text, choice = form.cleaned_data["receipt"], form.cleaned_data["choice"]
    opened = _open_or_refuse(request, receipt_text)
    if isinstance(opened, HttpResponse):
        return opened
    if not opened.receipt.must_change:
        return _thread_page(request, opened, receipt_text)
    given = receipts.parse_receipt(receipt_text)
    passphrase_form = _passphrase_form(opened, receipt_text, request.POST if choice == "own" else None)
    if choice == "own":
        if not passphrase_form.is_valid():
            return _claim_page(request, opened, receipt_text, passphrase_form, status=400)
        new_secret = passphrase_form.cleaned_data["passphrase"]
    else:
        new_secret = receipts.parse_secret(form.cleaned_data["offered"]) or ""
        if not new_secret:
            error = _("The new receipt did not arrive whole. Here is another one: write it down before you use it.")
            return _claim_page(request, opened, receipt_text, passphrase_form, error=error, status=400)
    try:
        new_receipt = services.receipt_claim(
            opened=opened, given_secret=given.secret if given else "", new_secret=new_secret
        )
    except services.SecretRefused:
        error = _("Choose a secret different from the one you were given.")
        return _claim_page(request, opened, receipt_text, passphrase_form, error=error, status=400)
    except services.ReceiptRefused:  # someone else claimed it since it was opened
        return _refused(request)
    return _thread_page(
        request,
        opened,
        new_receipt,
        claimed="own" if choice == "own" else "offered",
        new_receipt=new_receipt if choice != "own" else "",
        public_id=opened.receipt.public_id,
    )
