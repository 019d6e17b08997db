"""Pages of a referral to a service not on Amparo (decision 0032): the sender's form (link or
printed sheet), the record with its status and "revoke", and the provider's public page
`/r/<token>/` that asks for the passphrase. Thin: amparo/referrals/onetime.py works."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.sharing import field_set_choices
from amparo.cases.models import Case
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.findhelp.public_views import LANGUAGES
from amparo.findhelp.public_views import _context as public_context
from amparo.referrals import content, onetime
from amparo.referrals.onetime_models import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, ExternalKind, ExternalReferral
from amparo.referrals.workflow_forms import ValuesForm


class ExternalChooseForm(forms.Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service not on Amparo"), coerce=int, choices=())
    field_set = forms.ChoiceField(
        label=gettext_lazy("What to share"),
        choices=(),
        help_text=gettext_lazy("Only the fields of this set are shared, never the whole case file."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=ExternalKind.choices,
        initial=ExternalKind.LINK,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A one-time link is opened with a passphrase you give by phone; a printed sheet is handed over on paper."
        ),
    )
    days = forms.IntegerField(
        label=gettext_lazy("The link expires after (days)"),
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        required=False,
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["service"]).choices = [("", "—")] + [
            (s.pk, f"{s.name} — {s.provider_name or s.intake_contact} ({s.service_type.label})") for s in services
        ]
        cast(forms.ChoiceField, self.fields["field_set"]).choices = field_set_choices("case")


class PassphraseForm(forms.Form):
    passphrase = forms.CharField(
        label=gettext_lazy("Passphrase"),
        max_length=200,
        help_text=gettext_lazy("The organisation that referred the person gave it to you by phone."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, max-age=0"
    response["Referrer-Policy"] = "no-referrer"
    return response


def external_create(request: HttpRequest, reference: str) -> HttpResponse:
    """Refer the person of one of the organisation's cases to a service not on Amparo."""
    if not can(request.user, Perm.REFERRAL_SEND):
        raise PermissionDenied
    case = get_visible_or_404(Case, request.user, reference=reference)
    services = onetime.external_services(request.user)
    data = request.POST if request.method == "POST" else (request.GET if "service" in request.GET else None)
    choose = ExternalChooseForm(data, services=services)
    values_form = None
    if choose.is_valid():
        field_set = choose.cleaned_data["field_set"]
        kind = choose.cleaned_data["kind"]
        days = choose.cleaned_data["days"] or DEFAULT_DAYS
        service = services.filter(pk=choose.cleaned_data["service"]).first()
        if service is None:
            choose.add_error("service", _("Choose a service that is not on Amparo."))
        elif request.method == "POST":
            values_form = ValuesForm(request.POST, field_set=field_set)
            if values_form.is_valid():
                args = {
                    "actor": request.user,
                    "case": case,
                    "service": service,
                    "field_set": field_set,
                    "values": values_form.values(),
                    "note": values_form.cleaned_data["note"],
                }
                try:
                    if kind == ExternalKind.PRINT:
                        record, opened = onetime.sheet_print(**args)
                        return _no_store(
                            render(
                                request,
                                "referrals/onetime/sheet.html",
                                {"record": record, "service": service, "opened": opened},
                            )
                        )
                    issued = onetime.link_issue(**args, days=days)
                except ValidationError as exc:
                    values_form.add_error(None, exc)
                else:
                    link = request.build_absolute_uri(reverse("onetime_open", kwargs={"token": issued.token}))
                    return _no_store(
                        render(
                            request,
                            "referrals/onetime/issued.html",
                            {
                                "record": issued.referral,
                                "service": service,
                                "link": link,
                                "passphrase": onetime.format_passphrase(issued.passphrase),
                            },
                        )
                    )
        else:
            initial = {f"f_{k}": v for k, v in content.prefill(case, field_set).items()}
            values_form = ValuesForm(initial=initial, field_set=field_set)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "referrals/onetime/form.html",
        {"case": case, "choose": choose, "values_form": values_form, "has_services": services.exists()},
        status=status,
    )


def external_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(ExternalReferral, request.user, pk=pk)
    may_revoke = can(request.user, Perm.REFERRAL_SEND) and record.may_revoke()
    return render(request, "referrals/onetime/detail.html", {"record": record, "may_revoke": may_revoke})


@require_POST
def external_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(ExternalReferral, request.user, pk=pk)
    try:
        onetime.link_revoke(actor=request.user, referral=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The link was revoked: it can no longer be opened."))
    return redirect("referral:external_detail", pk=record.pk)


def _open_page(request: HttpRequest, token: str) -> HttpResponse:
    lang = str(request.GET.get("lang") or "")[:2]
    if lang in LANGUAGES:
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    form = PassphraseForm(request.POST if request.method == "POST" else None)
    opened = None
    failed = False
    if request.method == "POST":
        if form.is_valid():
            opened = onetime.link_open(str(token)[:200], form.cleaned_data["passphrase"])
        failed = opened is None
    context = public_context(form=PassphraseForm() if failed else form, opened=opened, failed=failed)
    status = 400 if failed else 200
    return _no_store(render(request, "referrals/onetime/open.html", context, status=status))


#: Public and anonymous: no session, no cookie (no CSRF cookie: the passphrase is the proof),
#: `no-store`; /r/ is in AMPARO_ANONYMOUS_PATHS so the request's address and browser are dropped.
link_open = login_not_required(csrf_exempt(require_http_methods(["GET", "POST"])(_open_page)))
