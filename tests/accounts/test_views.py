"""Sign-in, sign-up, password reset and API token pages through Django's test client."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from meridian.accounts.models import ApiToken, User
from meridian.accounts.services import token_create
from meridian.workspaces.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def tokens_url(m) -> str:
    return reverse("tokens", kwargs={"workspace": m.workspace.slug})


# --- Sign-in, sign-up, sign-out, password reset -------------------------------------------


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_login", "Sign In"),
        ("account_signup", "Sign Up"),
        ("account_reset_password", "Password Reset"),
    ],
)
def test_account_pages_use_the_meridian_layout_with_labelled_fields(client, name, heading):
    html = client.get(reverse(name)).content.decode()
    assert html.count("<h1") == 1
    assert re.search(rf'<h1 id="page-title">\s*{heading}\s*</h1>', html)
    assert '<main id="main"' in html and '<nav aria-label="Main">' in html
    assert 'class="skip-link"' in html
    for control_id in re.findall(r'<input[^>]*\bid="([^"]+)"', html):
        assert f'<label for="{control_id}"' in html, control_id
    assert "<script>" not in html and " style=" not in html


def test_sign_in_with_the_right_password_lands_on_home(client):
    factories.user(email="ada@example.com")
    response = client.post(
        LOGIN, {"login": "ada@example.com", "password": factories.PASSWORD}, follow=True
    )
    assert response.redirect_chain[0][0] == "/"
    assert response.context["user"].email == "ada@example.com"


def test_wrong_password_names_the_problem(client):
    factories.user(email="ada@example.com")
    response = client.post(LOGIN, {"login": "ada@example.com", "password": "wrong-password"})
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_passwords_are_throttled_even_with_the_right_one_after(client):
    factories.user(email="ada@example.com")
    for _ in range(5):
        client.post(LOGIN, {"login": "ada@example.com", "password": "wrong-password"})
    response = client.post(LOGIN, {"login": "ada@example.com", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttling_is_per_account_so_others_can_still_sign_in(client):
    factories.user(email="ada@example.com")
    factories.user(email="bob@example.com")
    for _ in range(5):
        client.post(LOGIN, {"login": "ada@example.com", "password": "wrong-password"})
    response = client.post(LOGIN, {"login": "bob@example.com", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="bob@example.com").pk)


def test_sign_up_creates_an_account_hashed_with_argon2(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").password.startswith("argon2")


def test_sign_up_with_a_taken_email_is_a_form_error(client):
    factories.user(email="ada@example.com")
    response = client.post(
        reverse("account_signup"),
        {
            "email": "ADA@example.com",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A user is already registered with this email address." in html
    assert 'aria-invalid="true"' in html
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_sign_up_is_closed_when_open_sign_up_is_off(client, settings):
    settings.OPEN_SIGNUP = False
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode()


def test_sign_out_asks_then_signs_out(client):
    client.force_login(factories.user())
    assert b"Are you sure you want to sign out?" in client.get(reverse("account_logout")).content
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_sets_a_new_password(client):
    factories.user(email="ada@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert b"Change Password" in form_page.content
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    done = client.post(
        action, {"password1": "brand-new-pass-77", "password2": "brand-new-pass-77"}, follow=True
    )
    assert b"Your password is now changed." in done.content
    assert User.objects.get(email="ada@example.com").check_password("brand-new-pass-77")


def test_password_reset_revokes_every_api_token_and_says_so(client, member):
    other_workspace = factories.admin_of(factories.workspace(admin=member.user))
    _, raw_here = token_create(acting=member, name="laptop")
    _, raw_there = token_create(acting=other_workspace, name="ci")
    bystander, _ = token_create(acting=factories.member(member.workspace), name="theirs")
    api = "/api/v1/briefs"
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {raw_here}").status_code == 200
    client.post(reverse("account_reset_password"), {"email": member.user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    done = client.post(
        action, {"password1": "brand-new-pass-77", "password2": "brand-new-pass-77"}, follow=True
    )
    page = done.content.decode()
    assert "Your API tokens were revoked too" in page and 'href="/accounts/login/"' in page
    for raw in (raw_here, raw_there):
        refused = client.get(api, HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "This API token was revoked; create a new one."
    bystander.refresh_from_db()
    assert bystander.revoked_at is None


def test_changing_ones_password_revokes_ones_api_tokens_and_says_so(client, member):
    other_workspace = factories.admin_of(factories.workspace(admin=member.user))
    _, raw_here = token_create(acting=member, name="laptop")
    _, raw_there = token_create(acting=other_workspace, name="ci")
    _, raw_bystander = token_create(acting=factories.member(member.workspace), name="x")
    client.force_login(member.user)

    done = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": factories.PASSWORD,
            "password1": "brand-new-pass-77",
            "password2": "brand-new-pass-77",
        },
        follow=True,
    )

    page = done.content.decode()
    assert "Your 2 API tokens were revoked too" in page
    api = "/api/v1/briefs"
    for raw in (raw_here, raw_there):
        refused = client.get(api, HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "This API token was revoked; create a new one."
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {raw_bystander}").status_code == 200


def test_a_wrong_old_password_changes_nothing_and_revokes_nothing(client, member):
    token, raw = token_create(acting=member, name="laptop")
    client.force_login(member.user)

    page = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it-at-all", "password1": "brand-new-77", "password2": "brand-new-77"},
    )

    assert page.status_code == 200 and "revoked" not in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.get("/api/v1/briefs", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_session_cookie_is_http_only_and_same_site(client):
    factories.user(email="ada@example.com")
    client.post(LOGIN, {"login": "ada@example.com", "password": factories.PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


# --- API tokens --------------------------------------------------------------------------


def test_new_token_is_shown_once_and_the_page_is_not_cached(client, member):
    client.force_login(member.user)
    response = client.post(tokens_url(member), {"name": "laptop tracker"})
    html = response.content.decode()
    token = ApiToken.objects.get(membership=member)
    raw = re.search(r'id="new-token" class="secret" readonly value="([^"]+)"', html)
    assert raw is not None and raw.group(1).startswith(token.prefix)
    assert "no-store" in response["Cache-Control"]
    again = client.get(tokens_url(member)).content.decode()
    assert raw.group(1) not in again and "laptop tracker" in again


def test_token_without_a_name_is_a_form_error(client, member):
    client.force_login(member.user)
    response = client.post(tokens_url(member), {"name": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_page(client, member):
    token, _ = token_create(acting=member, name="old")
    client.force_login(member.user)
    url = reverse("token_revoke", kwargs={"workspace": member.workspace.slug, "token_id": token.pk})
    response = client.post(url, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Token “old” revoked." in response.content.decode()


def test_someone_elses_token_cannot_be_revoked(client, workspace, member):
    other = factories.member(workspace)
    token, _ = token_create(acting=other, name="theirs")
    client.force_login(member.user)
    url = reverse("token_revoke", kwargs={"workspace": workspace.slug, "token_id": token.pk})
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_guests_have_no_tokens_page(client, workspace):
    guest = factories.member(workspace, role=Role.GUEST)
    client.force_login(guest.user)
    assert client.get(tokens_url(guest)).status_code == 403
    assert client.post(tokens_url(guest), {"name": "sneaky"}).status_code == 403
    assert not ApiToken.objects.exists()
