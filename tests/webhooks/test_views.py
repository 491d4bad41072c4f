"""The webhooks pages: admins only, the refusal's reason on the form, the log on the endpoint page."""

import pytest

from meridian.webhooks.models import AllowedHost, WebhookEndpoint
from tests.briefs.factories import brief, person
from tests.webhooks.support import endpoint

pytestmark = pytest.mark.django_db


def _page(workspace, rest: str = "") -> str:
    return f"/w/{workspace.slug}/webhooks/{rest}"


def test_a_private_address_gets_a_form_error_naming_the_reason(client, admin, workspace, receiver):
    client.force_login(admin.user)
    response = client.post(_page(workspace), {"url": receiver.url(), "events": ["brief.created"]})
    assert response.status_code == 422
    assert "resolves to 127.0.0.1, a loopback address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()

    allowed = client.post(_page(workspace, "hosts/"), {"host": "127.0.0.1"})
    assert allowed.status_code == 302
    assert AllowedHost.objects.filter(workspace=workspace, host="127.0.0.1").exists()
    made = client.post(_page(workspace), {"url": receiver.url(), "events": ["brief.created"]})
    assert made.status_code == 200
    page = made.content.decode()
    assert "whsec_" in page and "it will not be shown again" in page
    assert "no-store" in made["Cache-Control"]
    assert "whsec_" not in client.get(_page(workspace)).content.decode()


def test_the_endpoint_page_shows_the_delivery_log(
    client, admin, workspace, receiver, run_tasks, loopback_allowed
):
    receiver.status = 500
    hook, _ = endpoint(admin, receiver.url())
    with run_tasks():
        brief(admin, [person(workspace)])
    client.force_login(admin.user)
    page = client.get(_page(workspace, f"{hook.pk}/")).content.decode()
    assert "brief.created" in page
    assert "Answered 500" in page
    assert "Pending" in page
    listing = client.get(_page(workspace)).content.decode()
    assert "1 waiting" in listing


def test_members_cannot_open_the_webhooks_page_and_admins_find_it_from_members(
    client, admin, member, workspace
):
    client.force_login(member.user)
    assert client.get(_page(workspace)).status_code == 403
    client.force_login(admin.user)
    assert _page(workspace) in client.get(f"/w/{workspace.slug}/members/").content.decode()
