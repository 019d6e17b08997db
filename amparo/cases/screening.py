"""The ILO–EC combination rule (2009) and which indicator list suits a case.

Pure functions over an indicator list (`texts.indicator_list`) and the ids a worker marked:
no database, no request. They suggest; the decision on trafficking status is a person's
(`services.decision_record`).

The rule, as each ILO–EC list states it in its `rule` block:

- a dimension is present when its marked indicators reach any of the thresholds in
  `dimension_present_when_any` (a threshold maps a grade, or grades joined by `_or_`, to the
  least number marked: two strong; one strong and one medium or weak; three medium; two
  medium and one weak);
- the indicators point to a possible victim of trafficking when every group of
  `possible_victim_when_all` has a present dimension (adults: recruitment, exploitation,
  coercion or abuse of vulnerability at destination; children: the act and exploitation).

For children, Article 3(c) of the Palermo Protocol needs no means: since version 2009.1.1
the children's lists carry the act itself (recruitment, transport, transfer, harbouring or
receipt; the `act` block, present when any is marked) and their rule asks for the act, not
for a means-based recruitment dimension; the recruitment dimensions still record the means.
When the rule is not met, `missing` names each required group with no present element.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amparo.cases.models import Case

ADULTHOOD = 18
CHILD_AGE_BANDS = ("0-8", "9-17")


@dataclass(frozen=True)
class Assessment:
    """What the marked indicators point to, dimension by dimension."""

    present: dict[str, bool]  # dimension id -> present, in the list's order
    recruitment: tuple[str, ...]  # kinds of the present recruitment dimensions, in order
    possible_victim: bool
    missing: tuple[tuple[str, ...], ...] = ()  # the rule's groups with no present element

    def as_json(self) -> dict[str, Any]:
        return {
            "dimensions": self.present,
            "recruitment": list(self.recruitment),
            "possible_victim": self.possible_victim,
            "missing": [list(group) for group in self.missing],
        }


def missing_elements(rule: Mapping[str, Any], present: Mapping[str, bool]) -> tuple[tuple[str, ...], ...]:
    """The groups of `possible_victim_when_all` none of whose elements is present."""
    return tuple(
        tuple(group) for group in rule["possible_victim_when_all"] if not any(present.get(name) for name in group)
    )


def dimension_present(marked_grades: Mapping[str, int], thresholds: Sequence[Mapping[str, int]]) -> bool:
    """True when the numbers of marked indicators per grade reach any one of `thresholds`."""
    return any(
        all(
            sum(marked_grades.get(grade, 0) for grade in key.split("_or_")) >= least for key, least in threshold.items()
        )
        for threshold in thresholds
    )


def assess(indicator_list: Mapping[str, Any], marked: Collection[str]) -> Assessment:
    """Apply the list's combination rule to the marked indicator ids (unknown ids count for nothing)."""
    rule = indicator_list["rule"]
    present: dict[str, bool] = {}
    kinds: list[str] = []
    if "act" in indicator_list:
        present["act"] = any(item["id"] in marked for item in indicator_list["act"]["indicators"])
    for dimension in indicator_list["dimensions"]:
        grades = Counter(item["grade"] for item in dimension["indicators"] if item["id"] in marked)
        present[dimension["id"]] = dimension_present(grades, rule["dimension_present_when_any"])
        if present[dimension["id"]] and dimension.get("recruitment"):
            kinds.append(dimension["recruitment"])
    missing = missing_elements(rule, present)
    return Assessment(present=present, recruitment=tuple(kinds), possible_victim=not missing, missing=missing)


def is_child(case: Case, today: datetime.date) -> bool:
    """True when the date of birth, the age group at registration or the age when trafficked says under 18."""
    birth = case.birth_date_value
    if birth is not None:
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        if age < ADULTHOOD:
            return True
    if case.age_band in CHILD_AGE_BANDS:
        return True
    return case.age_when_trafficked is not None and case.age_when_trafficked < ADULTHOOD


def suggested_tools(case: Case, today: datetime.date) -> list[str]:
    """The ILO–EC lists that fit the case: children's or adults'; sexual when sexual exploitation
    is recorded, labour when another type is; both when the case records no type yet."""
    population = "children" if is_child(case, today) else "adults"
    types = set(case.exploitation_types)
    sexual = "sexual_exploitation" in types or bool(case.sexual_exploitation_types)
    labour = bool(types - {"sexual_exploitation"}) or bool(case.forced_labour_industries)
    kinds = [kind for kind, wanted in (("labour", labour), ("sexual", sexual)) if wanted] or ["labour", "sexual"]
    return [f"ilo_ec_{population}_{kind}" for kind in kinds]
