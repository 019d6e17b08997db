"""Directory pages: search (every organisation's published services), a service's page, and
the organisation's own services with their forms. Thin: forms parse, services.py works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from amparo.cases.vocabularies import language_name
from amparo.core.countries import country_name
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.referrals import services
from amparo.referrals.forms import DirectorySearchForm, ServiceForm
from amparo.referrals.models import Gender, Service
from amparo.shelters.services import free_beds_shown


def _run(form: forms.Form, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return None


def directory(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.DIRECTORY_VIEW):
        raise PermissionDenied
    form = DirectorySearchForm(request.GET or None, organisation_id=request.user.organisation_id)  # type: ignore[union-attr]
    hits = []
    searched = bool(request.GET)
    if not searched or form.is_valid():
        criteria = form.criteria() if searched else {}
        hits = services.directory_search(actor=request.user, **criteria)
    return render(request, "referrals/directory.html", {"form": form, "hits": hits, "searched": searched})


def _describe(service: Service, user: Any) -> dict[str, Any]:
    return {
        "countries": [country_name(c) for c in service.country_list()],
        "nationalities": [country_name(c) for c in service.nationality_list()],
        "languages": [language_name(c) for c in service.language_list()],
        "genders": [label for value, label in Gender.choices if value in service.gender_list()],
        **services.public_fields(service, user),
    }


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A published service, any organisation's (the directory is shared, decision 0018)."""
    try:
        # scoping: the shared directory of published services, not people's data (decision 0018)
        service = Service.objects.directory_visible_to(request.user).select_related("service_type").get(pk=pk)
    except (Service.DoesNotExist, ValueError) as exc:
        if not can(request.user, Perm.DIRECTORY_VIEW):
            raise PermissionDenied from exc
        raise Http404 from exc
    own = service.organisation_id == getattr(request.user, "organisation_id", None)
    return render(
        request,
        "referrals/service_detail.html",
        {
            "service": service,
            "shown": _describe(service, request.user),
            "can_edit": own and can(request.user, Perm.SERVICE_MANAGE),
            "free_beds": free_beds_shown(service),
        },
    )


def our_services(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.SERVICE_MANAGE):
        raise PermissionDenied
    own = Service.objects.visible_to(request.user).select_related("service_type")
    return render(request, "referrals/our_services.html", {"services": own})


def _form_page(request: HttpRequest, service: Service | None) -> HttpResponse:
    user = request.user
    form = ServiceForm(
        request.POST or None,
        initial=ServiceForm.initial_for(service) if service else None,
        organisation_id=user.organisation_id,  # type: ignore[union-attr]
        may_enter_external=can(user, Perm.SERVICE_EXTERNAL),
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if service is None:
            saved = _run(form, lambda: services.service_create(actor=user, **fields))
        else:
            saved = _run(form, lambda: services.service_update(actor=user, service=service, **fields))
        if saved is not None:
            messages.success(request, _("The service was saved."))
            return redirect("referrals:our_services")
    return render(request, "referrals/service_form.html", {"form": form, "service": service})


def service_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.SERVICE_MANAGE):
        raise PermissionDenied
    return _form_page(request, None)


def service_update(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, Perm.SERVICE_MANAGE):
        raise PermissionDenied
    service = get_visible_or_404(Service, request.user, pk=pk)
    return _form_page(request, service)
