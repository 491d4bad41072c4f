"""Core pages: home, the audit log with its filters, error pages and the security headers."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from meridian.workspaces.services import membership_add, team_create
from tests import factories

pytestmark = pytest.mark.django_db


def audit_url(ws) -> str:
    return reverse("audit_log", kwargs={"workspace": ws.slug})


# --- Security headers --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_anonymous_pages_send_a_strict_csp_and_anti_framing_headers(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_workspace_pages_send_the_same_headers(client, admin):
    client.force_login(admin.user)
    response = client.get(reverse("inbox", kwargs={"workspace": admin.workspace.slug}))
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(client, admin):
    """What the CSP would block must not be in the markup in the first place."""
    client.force_login(admin.user)
    team_create(acting=admin, name="Core")
    slug = admin.workspace.slug
    for name, kwargs in [
        ("home", {}),
        ("workspace_create", {}),
        ("members", {"workspace": slug}),
        ("invite", {"workspace": slug}),
        ("profile", {"workspace": slug}),
        ("teams", {"workspace": slug}),
        ("team", {"workspace": slug, "team": "core"}),
        ("tokens", {"workspace": slug}),
        ("audit_log", {"workspace": slug}),
    ]:
        html = client.get(reverse(name, kwargs=kwargs), follow=True).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert not re.search(r"\sstyle=|<style", html), name
        assert not re.search(r"\son[a-z]+=", html), name


# --- Home, errors ------------------------------------------------------------------------


def test_anonymous_home_sends_you_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_home_with_one_workspace_goes_straight_to_its_inbox(client, admin):
    client.force_login(admin.user)
    response = client.get("/")
    assert response["Location"] == reverse("inbox", kwargs={"workspace": admin.workspace.slug})


def test_home_without_a_workspace_offers_to_create_one(client):
    client.force_login(factories.user())
    html = client.get("/").content.decode()
    assert "You are not in a workspace yet." in html and reverse("workspace_create") in html


def test_home_with_two_workspaces_lists_both(client, admin, other_workspace):
    membership_add(workspace=other_workspace, user=admin.user, role="member")
    client.force_login(admin.user)
    html = client.get("/").content.decode()
    assert "Acme" in html and "Globex" in html


def test_unknown_team_is_a_404_page_in_the_layout(client, admin):
    client.force_login(admin.user)
    response = client.get(
        reverse("team", kwargs={"workspace": admin.workspace.slug, "team": "nope"})
    )
    assert response.status_code == 404
    assert b"Nothing here" in response.content and b'<main id="main"' in response.content


# --- Audit log ---------------------------------------------------------------------------


@pytest.fixture
def history(admin):
    """An audit trail: the workspace's creation, two teams, and an old entry by someone else."""
    team_create(acting=admin, name="Alpha")
    team_create(acting=admin, name="Beta")
    member = factories.member(admin.workspace)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=30)):
        team_create(acting=member, name="Gamma")
    return member


def test_audit_log_lists_entries_newest_first(client, admin, history):
    client.force_login(admin.user)
    html = client.get(audit_url(admin.workspace)).content.decode()
    assert html.index(">Beta<") < html.index(">Alpha<") < html.index(">Gamma<")
    assert "<caption>" in html


def test_audit_log_filters_work_without_javascript(client, admin, history):
    client.force_login(admin.user)
    html = client.get(audit_url(admin.workspace), {"action": "team.create"}).content.decode()
    assert "<html" in html and ">Alpha<" in html and "<code>workspace.create</code>" not in html
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    recent = client.get(audit_url(admin.workspace), {"since": since}).content.decode()
    assert ">Alpha<" in recent and ">Gamma<" not in recent
    by_actor = client.get(audit_url(admin.workspace), {"actor": history.user.email})
    assert b">Gamma<" in by_actor.content and b">Alpha<" not in by_actor.content


def test_audit_log_filters_with_htmx_return_only_the_table(client, admin, history):
    client.force_login(admin.user)
    response = client.get(
        audit_url(admin.workspace), {"action": "team.create"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="audit-table"')
    assert "<html" not in html and 'role="search"' not in html
    assert ">Alpha<" in html and ">Gamma<" in html and "workspace.create" not in html
    assert "HX-Request" in response["Vary"]


def test_audit_log_bad_dates_are_ignored_not_errors(client, admin, history):
    client.force_login(admin.user)
    response = client.get(audit_url(admin.workspace), {"since": "yesterday", "until": "31-02"})
    assert response.status_code == 200 and b">Gamma<" in response.content


def test_audit_log_is_paged(client, admin):
    for n in range(55):
        team_create(acting=admin, name=f"Team {n:02d}")
    client.force_login(admin.user)
    first = client.get(audit_url(admin.workspace)).content.decode()
    assert "Page 1 of 2" in first and "?page=2" in first
    second = client.get(audit_url(admin.workspace), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second and "workspace.create" in second
