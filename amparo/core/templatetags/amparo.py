from django import template

from amparo.core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(alpha_3: str) -> str:
    """The ISO 3166 country's name in the active language."""
    return _country_name(alpha_3) if alpha_3 else ""


@register.filter
def receipt_groups(receipt: str) -> str:
    """The receipt with each hyphen-separated group kept on one line: a phone wraps it only
    between groups, never mid-group (the copied text is unchanged: no character is added)."""
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    groups = str(receipt or "").split("-")
    last = len(groups) - 1
    return format_html_join(
        mark_safe("<wbr>"),  # noqa: S308 (a constant)
        '<span class="group">{}{}</span>',
        ((group, "-" if i < last else "") for i, group in enumerate(groups)),
    )
