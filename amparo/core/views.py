from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from amparo.core import selectors
from amparo.core.forms import AuditFilterForm
from amparo.core.permissions import ROLES_NOT_BUILT_YET, Perm, can, roles_with


def home(request: HttpRequest) -> HttpResponse:
    """A signed-in colleague's home. An anonymous visitor never gets here: the site's root
    sends them to the public front page (amparo.core.middleware.LoginRequiredMiddleware)."""
    role_plan = ROLES_NOT_BUILT_YET.get(getattr(request.user, "role", ""))
    context = {"role_plan": role_plan, "routes_map": can(request.user, Perm.ROUTES_VIEW), **_admin_notices(request)}
    return render(request, "core/home.html", context)


def _admin_notices(request: HttpRequest) -> dict[str, Any]:
    """For staff administrators: colleagues waiting for the key to open reports (or keys
    not created yet) and colleagues whose sign-in is locked."""
    if not can(request.user, Perm.STAFF_MANAGE):
        return {}
    from amparo.accounts import services as accounts
    from amparo.accounts.models import User
    from amparo.core import sealing

    org_id = cast(int, request.user.organisation_id)  # type: ignore[union-attr]  # can() requires one
    return {
        "keys_missing": not sealing.has_keys(org_id),
        "waiting_for_key": sealing.users_waiting_for_access(org_id, roles_with(Perm.REPORT_VIEW)),
        "locked_out": len(accounts.lockouts(User.objects.visible_to(request.user).filter(is_active=True))),
    }


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher, which also remembers the choice on the signed-in account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in {"en", "es"}:
        user.language = language  # type: ignore[union-attr]
        user.save(update_fields=["language"])
    return response


def audit_list(request: HttpRequest) -> HttpResponse:
    """The organisation's audit log in words: who (by name), what (translated), which record
    (C-…, S-…, a colleague), why; filtered by person, record, period and action."""
    if not can(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied
    from amparo.accounts.models import User

    form = AuditFilterForm(request.GET or None, people=User.objects.visible_to(request.user).order_by("full_name"))
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_entries(
        user=request.user,
        person=filters.get("person"),
        reference=filters.get("reference") or "",
        start=filters.get("start"),
        end=filters.get("end"),
        action=filters.get("action") or "",
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "rows": selectors.describe(list(page), viewer=request.user),
            "form": form,
            "query": query.urlencode(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
