"""Receivers for allauth's signals: sign-ups are audited; a password reset or change revokes
the person's API tokens."""

from typing import Any

from django.contrib import messages

from meridian.accounts.models import User
from meridian.accounts.services import tokens_revoke_all
from meridian.core.services import audit_record


def audit_sign_up(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """Record that a person created their account through the sign-up page."""
    audit_record(actor=user, action="user.signup", obj=user)


def revoke_tokens_on_reset(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """A reset logs out every session; the person's API tokens stop working with them."""
    tokens_revoke_all(user=user, reason="password reset")


def revoke_tokens_on_change(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """Whoever knew the old password may have made a token: changing it (or setting one) stops
    every token of the person, in all their workspaces, and the page says so."""
    revoked = tokens_revoke_all(user=user, reason="password change")
    if revoked and request is not None:
        tokens = "Your API token was" if revoked == 1 else f"Your {revoked} API tokens were"
        messages.warning(
            request,
            f"{tokens} revoked too, in case someone else knew the old password. "
            "Create new ones on the API tokens page of each workspace for your scripts.",
        )
