"""How the metrics pages write a number: "no data" for none (never 0), one decimal at most."""

from django import template

register = template.Library()


@register.filter
def number(value: float | None) -> str:
    """12, 3.5, −2 or "no data"."""
    if value is None:
        return "no data"
    rounded = round(value, 1)
    text = f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.1f}"
    return text.replace("-", "−")
