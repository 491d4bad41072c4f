import pytest
from django.utils import timezone

from meridian.accounts.models import ApiToken, User
from meridian.accounts.services import token_authenticate, token_create, token_revoke, user_create
from meridian.core.errors import Conflict, Unauthenticated, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.argon2
def test_passwords_are_stored_with_argon2():
    user = user_create(email="Ada@Example.com", password="a-long-passphrase-42")
    assert user.email == "ada@example.com"
    assert user.password.startswith("argon2")
    assert user.check_password("a-long-passphrase-42")


def test_duplicate_email_is_refused_whatever_the_case(db):
    user_create(email="ada@example.com", password="a-long-passphrase-42")
    with pytest.raises(ValidationFailed) as exc:
        user_create(email="ADA@example.com", password="another-passphrase-42")
    assert "already exists" in exc.value.errors["email"][0]
    assert User.objects.count() == 1


def test_weak_password_is_refused_with_the_reason(db):
    with pytest.raises(ValidationFailed) as exc:
        user_create(email="bob@example.com", password="12345678")
    assert exc.value.errors["password"]
    assert not User.objects.exists()


def test_token_is_stored_hashed_and_shown_once(member):
    token, raw = token_create(acting=member, name="laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("mer_") and raw not in (stored.digest, stored.prefix)
    assert token_authenticate(raw).membership == member


def test_token_records_when_it_was_last_used(member):
    token, raw = token_create(acting=member, name="laptop")
    assert token.last_used_at is None
    token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at <= timezone.now()


def test_revoked_token_stops_working_and_cannot_be_revoked_twice(member):
    token, raw = token_create(acting=member, name="laptop")
    token_revoke(acting=member, token=token)
    with pytest.raises(Unauthenticated, match="revoked"):
        token_authenticate(raw)
    with pytest.raises(Conflict):
        token_revoke(acting=member, token=token)


def test_token_of_a_removed_member_stops_working(workspace, admin, member):
    from meridian.workspaces.services import member_deactivate

    _, raw = token_create(acting=member, name="laptop")
    member_deactivate(acting=admin, member=member)
    with pytest.raises(Unauthenticated, match=r"revoked|no longer has access"):
        token_authenticate(raw)


def test_sign_up_page_creates_the_account_and_an_audit_entry(client):
    from meridian.core.models import AuditEntry

    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert AuditEntry.objects.filter(action="user.signup", object_id=str(user.pk)).count() == 1
