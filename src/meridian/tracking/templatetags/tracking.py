"""Durations as people read them: "2 h 05 min", "45 min"."""

from django import template

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """Seconds as hours and minutes."""
    minutes = int(seconds or 0) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@register.filter
def share(value: float) -> str:
    """A fraction as a whole percentage."""
    return f"{round(value * 100)} %"
