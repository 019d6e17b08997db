"""Shared API pieces: the permission every staff endpoint starts from, and errors."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response


class IsVerifiedStaff(permissions.BasePermission):
    """A signed-in, active staff member of an organisation whose session passed TOTP."""

    message = "Two-factor verification is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated(_("Sign in to use the API."))
        if not user.is_verified():
            raise exceptions.PermissionDenied(_("Two-factor verification is required."))
        return bool(user.is_active and user.organisation_id)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a 404 that never says whether the object exists elsewhere."""
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 404:
        response.data = {"detail": _("Not found.")}
    return response
