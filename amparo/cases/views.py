from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from amparo.cases import services
from amparo.cases.forms import CaseCreateForm, CaseSearchForm
from amparo.cases.models import Case
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404


def case_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.CASE_VIEW):
        raise PermissionDenied
    form = CaseSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    cases = services.case_search(actor=request.user, query=query)[:50]  # type: ignore[arg-type]
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "cases": cases, "query": query, "can_create": can(request.user, Perm.CASE_EDIT)},
    )


def case_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.CASE_EDIT):
        raise PermissionDenied
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = services.case_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
        return redirect("cases:case_detail", reference=case.reference)
    return render(request, "cases/case_create.html", {"form": form})


def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_visible_or_404(Case, request.user, reference=reference)
    services.case_read(actor=request.user, case=case)  # type: ignore[arg-type]
    return render(request, "cases/case_detail.html", {"case": case})
