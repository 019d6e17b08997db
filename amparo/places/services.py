"""Suggested places: computed on the fly, confirmed, corrected, rejected, removed (decision 0041).

A suggestion is what `extract_places` finds in text the page already decrypted. It reaches
the browser as a signed token (the place, not the text around it) and comes back in the
POST that confirms, corrects or rejects it; nothing about an unconfirmed suggestion is
stored. A rejection stores only `suggestion_hash`, a keyed hash (the key file's index key,
amparo.core.vault.derived_key) of the source and the place, so the place is not suggested
again for that source and the database never holds its name.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import get_language

from amparo.core import audit, vault
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.places.models import ROUTE_STAGES, ConfirmedPlace, DecisionAction, PlaceDecision, SourceKind
from amparo.routes.legs import StopInput

TOKEN_SALT = "amparo.places.suggestion"  # noqa: S105 (a signing salt, not a secret)
#: A suggestion's token is good for one working day: long enough to read and decide.
TOKEN_MAX_AGE = 12 * 3600
HASH_PURPOSE = "places.suggestion"


class BadSuggestion(Exception):
    """The token is missing, altered, expired, or names another source."""


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """One text a place was read in, resolved for the user through visible_to."""

    kind: str  # SourceKind
    obj: Any
    text: str = ""
    language: str = ""

    @property
    def url_kind(self) -> str:
        """The kind in URLs: reports and signals are both signals (one model)."""
        return "signal" if self.kind in (SourceKind.REPORT, SourceKind.SIGNAL) else self.kind

    @property
    def reference(self) -> str:
        return str(self.obj.pk) if self.kind == SourceKind.EVENT else str(self.obj.reference)

    @property
    def organisation_id(self) -> int:
        if self.kind == SourceKind.EVENT:
            return int(self.obj.case.organisation_id)
        return int(self.obj.organisation_id)

    @property
    def case(self) -> Any:
        """The case the source belongs to, if any."""
        if self.kind == SourceKind.CASE:
            return self.obj
        if self.kind == SourceKind.EVENT:
            return self.obj.case
        return None

    def fk(self) -> dict[str, Any]:
        """The source's foreign key on ConfirmedPlace and PlaceDecision."""
        if self.kind == SourceKind.EVENT:
            return {"event": self.obj}
        if self.kind == SourceKind.CASE:
            return {"case": self.obj}
        return {"signal": self.obj}

    def filter(self) -> Q:
        if self.kind == SourceKind.EVENT:
            return Q(event_id=self.obj.pk)
        if self.kind == SourceKind.CASE:
            return Q(case_id=self.obj.pk)
        return Q(signal_id=self.obj.pk)


def signal_kind(signal: Any) -> str:
    """A report came through the web form or the app; a signal was logged by staff."""
    return SourceKind.REPORT if signal.channel in ("web", "app") else SourceKind.SIGNAL


def signal_source(signal: Any, answers: dict[str, Any] | None = None) -> Source:
    """The source of a signal's page, with the text its page decrypted (`answers`)."""
    answers = answers or {}
    parts = [answers.get(key) for key in ("what_happened", "place", "city", "region_text")]
    text = "\n".join(str(part) for part in parts if part and isinstance(part, str))
    return Source(signal_kind(signal), signal, text=text, language=signal.language or "")


def case_source(case: Any) -> Source:
    return Source(SourceKind.CASE, case, text=case.summary or "", language=case.primary_language or "")


def event_source(event: Any) -> Source:
    return Source(SourceKind.EVENT, event, text=event.description or "", language=event.case.primary_language or "")


def resolve_source(user: Any, url_kind: str, reference: str) -> Source:
    """The source a URL names, visible to `user` (else the same 404 as a missing one);
    PermissionDenied when the user may not decide on places there."""
    from amparo.cases.models import Case, TraffickingEvent
    from amparo.reports.models import Signal

    if not can(user, Perm.PLACE_CONFIRM):
        raise PermissionDenied
    if url_kind == "signal":
        signal = get_visible_or_404(Signal, user, reference=reference)
        return signal_source(signal)
    if url_kind == "case":
        case = get_visible_or_404(Case, user, reference=reference)
        source = case_source(case)
    elif url_kind == "event":
        if not (reference.isascii() and reference.isdigit()):
            raise Http404
        event = get_visible_or_404(TraffickingEvent, user, pk=int(reference))
        source = event_source(event)
    else:
        raise Http404
    # An emergency opening (break the glass) reads a case; it does not change what it records.
    if not can(user, Perm.CASE_VIEW):
        raise PermissionDenied
    return source


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class SuggestedPlace:
    """The place a suggestion names (not the words that named it)."""

    name: str
    country: str
    kind: str  # "country" | "region" | "city"
    region_code: str = ""
    lat: float | None = None
    lon: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.name,
            "c": self.country,
            "k": self.kind,
            "g": self.region_code,
            "la": self.lat,
            "lo": self.lon,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuggestedPlace:
        try:
            lat, lon = data.get("la"), data.get("lo")
            place = cls(
                name=str(data["n"])[:200],
                country=str(data["c"])[:3],
                kind=str(data["k"])[:16],
                region_code=str(data.get("g") or "")[:8],
                lat=float(lat) if lat is not None else None,
                lon=float(lon) if lon is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadSuggestion from exc
        if not place.country or not place.name:
            raise BadSuggestion
        return place


@dataclass
class Suggestion:
    place: SuggestedPlace
    mentions: list[str] = field(default_factory=list)  # the words in the text, as written
    token: str = ""


def suggestion_hash(source: Source, place: SuggestedPlace) -> str:
    """Keyed hash of (source, place): stable for the key file, meaningless without it."""
    data = json.dumps(
        [source.url_kind, source.reference, place.country, place.kind, place.region_code, place.name.casefold()],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return hmac.new(vault.derived_key(HASH_PURPOSE), data, hashlib.sha256).hexdigest()


def suggestion_token(source: Source, place: SuggestedPlace) -> str:
    return signing.dumps({"s": [source.url_kind, source.reference], "p": place.as_dict()}, salt=TOKEN_SALT)


def place_from_token(source: Source, token: str) -> SuggestedPlace:
    """The place a token names, if the token is ours, fresh and for this source."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise BadSuggestion from exc
    if not isinstance(data, dict) or data.get("s") != [source.url_kind, source.reference]:
        raise BadSuggestion
    place = data.get("p")
    if not isinstance(place, dict):
        raise BadSuggestion
    return SuggestedPlace.from_dict(place)


def _language(value: str) -> str:
    for candidate in (value, get_language() or ""):
        short = (candidate or "")[:2].lower()
        if short in ("es", "en"):
            return short
        if (candidate or "").lower() in ("spa", "eng"):
            return "es" if candidate.lower() == "spa" else "en"
    return "es"


def _organisation_country(organisation_id: int) -> str | None:
    from amparo.accounts.models import Organisation

    # scoping: the country of the source's own organisation (no people's data), read to resolve ambiguous names
    country = Organisation.objects.filter(pk=organisation_id).values_list("country", flat=True).first()
    return country or None


def suggestions(user: Any, source: Source) -> list[Suggestion]:
    """The places found in the source's text, once each, without those already decided
    (rejected, or standing as a confirmed place), each with its token."""
    from amparo.places.extract import extract_places

    if not source.text.strip():
        return []
    found = extract_places(
        source.text, _language(source.language), org_country=_organisation_country(source.organisation_id)
    )
    by_place: dict[SuggestedPlace, Suggestion] = {}
    for match in found.places:
        place = SuggestedPlace(
            name=match.name,
            country=match.country,
            kind=match.kind,
            region_code=getattr(match, "region_code", "") or "",
            lat=match.lat,
            lon=match.lon,
        )
        entry = by_place.setdefault(place, Suggestion(place=place))
        if match.text not in entry.mentions:
            entry.mentions.append(match.text)
    if not by_place:
        return []
    decided = decided_hashes(user, source)
    result = []
    for place, entry in by_place.items():
        if suggestion_hash(source, place) in decided:
            continue
        entry.token = suggestion_token(source, place)
        result.append(entry)
    return result


def decided_hashes(user: Any, source: Source) -> set[str]:
    rejected = (
        PlaceDecision.objects.visible_to(user)
        .filter(source.filter(), action=DecisionAction.REJECT)
        .values_list("suggestion_hash", flat=True)
    )
    standing = ConfirmedPlace.objects.visible_to(user).filter(source.filter()).values_list("suggestion_hash", flat=True)
    return {h for h in (*rejected, *standing) if h}


def search(source: Source, query: str) -> list[dict[str, Any]]:
    """The gazetteer's places named `query`, each with a token to choose it for this source."""
    from amparo.core.countries import country_name
    from amparo.places.gazetteer import lookup

    language = _language(get_language() or "")
    results = []
    seen: set[SuggestedPlace] = set()
    for found in lookup(query, language=language):
        place = SuggestedPlace(
            name=found.name,
            country=found.country,
            kind=found.kind,
            region_code=found.region_code or "",
            lat=found.lat,
            lon=found.lon,
        )
        if place in seen:
            continue
        seen.add(place)
        results.append(
            {
                "name": (found.name_es if language == "es" else found.name) or found.name,
                "country": found.country,
                "country_name": country_name(found.country),
                "kind": found.kind,
                "region_code": place.region_code,
                "population": found.population,
                "token": suggestion_token(source, place),
            }
        )
    return results


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Recorded:
    """What a member of staff records: a stage, a place and an optional month."""

    stage: str
    country: str
    region_code: str = ""
    city: str = ""
    lat: float | None = None
    lon: float | None = None
    month: datetime.date | None = None


def recorded_from(place: SuggestedPlace, stage: str, month: datetime.date | None) -> Recorded:
    """What a confirmed suggestion records: a city keeps its name; a region or a country, its code."""
    return Recorded(
        stage=stage,
        country=place.country,
        region_code=place.region_code,
        city=place.name if place.kind == "city" else "",
        lat=place.lat,
        lon=place.lon,
        month=month,
    )


def typed_place(*, stage: str, country: str, region_code: str, city: str, month: datetime.date | None) -> Recorded:
    """A place typed by hand; a city found in the gazetteer in that country gets its coordinates."""
    lat = lon = None
    if city:
        from amparo.places.gazetteer import lookup

        for found in lookup(city, country=country, language=_language(get_language() or "")):
            if found.kind == "city" and found.country == country and found.lat is not None:
                if region_code and found.region_code and found.region_code != region_code:
                    continue
                lat, lon = found.lat, found.lon
                region_code = region_code or found.region_code or ""
                break
    return Recorded(stage=stage, country=country, region_code=region_code, city=city, lat=lat, lon=lon, month=month)


def _coordinate(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def _check(actor: Any, source: Source) -> None:
    if not can(actor, Perm.PLACE_CONFIRM) or source.organisation_id != actor.organisation_id:
        raise PermissionDenied


AUDIT_ACTIONS = {
    DecisionAction.CONFIRM: "place.confirm",
    DecisionAction.CORRECT: "place.correct",
    DecisionAction.ADD: "place.add",
}


def record_place(
    *, actor: Any, source: Source, recorded: Recorded, suggested: SuggestedPlace | None = None, corrected: bool = False
) -> ConfirmedPlace:
    """Confirm a suggestion (`suggested`, not `corrected`), correct one (`corrected`), or add
    a place nobody suggested (no `suggested`): a ConfirmedPlace, a history line, an audit entry."""
    _check(actor, source)
    action = (
        DecisionAction.ADD if suggested is None else (DecisionAction.CORRECT if corrected else DecisionAction.CONFIRM)
    )
    digest = suggestion_hash(source, suggested) if suggested else ""
    with transaction.atomic():
        place = ConfirmedPlace.objects.create(
            organisation_id=source.organisation_id,
            source_kind=source.kind,
            **source.fk(),
            stage=recorded.stage,
            country=recorded.country,
            region_code=recorded.region_code,
            city=recorded.city,
            latitude=_coordinate(recorded.lat),
            longitude=_coordinate(recorded.lon),
            month=recorded.month,
            suggestion_hash=digest,
            confirmed_by=actor,
        )
        PlaceDecision.objects.create(
            organisation_id=source.organisation_id,
            source_kind=source.kind,
            **source.fk(),
            action=action,
            place=place,
            suggestion_hash=digest,
            # A corrected suggestion was a wrong one (it may even be a person's name read as a
            # place): like a rejection, it is kept only as its keyed hash (decision 0041).
            suggested_name=suggested.name if suggested and action == DecisionAction.CONFIRM else "",
            suggested_country=suggested.country if suggested and action == DecisionAction.CONFIRM else "",
            suggested_kind=suggested.kind if suggested and action == DecisionAction.CONFIRM else "",
            stage=recorded.stage,
            country=recorded.country,
            region_code=recorded.region_code,
            city=recorded.city,
            month=recorded.month,
            decided_by=actor,
        )
        audit.record(actor=actor, action=AUDIT_ACTIONS[action], obj=place, reason=f"{source.kind}:{recorded.stage}")
    return place


def reject(*, actor: Any, source: Source, suggested: SuggestedPlace) -> PlaceDecision:
    """Reject a suggestion: only its keyed hash is kept, so it is not suggested again."""
    _check(actor, source)
    digest = suggestion_hash(source, suggested)
    with transaction.atomic():
        decision = PlaceDecision.objects.create(
            organisation_id=source.organisation_id,
            source_kind=source.kind,
            **source.fk(),
            action=DecisionAction.REJECT,
            suggestion_hash=digest,
            decided_by=actor,
        )
        audit.record(actor=actor, action="place.reject", obj=decision, reason=source.kind)
    return decision


def remove(*, actor: Any, place: ConfirmedPlace) -> PlaceDecision:
    """Remove a confirmed place (from visible_to); the history keeps what was removed."""
    if not can(actor, Perm.PLACE_CONFIRM) or place.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        decision = PlaceDecision.objects.create(
            organisation_id=place.organisation_id,
            source_kind=place.source_kind,
            signal_id=place.signal_id,
            case_id=place.case_id,
            event_id=place.event_id,
            action=DecisionAction.REMOVE,
            stage=place.stage,
            country=place.country,
            region_code=place.region_code,
            city=place.city,
            month=place.month,
            decided_by=actor,
        )
        audit.record(actor=actor, action="place.remove", obj=decision, reason=place.source_kind)
        place.delete()
    return decision


def source_of(user: Any, place: ConfirmedPlace) -> Source | None:
    """The source of a confirmed place, if the user still sees it."""
    from amparo.cases.models import Case, TraffickingEvent
    from amparo.reports.models import Signal

    if place.signal_id:
        signal = Signal.objects.visible_to(user).filter(pk=place.signal_id).first()
        return signal_source(signal) if signal else None
    if place.case_id:
        case = Case.objects.visible_to(user).filter(pk=place.case_id).first()
        return case_source(case) if case else None
    if place.event_id is None:
        return None
    event = TraffickingEvent.objects.visible_to(user).filter(pk=place.event_id).select_related("case").first()
    return event_source(event) if event else None


# --------------------------------------------------------------------------- reading


def confirmed_for(user: Any, sources: Iterable[Source]) -> list[ConfirmedPlace]:
    """The confirmed places of the given (visible) sources, oldest first."""
    condition = Q(pk__in=[])
    for source in sources:
        condition |= source.filter()
    return list(ConfirmedPlace.objects.visible_to(user).filter(condition).select_related("confirmed_by"))


def history_for(user: Any, sources: Iterable[Source]) -> list[PlaceDecision]:
    """The place history of the given (visible) sources, newest first."""
    condition = Q(pk__in=[])
    for source in sources:
        condition |= source.filter()
    return list(PlaceDecision.objects.visible_to(user).filter(condition).select_related("decided_by")[:100])


# --------------------------------------------------------------------------- routes


def _case_attributes(case: Any) -> list[tuple[str, str, str]]:
    """One (exploitation type, gender, age band) per exploitation type of the case, as the route
    builder does for trafficking events: a case with two types counts under each type's filter."""
    types = [t for t in (case.exploitation_types or []) if isinstance(t, str)] or [""]
    return [(kind, case.gender or "", case.age_band or "") for kind in types]


def route_stops() -> Iterator[StopInput]:
    """Confirmed places in recruitment, transit or exploitation, as route stops.

    A system read for the route builder (no user): it yields places only, with the source's
    coarse attributes kept in the clear (a case's exploitation types, gender and age band;
    a signal's exploitation type), never a text, in the route builder's `StopInput`. A case summary's and a step's places count
    for the case; a signal linked to a case counts for the case too.
    """
    rows = (
        # scoping: system read for the route builder (aggregates with small cells suppressed downstream)
        ConfirmedPlace.objects.filter(stage__in=ROUTE_STAGES)
        .select_related("signal__case", "case", "event__case")
        .order_by("organisation_id", "id")
    )
    case: Any
    for place in rows.iterator(chunk_size=2000):
        signal: Any = place.signal
        # A person is counted under the organisation that holds the case now (a transferred
        # case's places move with it; a signal linked to a case counts as the case).
        organisation_id = place.organisation_id
        if signal is not None:
            if signal.status == "spam":
                continue
            if signal.case_id:
                subject_kind, subject_id = "case", str(signal.case_id)
                # scoping: the linked case's coarse attributes, same system read
                case = signal.case
                attributes = _case_attributes(case) if case else [(signal.exploitation_type, "", "")]
                organisation_id = case.organisation_id if case else organisation_id
            else:
                subject_kind, subject_id = place.source_kind, str(signal.pk)
                kind = signal.exploitation_type if signal.exploitation_type != "not_sure" else ""
                attributes = [(kind, "", "")]
        else:
            event: Any = place.event
            case = place.case if place.case_id else event.case
            subject_kind, subject_id = "case", str(case.pk)
            attributes = _case_attributes(case)
            organisation_id = case.organisation_id
        for exploitation_type, sex, age_band in attributes:
            yield StopInput(
                subject_kind=subject_kind,
                subject_id=subject_id,
                organisation_id=organisation_id,
                stage=place.stage,
                country=place.country,
                region_code=place.region_code,
                city=place.city,
                lat=float(place.latitude) if place.latitude is not None else None,
                lon=float(place.longitude) if place.longitude is not None else None,
                month=place.month,
                exploitation_type=exploitation_type,
                sex=sex,
                age_band=age_band,
            )
