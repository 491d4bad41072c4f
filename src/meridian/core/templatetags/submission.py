"""``{% submission_key %}``: the hidden one-time key every create form carries."""

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from meridian.core.submission import FIELD

register = template.Library()


@register.simple_tag
def submission_key() -> SafeString:
    """A fresh key per rendering, so each form filled in is one submission and a resend is not."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FIELD, secrets.token_urlsafe(16)
    )
