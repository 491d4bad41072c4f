"""Every write to accounts: creating people, and their API tokens."""

from datetime import timedelta

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from meridian.accounts.models import ApiToken, User
from meridian.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from meridian.core.secrets import digest, new_secret
from meridian.core.services import audit_record
from meridian.workspaces.models import Membership, Role

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@transaction.atomic
def user_create(*, email: str, password: str, name: str = "", is_superuser: bool = False) -> User:
    """Create a person who can sign in; the email is unique regardless of case."""
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [f"“{email}” is not an email address."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [f"An account with {email} already exists; sign in instead."]
    try:
        password_validation.validate_password(password, User(email=email, name=name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    user = User.objects.create_user(
        email=email,
        password=password,
        name=name.strip()[:150],
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    audit_record(actor=user, action="user.create", obj=user)
    return user


@transaction.atomic
def token_create(*, acting: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for one workspace; the raw token is returned only here."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", "A token name has 1 to 100 characters.")
    if acting.role == Role.GUEST:
        raise ValidationFailed.field("name", "Guests cannot create API tokens.")
    raw, hashed = new_secret("mer")
    token = ApiToken.objects.create(
        workspace_id=acting.workspace_id,
        membership=acting,
        name=name,
        prefix=raw[:12],
        digest=hashed,
    )
    audit_record(actor=acting, action="token.create", obj=token)
    return token, raw


@transaction.atomic
def token_revoke(*, acting: Membership, token: ApiToken) -> ApiToken:
    """Revoke one of the acting member's tokens; it stops working at once."""
    if token.membership_id != acting.pk:
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=acting, action="token.revoke", obj=token)
    return token


@transaction.atomic
def tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every live API token of a person, in all their workspaces; the count revoked.

    A password reset calls this: whoever knew the old password may have made a token, and a
    reset that left tokens working would not lock them out the way it logs out sessions.
    """
    live = list(
        ApiToken.objects.select_related("workspace").filter(
            membership__user=user, revoked_at__isnull=True
        )
    )
    now = timezone.now()
    for token in live:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="token.revoke", obj=token, data={"reason": reason})
    return len(live)


def token_authenticate(raw: str) -> ApiToken:
    """The live token behind a bearer string, with its member; Unauthenticated says why not."""
    token = (
        ApiToken.objects.select_related(
            "membership__user", "membership__workspace", "membership__profile"
        )
        .filter(digest=digest(raw))
        .first()
    )
    if token is None:
        raise Unauthenticated("This API token is not valid: no such token exists.")
    if token.revoked_at is not None:
        raise Unauthenticated("This API token was revoked; create a new one.")
    membership = token.membership
    if not membership.is_active or not membership.user.is_active:
        raise Unauthenticated("This API token's owner no longer has access to its workspace.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
