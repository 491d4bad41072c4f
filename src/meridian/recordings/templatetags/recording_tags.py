"""Template filters of the recordings area."""

from django import template

register = template.Library()


@register.filter
def timecode(seconds: float | None) -> str:
    """Seconds as a player shows them: 0:05, 12:34, 1:02:03."""
    if seconds is None:
        return ""
    total = max(0, int(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def timeline_pct(seconds: float | None, duration: float | None) -> str:
    """Where a moment sits along the timeline, in % of its width; empty while the duration is
    unknown."""
    x = timeline_x(seconds, duration)
    return f"{float(x) / 10:.2f}" if x else ""


@register.filter
def timeline_x(seconds: float | None, duration: float | None) -> str:
    """Where a moment sits on the 0–1000 wide timeline; empty while the duration is unknown."""
    if seconds is None or not duration:
        return ""
    return f"{max(0.0, min(1000.0, float(seconds) / float(duration) * 1000)):.1f}"
