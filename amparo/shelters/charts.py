"""Occupancy history drawn as SVG on the server: no JavaScript, no third-party host.

The chart is a stacked bar per day (one colour per bed type) under a line at the total
capacity; the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from amparo.shelters.models import BedType
from amparo.shelters.services import HistoryDay

#: One colour per bed type, distinguishable for the common colour-vision deficiencies (Okabe–Ito).
COLOURS = {
    BedType.WOMEN: "#0072B2",
    BedType.MEN: "#E69F00",
    BedType.CHILDREN: "#009E73",
    BedType.FAMILIES: "#CC79A7",
    BedType.LGBTI: "#56B4E9",
    BedType.OTHER: "#7a6a00",
}
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40


def occupancy_svg(history: list[HistoryDay], capacity: int, title_id: str = "occupancy-chart-title") -> SafeString:
    """The SVG of `history` (oldest day first) against the total `capacity` of the shelter."""
    if not history:
        return SafeString("")
    top_value = max([capacity, *(day.total for day in history), 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(history)
    bar_w = max(step * 0.8, 1.0)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top_value

    bars = []
    for index, day in enumerate(history):
        x = LEFT + index * step + (step - bar_w) / 2
        base = 0
        for bed_type in BedType.values:
            count = day.occupied.get(bed_type, 0)
            if not count:
                continue
            bars.append(
                (
                    round(x, 1),
                    round(y(base + count), 1),
                    round(bar_w, 1),
                    round(y(base) - y(base + count), 1),
                    COLOURS[BedType(bed_type)],
                )
            )
            base += count
    rects = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', bars)
    capacity_line = format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#b00020" stroke-width="2" stroke-dasharray="6 4"/>'
        '<text x="{}" y="{}" font-size="12" fill="#7a0016" text-anchor="end">{}</text>',
        LEFT,
        WIDTH - RIGHT,
        round(y(capacity), 1),
        round(y(capacity), 1),
        WIDTH - RIGHT,
        round(y(capacity), 1) - 4,
        _("Capacity: %(beds)s") % {"beds": capacity},
    )
    axis = format_html(
        '<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="#333"/>'
        '<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="#333"/>'
        '<text x="{lx}" y="{b}" font-size="12" fill="#222" text-anchor="end">0</text>'
        '<text x="{lx}" y="{tt}" font-size="12" fill="#222" text-anchor="end">{top}</text>'
        '<text x="{l}" y="{dy}" font-size="12" fill="#222">{first}</text>'
        '<text x="{r}" y="{dy}" font-size="12" fill="#222" text-anchor="end">{last}</text>',
        l=LEFT,
        r=WIDTH - RIGHT,
        t=TOP,
        b=TOP + plot_h,
        lx=LEFT - 6,
        tt=TOP + 12,
        top=top_value,
        dy=HEIGHT - BOTTOM + 18,
        first=date_format(history[0].day, "SHORT_DATE_FORMAT"),
        last=date_format(history[-1].day, "SHORT_DATE_FORMAT"),
    )
    used = [value for value in BedType.values if any(day.occupied.get(value) for day in history)]
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" font-size="12" fill="#222">{}</text>',
        (
            (LEFT + i * 110, HEIGHT - 14, COLOURS[BedType(v)], LEFT + i * 110 + 16, HEIGHT - 3, BedType(v).label)
            for i, v in enumerate(used)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="chart" role="img" aria-labelledby="{tid}">'
        '<title id="{tid}">{title}</title>{axis}{rects}{line}{legend}</svg>',
        w=WIDTH,
        h=HEIGHT,
        tid=title_id,
        title=_("Beds occupied per day from %(first)s to %(last)s, by bed type, against a capacity of %(beds)s.")
        % {
            "first": date_format(history[0].day, "SHORT_DATE_FORMAT"),
            "last": date_format(history[-1].day, "SHORT_DATE_FORMAT"),
            "beds": capacity,
        },
        axis=axis,
        rects=rects,
        line=capacity_line,
        legend=legend,
    )
