"""Small-cell suppression for route aggregates: the one module pages, API and exports use
(decision 0043, after decision 0035).

A cell is a count of distinct people (`n`) and the part of it outside the viewer's own
organisation (`others`), which the viewer cannot compute from its own files. A cell is shown
only when all of these hold:

* **Threshold.** `n >= T` and `others` is 0 or `>= T` (network minus own never gives fewer
  than T people of other organisations).
* **Differencing.** For every query the viewer could make by relaxing any subset of its
  filters (a quarter to its year or to all time; a type, sex or age band to all), the same
  cell's count there minus the count here is 0 or `>= T`, and so is the difference of the
  parts outside the viewer's organisation. "All sexes 7" beside "women 6" would give one man.
* **Siblings.** For every filter the query sets, the values of that dimension (each sex, age
  band, type, the quarters of a year, the years of all time) are one group under the cell
  with the filter relaxed; the unknown value is never listed and counts in the remainder.
  The complement rule below runs over the group (`siblings_shown`), so "all 12, women 6,
  men 5" never shows both women and men; the answer is the same whichever value is asked.
* **Complement at finer levels.** A region flow belongs to its country flow, a city flow to
  its region flow (and its country flow), a res-6 hexagon to its res-4 parent (the same
  stage). While the parent minus the children shown is from 1 to T - 1 (in people or in the part outside the viewer's organisation), or exactly
  one listable child is hidden, the smallest shown sibling is hidden too. A hidden parent
  hides all its children.

Everything else is absent: no "fewer than 5" rows, no zeros for cells that exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

#: key -> (people, people outside the viewer's organisation)
Key = tuple[Any, ...]
Counts = dict[Key, tuple[int, int]]


def threshold() -> int:
    return max(5, int(getattr(settings, "AMPARO_ROUTE_THRESHOLD", 5)))


def small(value: int, k: int) -> bool:
    return 0 < value < k


def primary_shown(at: Counts, relaxed: Iterable[Counts], k: int) -> set[Key]:
    """Keys passing the threshold, the own-organisation test and every relaxation's difference."""
    relaxed = list(relaxed)
    shown = set()
    for key, (n, others) in at.items():
        if n < k or small(others, k):
            continue
        if any(small(r.get(key, (0, 0))[0] - n, k) or small(r.get(key, (0, 0))[1] - others, k) for r in relaxed):
            continue
        shown.add(key)
    return shown


def _keep(
    counts: dict[Any, tuple[int, int]],
    visible: list[Any],
    hidden_listable: list[Any],
    parent: tuple[int, int],
    k: int,
    overlapping: bool = False,
) -> list[Any]:
    """Hide the smallest shown child while the parent minus the shown children is 1..T-1 (in
    people or in the part outside the viewer's organisation) or exactly one listable child is
    hidden. With `overlapping` children (a person counts under each of several exploitation
    types) the remainder may be negative; a small magnitude either way hides too."""
    visible = list(visible)
    hidden = list(hidden_listable)

    def unsafe(value: int) -> bool:
        return small(abs(value), k) if overlapping else small(value, k)

    while visible:
        rest = parent[0] - sum(counts[key][0] for key in visible)
        rest_others = parent[1] - sum(counts[key][1] for key in visible)
        if not (unsafe(rest) or unsafe(rest_others) or len(hidden) == 1):
            break
        smallest = min(visible, key=lambda key: (counts[key][0], str(key)))
        visible.remove(smallest)
        hidden.append(smallest)
    return visible


def siblings_shown(
    children: dict[Any, tuple[int, int]],
    shown: set[Any],
    parent: tuple[int, int],
    k: int,
    *,
    overlapping: bool = False,
) -> set[Any]:
    """The values of one filter dimension still shown for one cell (decision 0043): `children`
    are the cell's counts under every real value of the dimension (sex, age band, type, quarter
    of a year, year), `shown` those passing `primary_shown`, `parent` the cell with the
    dimension relaxed. The unknown value is never listed and counts in the remainder. The
    result depends on the group only, so it is the same whichever value was asked."""
    visible = sorted((value for value in children if value in shown), key=str)
    hidden = [value for value in children if value not in shown and children[value][0] > 0]
    return set(_keep(children, visible, hidden, parent, k, overlapping))


def complement(
    children: Counts,
    shown: set[Key],
    parents: Counts,
    parents_shown: set[Key],
    parent_of: Callable[[Key], Key],
    listable: Callable[[Key], bool],
    k: int,
) -> set[Key]:
    """The children still shown once their parents' remainders give nothing away."""
    groups: dict[Key, list[Key]] = defaultdict(list)
    for key in children:
        groups[parent_of(key)].append(key)
    result: set[Key] = set()
    for parent, keys in groups.items():
        if parent not in parents_shown:
            continue
        visible = [key for key in keys if key in shown and listable(key)]
        hidden_listable = [key for key in keys if listable(key) and key not in visible and children[key][0] > 0]
        result.update(_keep(children, visible, hidden_listable, parents.get(parent, (0, 0)), k))
    return result
