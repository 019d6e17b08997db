"""Permission-matrix expectations for the places suggested from reports, signals and cases
(decision 0041; see tests/matrix_cases.py for the shape)."""

from __future__ import annotations

from amparo.core.permissions import Perm, Role
from amparo.places import services
from amparo.places.models import ConfirmedPlace, SourceKind
from amparo.reports.models import Signal
from amparo.reports.services import today

EXPECTATIONS = {
    "places:decide": ("POST", Perm.PLACE_CONFIRM, "place_source"),
    "places:place_form": ("GET", Perm.PLACE_CONFIRM, "place_source"),
    "places:remove": ("POST", Perm.PLACE_CONFIRM, "confirmed_place"),
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    signal = Signal.objects.create(
        organisation=org_a, channel="call", country="MEX", arrived_on=today(), sealed=b"not really sealed"
    )
    place = ConfirmedPlace.objects.create(
        organisation=org_a,
        source_kind=SourceKind.SIGNAL,
        signal=signal,
        stage="exploitation",
        country="MEX",
        city="Tapachula",
        confirmed_by=staff_a[Role.CASE_WORKER],
    )
    return {
        "place_source": {"kind": "signal", "reference": signal.reference},
        "confirmed_place": {"pk": place.pk},
    }


def _suggestion(ctx) -> str:
    """A suggestion's token for organisation A's signal, as its page would carry it."""
    reference = ctx["place_source"]["reference"]
    signal = Signal.objects.get(reference=reference)
    place = services.SuggestedPlace(name="San Pedro Sula", country="HND", kind="city", lat=15.5, lon=-88.0)
    return services.suggestion_token(services.signal_source(signal), place)


READ_ONLY: set[str] = set()

POST_BODIES = {
    "places:decide": lambda ctx: {"action": "confirm", "stage": "recruitment", "suggestion": _suggestion(ctx)},
    "places:place_form": lambda ctx: {"country": "GTM", "city": "Tecún Umán", "stage": "transit"},
    "places:remove": lambda ctx: {"confirm": "yes"},
}
