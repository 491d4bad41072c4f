"""Template filters of the briefs pages, cheap enough to run for hundreds of comments a page."""

import html
from datetime import datetime

from django import template
from django.utils.html import strip_tags

register = template.Library()


@register.filter
def ago(moment: datetime | None, now: datetime) -> str:
    """How long before ``now`` a moment was, in the words a thread uses ("5 min ago")."""
    if moment is None:
        return ""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    if days < 14:
        return f"{days} day{'s' if days > 1 else ''} ago"
    return f"{moment.day} {moment:%b %Y}"


@register.filter
def plain_text(fragment: str) -> str:
    """Sanitized HTML as the plain text it shows ("a &amp; b" reads "a & b"); autoescaped again."""
    return html.unescape(strip_tags(fragment))
