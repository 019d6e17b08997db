"""The reporter's JSON API for mobile apps: the anonymous API surface, in one module.

Every view here declares `authentication_classes = []` and `permission_classes = [AllowAny]`
explicitly. Paths start with /api/v1/report/, where AnonymousReportingMiddleware strips the
address, user agent, referer and cookies. The receipt travels in the JSON body, never in a
URL. The same services as the public pages do the work.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.reports import abuse, receipts, services
from amparo.reports.cleaning import MAX_FILES, Refused, inspect_all, neutral_names
from amparo.reports.emergency import emergency_number
from amparo.reports.forms import ReportForm, _countries, match_region, questionnaire_answers
from amparo.reports.vocabularies import AgeGroup, Channel, Danger, ExploitationType, Gender, Indicator


class PublicApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        lang = str(request.query_params.get("lang", ""))[:2]
        if lang in {"es", "en"}:
            translation.activate(lang)
        super().initial(request, *args, **kwargs)


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


class AttachmentInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    content_base64 = serializers.CharField(max_length=12 * 1024 * 1024)


KEEP_FILE_NAMES_HELP = (
    "Keep the attachments' own names. By default they are renamed attachment-1.jpg, attachment-2.png… "
    "(a phone's file name often carries the time the photo was taken)."
)


def _clean_files(items: list[dict[str, str]], *, keep_names: bool = False) -> list:
    """The attachments as `cleaning.PendingFile`s, renamed unless `keep_names`: base64 and
    headers checked, nothing decoded (the services decode them after the proof of work, the
    caps or the receipt)."""
    files = []
    for item in items:
        try:
            files.append((item["name"], base64.b64decode(item["content_base64"], validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError(_("An attachment is not valid base64.")) from exc
    try:
        return neutral_names(inspect_all(files), keep=keep_names)
    except Refused as exc:
        raise serializers.ValidationError(str(exc.args[0])) from exc


class ChallengeOutput(serializers.Serializer):
    receipt_opslimit = serializers.IntegerField(help_text="Argon2id opslimit for a receipt derived on the device.")
    receipt_memlimit = serializers.IntegerField(
        help_text="Argon2id memlimit (bytes) for a receipt derived on the device."
    )
    challenge = serializers.CharField(
        help_text="Find a decimal nonce so that SHA-256(challenge + nonce) starts with `difficulty` zero bits."
    )
    difficulty = serializers.IntegerField()


class ChallengeApi(PublicApi):
    @extend_schema(request=None, responses=ChallengeOutput, summary="A single-use proof-of-work challenge")
    def post(self, request: Request) -> Response:
        challenge, bits = abuse.challenge_issue()
        opslimit, memlimit = receipts.kdf_limits()
        data = {"challenge": challenge, "difficulty": bits, "receipt_opslimit": opslimit, "receipt_memlimit": memlimit}
        return Response(ChallengeOutput(data).data)


class DeviceKeysInput(serializers.Serializer):
    """The receipt's stored half, derived on the device: the server never sees the secret.

    master = Argon2id(secret, salt, 32 bytes, opslimit, memlimit);
    verifier = BLAKE2b-256(key=master, "verify");
    reporter_public_key = X25519 public key of the seed BLAKE2b-256(key=master, "reporter-key").
    """

    salt = serializers.CharField(max_length=64, help_text="16 random bytes, base64")
    verifier = serializers.CharField(max_length=64, help_text="32 bytes, base64")
    reporter_public_key = serializers.CharField(max_length=64, help_text="32 bytes, base64")
    opslimit = serializers.IntegerField(min_value=1, max_value=64)
    memlimit = serializers.IntegerField(min_value=8192, max_value=1024 * 1024 * 1024)

    def validate(self, data: dict[str, Any]) -> services.DeviceKeys:
        decoded = {}
        for name, size in (("salt", 16), ("verifier", 32), ("reporter_public_key", 32)):
            try:
                decoded[name] = base64.b64decode(data[name], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise serializers.ValidationError({name: [_("Not valid base64.")]}) from exc
            if len(decoded[name]) != size:
                raise serializers.ValidationError({name: [_("Wrong length.")]})
        min_ops, min_mem = receipts.kdf_limits()
        if data["opslimit"] < min_ops or data["memlimit"] < min_mem:
            raise serializers.ValidationError(_("The key derivation is weaker than this server accepts."))
        return services.DeviceKeys(
            salt=decoded["salt"],
            verifier=decoded["verifier"],
            reporter_public_key=decoded["reporter_public_key"],
            opslimit=data["opslimit"],
            memlimit=data["memlimit"],
        )


class ReportInput(serializers.Serializer):
    what_happened = serializers.CharField(max_length=10000)
    country = serializers.CharField(max_length=3)
    region_text = serializers.CharField(max_length=120, required=False, allow_blank=True)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    place = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    when_month = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True)
    when_year = serializers.IntegerField(min_value=1990, max_value=2100, required=False, allow_null=True)
    people_count = serializers.IntegerField(min_value=1, max_value=10000, required=False, allow_null=True)
    age_groups = serializers.ListField(child=serializers.ChoiceField(AgeGroup.values), required=False, max_length=3)
    genders = serializers.ListField(child=serializers.ChoiceField(Gender.values), required=False, max_length=4)
    exploitation_type = serializers.ChoiceField(ExploitationType.values, default=ExploitationType.NOT_SURE)
    indicators = serializers.ListField(child=serializers.ChoiceField(Indicator.values), required=False, max_length=20)
    danger = serializers.ChoiceField(Danger.values, default=Danger.UNSURE)
    contact = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    consent_services = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The reporter agrees that the report may be passed on to support services.",
    )
    consent_police = serializers.BooleanField(
        required=False, default=False, help_text="The reporter agrees that the report may be passed on to the police."
    )
    recipients = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        min_length=1,
        max_length=50,
        help_text="Optional: the ids (from POST /api/v1/report/recipients/) of the organisations the reporter "
        "chose among those that can receive the report; at least one. Without it, every one of them receives it.",
    )
    attachments = AttachmentInput(many=True, required=False, max_length=MAX_FILES)
    keep_file_names = serializers.BooleanField(default=False, help_text=KEEP_FILE_NAMES_HELP)
    pow_challenge = serializers.CharField(max_length=80, required=False, allow_blank=True)
    pow_nonce = serializers.CharField(max_length=32, required=False, allow_blank=True)
    receipt_secret = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Optional: 16 base32 characters chosen on the device, so a retried submission can get its receipt back.",
    )
    receipt_keys = DeviceKeysInput(
        required=False, help_text="Optional, instead of receipt_secret: the receipt's keys derived on the device."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        form_data = {
            k: v
            for k, v in data.items()
            if k not in {"attachments", "keep_file_names", "receipt_secret", "receipt_keys", "recipients"}
            and v is not None
        }
        form = ReportForm(form_data)
        if not form.is_valid():
            raise serializers.ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        secret = data.get("receipt_secret") or ""
        if secret and receipts.parse_secret(secret) is None:
            raise serializers.ValidationError({"receipt_secret": [_("The secret must be 16 base32 characters.")]})
        return {
            "answers": questionnaire_answers(form.cleaned_data),
            "files": _clean_files(data.get("attachments", []), keep_names=data.get("keep_file_names", False)),
            "pow_challenge": data.get("pow_challenge", ""),
            "pow_nonce": data.get("pow_nonce", ""),
            "secret": receipts.parse_secret(secret) if secret else None,
            "device_keys": data.get("receipt_keys"),
            "recipients": data.get("recipients"),
        }


_TEXT_LIMITS = {"region_text": 120, "city": 120, "place": 2000, "contact": 1000, "pow_challenge": 80, "pow_nonce": 32}
_INT_RANGES = {"when_month": (1, 12), "when_year": (1990, 2100), "people_count": (1, 10000)}
_LISTS = {
    "age_groups": (frozenset(AgeGroup.values), 3),
    "genders": (frozenset(Gender.values), 4),
    "indicators": (frozenset(Indicator.values), 20),
}
_KNOWN = frozenset(
    {"what_happened", "country", "exploitation_type", "danger", "attachments", "receipt_secret", "receipt_keys"}
    | {"consent_police", "consent_services"}
    | set(_TEXT_LIMITS)
    | set(_INT_RANGES)
    | set(_LISTS)
)
_DEVICE_KEYS = frozenset({"salt", "verifier", "reporter_public_key", "opslimit", "memlimit"})
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
_EXPLOITATION_TYPES = frozenset(ExploitationType.values)
_DANGERS = frozenset(Danger.values)


@lru_cache(maxsize=8)
def _country_codes(language: str) -> frozenset[str]:
    return frozenset(code for code, _label in _countries(language) if code)


def _text(value: Any, limit: int, *, required: bool = False) -> str | None:
    """The stripped text if ReportInput and ReportForm both accept it as is, else None."""
    if type(value) is not str:
        return None
    value = value.strip()
    if len(value) > limit or (required and not value) or _REFUSED_CHARACTERS.search(value):
        return None
    return value


def _device_keys(value: Any) -> services.DeviceKeys | None:
    if type(value) is not dict or set(value) != _DEVICE_KEYS:
        return None
    decoded = {}
    for name, size in (("salt", 16), ("verifier", 32), ("reporter_public_key", 32)):
        text = _text(value[name], 64, required=True)
        if text is None:
            return None
        try:
            decoded[name] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(decoded[name]) != size:
            return None
    opslimit, memlimit = value["opslimit"], value["memlimit"]
    if type(opslimit) is not int or type(memlimit) is not int:
        return None
    min_ops, min_mem = receipts.kdf_limits()
    if not (max(1, min_ops) <= opslimit <= 64 and max(8192, min_mem) <= memlimit <= 1024 * 1024 * 1024):
        return None
    return services.DeviceKeys(
        salt=decoded["salt"],
        verifier=decoded["verifier"],
        reporter_public_key=decoded["reporter_public_key"],
        opslimit=opslimit,
        memlimit=memlimit,
    )


def report_input_fast(data: Any) -> dict[str, Any] | None:
    """ReportInput's validated data for a plainly valid body without attachments, else None.

    A shortcut for the common case, checked against the same rules without building a
    serializer and a form per request (DRF deep-copies every declared field for each
    serializer). It accepts only a subset of what ReportInput accepts (exact JSON types,
    known keys, no attachments) and gives exactly what ReportInput gives for it; anything
    else, valid or not, returns None and goes through ReportInput, which words the errors.
    tests/test_reports_api.py checks the two agree on generated bodies.
    """
    if type(data) is not dict or not _KNOWN.issuperset(data):
        return None
    what = _text(data.get("what_happened"), 10000, required=True)
    country = _text(data.get("country"), 3, required=True)
    if what is None or country is None or country not in _country_codes(translation.get_language() or "en"):
        return None
    form: dict[str, Any] = {"what_happened": what, "country": country}
    for name, limit in _TEXT_LIMITS.items():
        value = _text(data.get(name, ""), limit)
        if value is None:
            return None
        form[name] = value
    for name, (low, high) in _INT_RANGES.items():
        value = data.get(name)
        if value is not None and (type(value) is not int or not low <= value <= high):
            return None
        form[name] = value
    if form["when_month"] is not None and form["when_year"] is None:
        return None
    for name, (choices, most) in _LISTS.items():
        value = data.get(name, [])
        if type(value) is not list or len(value) > most or not all(type(v) is str and v in choices for v in value):
            return None
        form[name] = list(value)
    for name, choices, default in (
        ("exploitation_type", _EXPLOITATION_TYPES, ExploitationType.NOT_SURE),
        ("danger", _DANGERS, Danger.UNSURE),
    ):
        value = data.get(name, str(default))
        if type(value) is not str or value not in choices:
            return None
        form[name] = value
    for name in ("consent_police", "consent_services"):
        value = data.get(name, False)
        if type(value) is not bool:
            return None
        form[name] = value
    if data.get("attachments", []) != []:
        return None
    secret = _text(data.get("receipt_secret", ""), 40)
    if secret is None or (secret and receipts.parse_secret(secret) is None):
        return None
    device_keys = None
    if "receipt_keys" in data:
        device_keys = _device_keys(data["receipt_keys"])
        if device_keys is None:
            return None
    return {
        "answers": questionnaire_answers(form),
        "files": [],
        "pow_challenge": form["pow_challenge"],
        "pow_nonce": form["pow_nonce"],
        "secret": receipts.parse_secret(secret) if secret else None,
        "device_keys": device_keys,
        "recipients": None,
    }


class RecipientsInput(serializers.Serializer):
    country = serializers.CharField(max_length=3)
    region_text = serializers.CharField(max_length=120, required=False, allow_blank=True)
    exploitation_type = serializers.ChoiceField(ExploitationType.values, default=ExploitationType.NOT_SURE)

    def validate_country(self, value: str) -> str:
        if value not in _country_codes(translation.get_language() or "en"):
            raise serializers.ValidationError(_("Choose a country from the list."))
        return value


class RecipientOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="What to send back in `recipients` when submitting.")
    name = serializers.CharField(help_text="The organisation's public name.")


class RecipientsOutput(serializers.Serializer):
    recipients = RecipientOutput(many=True)


class RecipientsApi(PublicApi):
    @extend_schema(
        request=RecipientsInput,
        responses={200: RecipientsOutput, 400: OpenApiResponse(description="Invalid answers"), 503: ErrorOutput},
        summary="Who would receive a report",
        description="The organisations that receive a report with these answers (their routing rules), by public "
        "name. Show them to the reporter before sending; where there are several, let the reporter choose "
        "(at least one) and send the ids chosen as `recipients` with the report. Each organisation that receives "
        "it sees the names of the others.",
    )
    def post(self, request: Request) -> Response:
        serializer = RecipientsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            found = _recipients_for(data["country"], data.get("region_text", ""), data["exploitation_type"])
        except services.ReportingUnavailable:
            return Response({"detail": _("Reporting is not set up on this server yet.")}, status=503)
        return Response(RecipientsOutput({"recipients": found}).data)


def _recipients_for(country: str, region_text: str, exploitation_type: str) -> list[services.Recipient]:
    return services.report_recipients(
        country=country, region=match_region(country, region_text), exploitation_type=exploitation_type
    )


class ReportOutput(serializers.Serializer):
    public_id = serializers.CharField()
    receipt = serializers.CharField(
        help_text="Shown once. Empty when the device derived the keys (it formats public_id-secret itself) "
        "and on a replay without the same receipt_secret."
    )
    held = serializers.BooleanField(help_text="True when sent without solving the challenge: it waits for a check.")
    replayed = serializers.BooleanField(
        help_text="True when this Idempotency-Key was already used: nothing new was stored."
    )
    emergency_number = serializers.CharField(allow_blank=True)
    recipients = serializers.ListField(
        child=serializers.CharField(),
        help_text="Public names of the organisations that received it (empty on a replay).",
    )


class ReportSubmitApi(PublicApi):
    @extend_schema(
        request=ReportInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="A random value per report; a retry with the same key is stored once.",
            )
        ],
        responses={
            201: ReportOutput,
            200: ReportOutput,
            400: OpenApiResponse(description="Invalid answers"),
            503: ErrorOutput,
        },
        summary="Send an anonymous report",
    )
    def post(self, request: Request) -> Response:
        data = report_input_fast(request.data)
        if data is None:
            serializer = ReportInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        # Checked here; used up (single use) in the same cache round trip as the caps are read.
        challenge = abuse.pow_solved(data["pow_challenge"], data["pow_nonce"])
        chosen = data.get("recipients")
        if chosen is not None:
            answers = data["answers"]
            try:
                found = services.report_recipients(
                    country=answers["country"], region=answers["region"], exploitation_type=answers["exploitation_type"]
                )
            except services.ReportingUnavailable:
                return Response({"detail": _("Reporting is not set up on this server yet.")}, status=503)
            chosen = [recipient.id for recipient in found if recipient.id in chosen]
            if not chosen:
                message = _("Choose at least one of the organisations that can receive this report.")
                return Response({"recipients": [message]}, status=400)
        try:
            submitted = services.report_submit(
                answers=data["answers"],
                files=data["files"],
                channel=Channel.APP,
                language=translation.get_language() or "",
                held=not challenge,
                challenge=challenge,
                trusted=getattr(request._request, "amparo_trusted_network", False),
                secret=data["secret"],
                device_keys=data["device_keys"],
                idempotency_key=str(request.headers.get("Idempotency-Key", ""))[:200],
                recipients=chosen,
            )
        except services.CapReached:
            return Response(
                {"detail": _("Too many reports are arriving right now. Please try again in an hour.")}, status=503
            )
        except services.ReportingUnavailable:
            return Response({"detail": _("Reporting is not set up on this server yet.")}, status=503)
        except Refused as refused:  # an attachment did not decode: nothing stored
            return Response({"attachments": [str(refused.args[0])]}, status=400)
        answers = data["answers"]
        output = {
            "public_id": submitted.public_id,
            "receipt": submitted.receipt,
            "held": submitted.held,
            "replayed": submitted.replayed,
            "emergency_number": emergency_number(answers["country"]) if answers["danger"] == Danger.YES else "",
            "recipients": services.recipient_names(submitted.signals),  # scoping: the rows this submission just wrote
        }
        # Already the shape ReportOutput documents (no serializer pass: this is the hot path).
        return Response(output, status=200 if submitted.replayed else 201)


class PuzzleInput(serializers.Serializer):
    """The proof of work every receipt attempt carries (each costs the server one Argon2id)."""

    pow_challenge = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text="A challenge from POST /api/v1/report/challenge/ or from a 428 answer, used once. Without a "
        "solved challenge of enough difficulty the answer is 428 with the challenge to solve.",
    )
    pow_nonce = serializers.CharField(max_length=32, required=False, allow_blank=True)


class PuzzleOutput(serializers.Serializer):
    detail = serializers.CharField()
    challenge = serializers.CharField(
        help_text="Solve it (a decimal nonce so that SHA-256(challenge + nonce) starts with `difficulty` zero "
        "bits) and send the same request again with pow_challenge and pow_nonce."
    )
    difficulty = serializers.IntegerField(
        help_text="Rises with failed attempts across the server, and more steeply with failed attempts at "
        "this receipt; a correct receipt with a solved challenge always opens."
    )


RECEIPT_PUZZLE_DESCRIPTION = (
    "Every request with a receipt needs a solved proof-of-work challenge (pow_challenge, pow_nonce); "
    "without one, or with one too easy or already used, the answer is 428 with a new challenge of the "
    "difficulty this receipt needs now."
)


class ReceiptInput(PuzzleInput):
    receipt = serializers.CharField(
        max_length=receipts.RECEIPT_TEXT_MAX,
        help_text="`<public id>-<secret>` as issued, or the public id followed by the reporter's own passphrase.",
    )


class MustChangeOutput(serializers.Serializer):
    detail = serializers.CharField()
    must_change = serializers.BooleanField(
        help_text="Always true here: someone else (a hotline advocate) gave this receipt, so it opens nothing "
        "until POST /api/v1/report/receipt/ replaces its secret with one only the reporter knows."
    )


def _must_change() -> Response:
    detail = _(
        "Someone else gave you this receipt, so they know it too. Choose a secret of your own first: "
        "until then nothing can be read or sent with it."
    )
    return Response(MustChangeOutput({"detail": detail, "must_change": True}).data, status=status.HTTP_409_CONFLICT)


def _open(data: dict[str, Any]) -> services.Opened | Response:
    try:
        return services.followup_open(
            receipt_text=data["receipt"], challenge=data.get("pow_challenge", ""), nonce=data.get("pow_nonce", "")
        )
    except services.PuzzleNeeded as needed:
        detail = _("Solve this challenge and send the request again.")
        output = PuzzleOutput({"detail": detail, "challenge": needed.challenge, "difficulty": needed.bits}).data
        return Response(output, status=status.HTTP_428_PRECONDITION_REQUIRED)
    except services.Throttled:
        return Response({"detail": _("Too many attempts with this receipt. Wait an hour and try again.")}, status=429)
    except services.ReceiptRefused:
        return Response({"detail": _("This receipt does not open a report.")}, status=400)


class MessageOutput(serializers.Serializer):
    author = serializers.CharField()
    kind = serializers.CharField()
    organisation = serializers.CharField(allow_blank=True)
    text = serializers.CharField()
    sent_on = serializers.DateField()


class HoldingOutput(serializers.Serializer):
    organisation = serializers.CharField(help_text="The organisation's public name.")
    status = serializers.CharField(help_text="Where it is with the report, in the reporter's words and language.")


class ThreadOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    holders = HoldingOutput(many=True, help_text="Every organisation holding the report, with its status.")
    report = serializers.DictField(
        allow_null=True,
        help_text="The report as the reporter sent it (sealed to the receipt, readable only with it); "
        "null for a hotline contact.",
    )
    must_change = serializers.BooleanField(
        help_text="False: the receipt is the reporter's own. A receipt that must change answers 409 instead."
    )


class FollowUpReadApi(PublicApi):
    @extend_schema(
        request=ReceiptInput,
        responses={200: ThreadOutput, 400: ErrorOutput, 409: MustChangeOutput, 428: PuzzleOutput, 429: ErrorOutput},
        summary="Read the conversation",
        description="A receipt a hotline advocate gave answers 409 with `must_change` and shows nothing "
        "until the reporter has replaced its secret (POST /api/v1/report/receipt/). " + RECEIPT_PUZZLE_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        serializer = ReceiptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        opened = _open(serializer.validated_data)
        if isinstance(opened, Response):
            return opened
        if opened.receipt.must_change:
            return _must_change()
        thread = services.followup_thread(opened=opened)
        holders = services.followup_holders(opened=opened)
        report = services.followup_report(opened=opened)
        return Response(
            ThreadOutput({"messages": thread, "holders": holders, "report": report, "must_change": False}).data
        )


class ReplyInput(PuzzleInput):
    receipt = serializers.CharField(max_length=receipts.RECEIPT_TEXT_MAX)
    text = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    contact = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    attachments = AttachmentInput(many=True, required=False, max_length=MAX_FILES)
    keep_file_names = serializers.BooleanField(default=False, help_text=KEEP_FILE_NAMES_HELP)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data["files"] = _clean_files(data.pop("attachments", []), keep_names=data.pop("keep_file_names", False))
        if not (data.get("text") or data.get("contact") or data["files"]):
            raise serializers.ValidationError(_("Write an answer, give contact details or attach a photo."))
        return data


class ReplyOutput(serializers.Serializer):
    stored = serializers.IntegerField()


class FollowUpReplyApi(PublicApi):
    @extend_schema(
        request=ReplyInput,
        responses={201: ReplyOutput, 400: ErrorOutput, 409: MustChangeOutput, 428: PuzzleOutput, 429: ErrorOutput},
        summary="Answer the organisation",
        description="A receipt that must change answers 409 and nothing is stored. " + RECEIPT_PUZZLE_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        serializer = ReplyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        opened = _open(data)
        if isinstance(opened, Response):
            return opened
        if opened.receipt.must_change:
            return _must_change()
        try:
            stored = services.followup_reply(
                opened=opened, text=data.get("text", ""), contact=data.get("contact", ""), files=data["files"]
            )
        except Refused as refused:  # an attachment did not decode: nothing stored
            return Response({"attachments": [str(refused.args[0])]}, status=400)
        return Response(ReplyOutput({"stored": stored}).data, status=status.HTTP_201_CREATED)


class ReceiptChangeInput(PuzzleInput):
    receipt = serializers.CharField(max_length=receipts.RECEIPT_TEXT_MAX)
    new_secret = serializers.CharField(
        max_length=receipts.RECEIPT_TEXT_MAX,
        required=False,
        allow_blank=True,
        help_text="Optional: 16 base32 characters drawn on the device, or a passphrase of the reporter's own "
        f"({receipts.PASSPHRASE_MIN} to {receipts.PASSPHRASE_MAX} letters and digits, letters and digits both, "
        f"at least {receipts.PASSPHRASE_MIN_DIFFERENT} different ones; case, accents, spaces and punctuation "
        "are ignored). Empty: the server draws a secret.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """`new_secret` as it will be read back (a generated secret or a passphrase), never the
        secret of the receipt typed, which someone else may know."""
        typed = receipts.parse_receipt(data["receipt"])
        value, data["passphrase"] = data.get("new_secret") or "", False
        if not value or typed is None:
            data["new_secret"] = None  # an unusable receipt is refused as every wrong one is
            return data
        generated = receipts.parse_secret(value)
        if generated is not None:
            if generated == typed.secret:
                raise serializers.ValidationError(
                    {"new_secret": [_("Choose a secret different from the one you have.")]}
                )
            data["new_secret"] = generated
            return data
        try:
            data["new_secret"] = receipts.passphrase_clean(value, public_id=typed.public_id, given_secret=typed.secret)
        except receipts.WeakPassphrase as exc:
            raise serializers.ValidationError({"new_secret": [str(exc.args[0])]}) from exc
        data["passphrase"] = True
        return data


class ReceiptOutput(serializers.Serializer):
    public_id = serializers.CharField()
    receipt = serializers.CharField(
        allow_blank=True,
        help_text="The new receipt, public_id-secret. Empty when new_secret was a passphrase: the reporter "
        "comes back with the public id followed by it.",
    )
    must_change = serializers.BooleanField(help_text="False: the receipt is now the reporter's own.")


class ReceiptChangeApi(PublicApi):
    @extend_schema(
        request=ReceiptChangeInput,
        responses={200: ReceiptOutput, 400: ErrorOutput, 428: PuzzleOutput, 429: ErrorOutput},
        summary="Change the receipt",
        description="Replaces the secret; the old one stops working at once, and messages sealed to the reporter "
        "are re-sealed to the new key. For a receipt that must change (409 from the other follow-up "
        "operations) this is the first and only thing that works. " + RECEIPT_PUZZLE_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        serializer = ReceiptChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        opened = _open(data)
        if isinstance(opened, Response):
            return opened
        if opened.receipt.must_change:
            typed = receipts.parse_receipt(data["receipt"])
            try:
                new = services.receipt_claim(
                    opened=opened, given_secret=typed.secret if typed else "", new_secret=data["new_secret"]
                )
            except services.ReceiptRefused:  # someone else claimed it since it was opened
                return Response({"detail": _("This receipt does not open a report.")}, status=400)
        else:
            try:
                new = services.receipt_change(opened=opened, new_secret=data["new_secret"])
            except services.ReceiptRefused:  # changed since it was opened (another device)
                return Response({"detail": _("This receipt does not open a report.")}, status=400)
        output = {"public_id": opened.receipt.public_id, "receipt": "" if data["passphrase"] else new}
        return Response(ReceiptOutput({**output, "must_change": False}).data)
