"""Staff pages for the organisation's awareness pages: list, write, change.

Reads go through `visible_to(user)` (own organisation, `Perm.AWARENESS_EDIT`); writes
through `services.awareness_save` (audited). The pages live under /awareness/, not /help/:
the public paths drop cookies, so a signed-in session would not reach them there.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.findhelp import services
from amparo.findhelp.forms import AwarenessPageForm
from amparo.findhelp.markdown import render_markdown
from amparo.findhelp.models import AwarenessPage


def _require(request: HttpRequest) -> None:
    if not can(request.user, Perm.AWARENESS_EDIT):
        raise PermissionDenied


def awareness_manage(request: HttpRequest) -> HttpResponse:
    _require(request)
    pages = AwarenessPage.objects.visible_to(request.user).order_by("topic", "language")
    return render(request, "findhelp/awareness_manage.html", {"pages": pages})


def _edit(request: HttpRequest, page: AwarenessPage | None) -> HttpResponse:
    form = AwarenessPageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.awareness_save(
                actor=request.user,
                page=page,
                topic=data["topic"],
                language=data["language"],
                title=data["title"],
                body=data["body"],
                status=data["status"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The page is saved."))
            return redirect("findhelp:awareness_edit", pk=saved.pk)
    preview = render_markdown(page.body) if page is not None else ""
    status = 400 if request.method == "POST" else 200
    return render(
        request, "findhelp/awareness_edit.html", {"form": form, "page": page, "preview": preview}, status=status
    )


def awareness_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    return _edit(request, None)


def awareness_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    return _edit(request, get_visible_or_404(AwarenessPage, request.user, pk=pk))
