"""A horizontal bar chart drawn as SVG on the server: no JavaScript, no third-party host.

Small and shared: one bar per labelled count. The page that shows it also shows the same
numbers in a table (the chart is `role="img"` with a title; the table is what a screen reader
and a CSV download use).
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
ROW = 22
LABEL_W = 240
RIGHT = 60
BAR_COLOUR = "#0072B2"  # Okabe–Ito blue, as the occupancy chart


def bar_svg(rows: list[tuple[str, int]], title: str, title_id: str) -> SafeString:
    """The SVG of `rows` (label, count), one bar each, scaled to the largest count."""
    if not rows or not any(value for _, value in rows):
        return SafeString("")
    top = max(value for _, value in rows)
    plot_w = WIDTH - LABEL_W - RIGHT
    height = ROW * len(rows) + 8
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="12" fill="#222" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" font-size="12" fill="#222">{}</text>',
        (
            (
                LABEL_W - 6,
                i * ROW + 18,
                label[:38],
                LABEL_W,
                i * ROW + 6,
                round(plot_w * value / top, 1),
                ROW - 6,
                BAR_COLOUR,
                LABEL_W + round(plot_w * value / top, 1) + 4,
                i * ROW + 18,
                value,
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="chart" role="img" aria-labelledby="{tid}">'
        '<title id="{tid}">{title}</title>{bars}</svg>',
        w=WIDTH,
        h=height,
        tid=title_id,
        title=title,
        bars=bars,
    )
