"""Who reaches a workspace page: the signed-in user and their membership, read together."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.accounts.models import User

pytestmark = pytest.mark.django_db


def _members_page(membership) -> str:
    return f"/w/{membership.workspace.slug}/members/"


def test_a_page_reads_the_signed_in_user_with_their_membership_in_one_query(client, member):
    client.force_login(member.user)
    client.get(_members_page(member))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(_members_page(member))

    assert response.status_code == 200
    assert response.wsgi_request.user == member.user
    assert not [q for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert member.user.name in response.content.decode()


def test_a_session_from_before_a_password_change_no_longer_opens_the_page(client, member):
    client.force_login(member.user)
    user = User.objects.get(pk=member.user.pk)
    user.set_password("an entirely new one 42")
    user.save()

    response = client.get(_members_page(member))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session  # signed out, as Django does


def test_a_deactivated_user_is_sent_to_sign_in(client, member):
    client.force_login(member.user)
    User.objects.filter(pk=member.user.pk).update(is_active=False)

    response = client.get(_members_page(member))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_signed_in_user_of_another_workspace_gets_not_found(client, member, outsider):
    client.force_login(outsider.user)

    assert client.get(_members_page(member)).status_code == 404


def test_a_session_signed_with_a_retired_secret_still_opens_the_page(client, member, settings):
    old = settings.SECRET_KEY
    client.force_login(member.user)
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-for-django-" + "x" * 20
    settings.SECRET_KEY_FALLBACKS = [old]

    response = client.get(_members_page(member))

    assert response.status_code == 200
    assert response.wsgi_request.user == member.user
