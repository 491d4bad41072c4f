"""Receivers for allauth's signals, so sign-ups through its pages are audited like every write."""

from typing import Any

from meridian.accounts.models import User
from meridian.core.services import audit_record


def audit_sign_up(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """Record that a person created their account through the sign-up page."""
    audit_record(actor=user, action="user.signup", obj=user)
