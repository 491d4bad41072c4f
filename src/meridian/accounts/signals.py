"""Receivers for allauth's signals: sign-ups are audited, a password reset revokes API tokens."""

from typing import Any

from meridian.accounts.models import User
from meridian.accounts.services import tokens_revoke_all
from meridian.core.services import audit_record


def audit_sign_up(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """Record that a person created their account through the sign-up page."""
    audit_record(actor=user, action="user.signup", obj=user)


def revoke_tokens_on_reset(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """A reset logs out every session; the person's API tokens stop working with them."""
    tokens_revoke_all(user=user, reason="password reset")
