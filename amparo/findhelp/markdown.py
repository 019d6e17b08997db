"""Awareness pages from Markdown to HTML that is safe to show to anyone.

Two libraries, no hand-written escaping: markdown-it-py parses CommonMark with raw HTML
turned off (any `<script>` or `<img onerror=…>` typed in the text comes out as text) and
images off (a picture from another host would tell it who reads the page); nh3 (Ammonia)
then keeps only the tags and attributes listed here, links only to http, https, mailto and
tel (no `javascript:` or `data:`), and gives every link `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def render_markdown(text: str) -> str:
    """Sanitised HTML for `text`. Headings start at level 2 (the page's title is the h1)."""
    html = _parser.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
