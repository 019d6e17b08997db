"""Referral API: the same services, scoping and access cut as the pages (decision 0020)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.core import sealing
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.referrals import workflow
from amparo.referrals.workflow_models import DeclineReason, Referral, ReferralStatus

PAGE_SIZE = 50
SERVICE_TYPE_CODE = re.compile(r"[a-z0-9_-]{1,40}")


class ReferralOutput(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=["received", "sent"])
    other_organisation = serializers.CharField()
    service = serializers.CharField()
    service_type = serializers.CharField()
    status = serializers.CharField(help_text="sent, accepted, declined, in_progress, done, revoked, expired")
    field_set = serializers.CharField()
    basis = serializers.CharField(help_text="agreement or emergency")
    source = serializers.ChoiceField(
        choices=["case", "signal"], help_text="signal: a triaged anonymous tip, on a legal basis (no person consented)"
    )
    legal_basis = serializers.CharField(
        help_text="For a signal: reporter_consent, vital_interests, legal_duty or public_task; empty for a case"
    )
    sent_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    decline_reason = serializers.CharField()
    outcome = serializers.CharField()


class ReferralDetailOutput(ReferralOutput):
    content_available = serializers.BooleanField(
        help_text="False when access was cut (revoked, expired, agreement ended, consent withdrawn) or the key is locked"
    )
    fields = serializers.DictField(child=serializers.CharField(), allow_null=True)
    note = serializers.CharField(allow_null=True)


def _row(referral: Referral, org_id: int, names: dict[int, str]) -> dict[str, Any]:
    received = referral.receiver_id == org_id
    return {
        "id": referral.pk,
        "direction": "received" if received else "sent",
        "other_organisation": names.get(referral.other_party_id(org_id), ""),
        "service": referral.service.name,
        "service_type": referral.service_type_code,
        "status": referral.current_status(),
        "field_set": referral.field_set,
        "basis": referral.basis,
        "source": "signal" if referral.from_signal else "case",
        "legal_basis": referral.legal_basis,
        "sent_at": referral.sent_at,
        "due_at": referral.due_at,
        "decline_reason": referral.decline_reason,
        "outcome": referral.outcome,
    }


class ReferralListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("box", str, enum=["received", "sent"], description="Default: received"),
            OpenApiParameter("status", str, enum=list(ReferralStatus.values)),
            OpenApiParameter("service_type", str),
            OpenApiParameter("page", int),
        ],
        responses=ReferralOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Referrals received or sent by the user's organisation: metadata only."""
        if not can(request.user, Perm.REFERRAL_VIEW):
            raise PermissionDenied
        org_id = request.user.organisation_id
        box = request.query_params.get("box", "received")
        if box not in ("received", "sent"):
            return Response({"detail": _("Choose received or sent.")}, status=400)
        referrals = Referral.objects.visible_to(request.user)
        if box == "received":
            referrals = referrals.received_by(org_id).order_by("due_at", "id")
        else:
            referrals = referrals.sent_by(org_id).order_by("-sent_at", "-id")
        status = str(request.query_params.get("status", ""))
        if status and status not in ReferralStatus.values:
            return Response({"detail": _("Choose a status from the list.")}, status=400)
        if status == ReferralStatus.EXPIRED:
            referrals = referrals.overdue()
        elif status:
            referrals = referrals.filter(status=status)
        service_type = str(request.query_params.get("service_type", ""))
        if service_type and not SERVICE_TYPE_CODE.fullmatch(service_type):
            return Response({"detail": _("Choose a type of service from the list.")}, status=400)
        if service_type:
            referrals = referrals.filter(service_type_code=service_type)
        try:
            page = max(1, min(int(request.query_params.get("page", 1)), 100000))
        except (TypeError, ValueError):
            return Response({"detail": _("The page must be a number.")}, status=400)
        rows = list(
            referrals.select_related("service").defer("sealed_content", "sealed_reply")[
                (page - 1) * PAGE_SIZE : page * PAGE_SIZE
            ]
        )
        names = workflow.organisation_names({r.sender_id for r in rows} | {r.receiver_id for r in rows})
        return Response(ReferralOutput([_row(r, org_id, names) for r in rows], many=True).data)


class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        """One referral; for the receiver, the shared fields while access lasts (read audited)."""
        referral = get_visible_or_404(Referral, request.user, pk=pk)
        org_id = request.user.organisation_id
        names = workflow.organisation_names({referral.sender_id, referral.receiver_id})
        data = {**_row(referral, org_id, names), "content_available": False, "fields": None, "note": None}
        if referral.receiver_id == org_id and not workflow.receiver_access_cut(referral):
            try:
                opened = workflow.referral_open(request=request._request, actor=request.user, referral=referral)
            except sealing.Locked:
                opened = None
            if opened is not None:
                data.update(content_available=True, **opened.as_dict())
        return Response(ReferralDetailOutput(data).data)


def _answer(request: Request, pk: int, action: Any) -> Response:
    if not can(request.user, Perm.REFERRAL_DECIDE):
        raise PermissionDenied
    referral = get_visible_or_404(Referral, request.user, pk=pk)
    try:
        done = action(referral)
    except ValidationError as exc:
        return Response({"detail": " ".join(exc.messages)}, status=400)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied from exc
    names = workflow.organisation_names({done.sender_id, done.receiver_id})
    return Response(ReferralOutput(_row(done, request.user.organisation_id, names)).data)


class ReferralAcceptApi(APIView):
    @extend_schema(request={"application/json": None}, responses=ReferralOutput)
    def post(self, request: Request, pk: int) -> Response:
        """The receiver accepts a referral waiting for an answer."""
        return _answer(request, pk, lambda r: workflow.referral_accept(actor=request.user, referral=r))


class ReferralDeclineApi(APIView):
    @extend_schema(
        request={
            "application/json": inline_serializer(
                "ReferralDeclineInput",
                {
                    "reason": serializers.ChoiceField(choices=DeclineReason.values),
                    "note": serializers.CharField(required=False, help_text="Sealed to the referring organisation"),
                },
            )
        },
        responses=ReferralOutput,
    )
    def post(self, request: Request, pk: int) -> Response:
        """The receiver declines, with a reason from the list and an optional note."""

        def decline(referral: Referral) -> Referral:
            data = request.data if hasattr(request.data, "get") else {}
            reason, note = str(data.get("reason", ""))[:40], str(data.get("note", ""))[:2000]
            return workflow.referral_decline(actor=request.user, referral=referral, reason=reason, note=note)

        return _answer(request, pk, decline)
