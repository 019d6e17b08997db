from django import template

from amparo.core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(alpha_3: str) -> str:
    """The ISO 3166 country's name in the active language."""
    return _country_name(alpha_3) if alpha_3 else ""
