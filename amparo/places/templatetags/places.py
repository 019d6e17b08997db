"""The "Places mentioned" panel on a signal's and a case's page (decision 0041).

The panel reads only what the page already decrypted (a signal's opened answers, a case's
summary and its steps' descriptions, which the ORM opens on load): it adds no decryption.
"""

from __future__ import annotations

from typing import Any

import pycountry
from django import template
from django.utils.translation import gettext as _

from amparo.cases.vocabularies import EventType
from amparo.core.permissions import Perm, can
from amparo.places import services
from amparo.places.models import SourceKind, Stage

register = template.Library()


@register.filter
def region_name(code: str) -> str:
    """The name of an ISO 3166-2 region ("HN-CR" → "Cortés"), or the code itself."""
    if not code:
        return ""
    found = pycountry.subdivisions.get(code=code)
    return str(found.name) if found is not None else code


def _panel(context: template.Context, sections: list[dict[str, Any]], may_act: bool) -> dict[str, Any]:
    user = context["request"].user
    sources = [section["source"] for section in sections]
    for section in sections:
        section["suggestions"] = services.suggestions(user, section["source"]) if may_act else []
    labels = {(s.kind, s.obj.pk): section["label"] for s, section in zip(sources, sections, strict=True)}
    confirmed = services.confirmed_for(user, sources)
    history = services.history_for(user, sources)
    for row in (*confirmed, *history):
        key = (row.source_kind, row.signal_id or row.case_id or row.event_id)
        row.source_label = labels.get(key, "")  # type: ignore[attr-defined]
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "show": may_act,
        "sections": sections,
        "confirmed": confirmed,
        "history": history,
        "stages": Stage.choices,
        "any_suggestion": any(section["suggestions"] for section in sections),
    }


@register.inclusion_tag("places/_panel.html", takes_context=True)
def places_for_signal(context: template.Context, signal: Any, answers: dict[str, Any] | None) -> dict[str, Any]:
    """The panel of a report's or signal's page, from the answers the page opened."""
    user = context["request"].user
    # Only the organisation that holds the signal records its places (a receiver of a referral
    # may read it, but the places are the holder's to confirm).
    may_act = (
        can(user, Perm.PLACE_CONFIRM) and signal.status != "spam" and signal.organisation_id == user.organisation_id
    )
    source = services.signal_source(signal, answers)
    label = SourceKind(source.kind).label
    return _panel(context, [{"source": source, "label": label}], may_act)


@register.inclusion_tag("places/_panel.html", takes_context=True)
def places_for_case(context: template.Context, case: Any, events: Any) -> dict[str, Any]:
    """The panel of a case's page: its summary and the descriptions of its route's steps."""
    user = context["request"].user
    # An emergency opening (break the glass) reads the case; it does not record places.
    may_act = (
        can(user, Perm.PLACE_CONFIRM) and can(user, Perm.CASE_VIEW) and case.organisation_id == user.organisation_id
    )
    sections: list[dict[str, Any]] = [{"source": services.case_source(case), "label": _("Case summary")}]
    for event in events if may_act else []:
        step = EventType(event.event_type).label if event.event_type in EventType.values else event.event_type
        label = _("Step of the route: %(step)s") % {"step": step}
        if event.month:
            label = f"{label} ({event.month:%Y-%m})"
        event.case = case  # the page's own case object: no second read
        sections.append({"source": services.event_source(event), "label": label})
    return _panel(context, sections, may_act)
