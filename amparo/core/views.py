from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from amparo.core.models import AuditEntry
from amparo.core.permissions import Perm, can


def home(request: HttpRequest) -> HttpResponse:
    """A signed-in colleague's home. An anonymous visitor never gets here: the site's root
    sends them to the public front page (amparo.core.middleware.LoginRequiredMiddleware)."""
    return render(request, "core/home.html")


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
    if not can(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied
    entries = AuditEntry.objects.visible_to(request.user).select_related("actor")
    action = request.GET.get("action", "").strip()[:64]
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "action": action})
