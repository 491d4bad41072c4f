"""The notification preferences page under the member's profile."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meridian.core.models import AuditEntry
from meridian.delivery.models import DeliveryPreference, DeliverySettings, UrgentPolicy
from meridian.delivery.selectors import preferences_for, urgent_budget_for
from meridian.delivery.services import urgent_budget
from meridian.workspaces.models import Profile
from tests.delivery import support  # noqa: F401  (declares the kinds the page lists)

pytestmark = pytest.mark.django_db


def page(ws) -> str:
    return reverse("delivery_preferences", kwargs={"workspace": ws.slug})


def form_data(member, **overrides: str) -> dict[str, str]:
    """The page's form as it is shown: every declared kind on its current channel."""
    data = {f"channel_{k.kind}": k.channel for k in preferences_for(viewer=member).kinds}
    data.update({"quiet_hours": "", "digest_time": ""})
    data.update(overrides)
    return data


def test_the_page_lists_every_kind_with_the_members_channel(client, member):
    client.force_login(member.user)

    html = client.get(page(member.workspace)).content.decode()

    assert "Asked for input" in html and "Replies to you" in html and "Mentions" in html
    checked = re.findall(r'<input type="radio" name="([^"]+)" value="(\w+)"[^>]*checked', html)
    assert {
        ("channel_test.asked", "now"),
        ("channel_test.mentioned", "inbox"),
        ("channel_test.replied", "digest"),
    } <= set(checked)
    assert len(checked) == len(preferences_for(viewer=member).kinds)
    assert "3 of 3 urgent notifications left this week" in html


def test_saving_the_page_stores_channels_quiet_hours_and_digest_time(client, member):
    client.force_login(member.user)

    response = client.post(
        page(member.workspace),
        form_data(
            member,
            **{
                "channel_test.asked": "digest",
                "quiet_hours": "22:00-07:00",
                "digest_time": "08:30",
            },
        ),
    )

    assert response.status_code == 302
    assert DeliveryPreference.objects.get(membership=member).channel == "digest"
    assert DeliverySettings.objects.get(membership=member).quiet_hours == [[1320, 420]]
    assert str(Profile.objects.get(membership=member).digest_time) == "08:30:00"
    again = client.get(page(member.workspace)).content.decode()
    assert 'value="22:00-07:00"' in again
    channels = {k.kind: k.channel for k in preferences_for(viewer=member).kinds}
    assert (channels["test.asked"], channels["test.replied"]) == ("digest", "digest")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quiet_hours", "22:00-7", "Quiet hours: &#x27;22:00-7&#x27; is not HH:MM-HH:MM"),
        ("digest_time", "25:61", "Enter a valid time."),
    ],
)
def test_bad_quiet_hours_or_digest_time_name_the_field_and_change_nothing(
    client, member, field, value, message
):
    client.force_login(member.user)

    response = client.post(
        page(member.workspace), form_data(member, **{"channel_test.asked": "digest", field: value})
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html
    assert not DeliveryPreference.objects.exists()
    assert not DeliverySettings.objects.exists()


def test_another_workspaces_page_is_not_found(client, member, other_workspace):
    client.force_login(member.user)

    assert client.get(page(other_workspace)).status_code == 404


def test_the_profile_page_links_to_the_notification_preferences(client, member):
    client.force_login(member.user)

    html = client.get(reverse("profile", kwargs={"workspace": member.workspace.slug})).content

    assert f'href="{page(member.workspace)}"'.encode() in html


# --- Workspace settings: the urgent budget (admins) ----------------------------------------


def settings_page(ws) -> str:
    return reverse("urgent_policy", kwargs={"workspace": ws.slug})


def test_an_admin_sets_the_weekly_urgent_budget_on_the_settings_page(client, admin, member):

    client.force_login(admin.user)

    shown = client.get(settings_page(admin.workspace)).content.decode()
    response = client.post(settings_page(admin.workspace), {"weekly_budget": "5"})

    assert 'name="weekly_budget" value="3"' in shown
    assert ">Settings</a>" in shown  # in the navigation, for admins
    assert response.status_code == 302
    assert urgent_budget(admin.workspace_id) == 5
    assert urgent_budget_for(viewer=member, now=timezone.now()).left == 5
    entry = AuditEntry.objects.get(action="delivery.urgent_budget")
    assert entry.data == {"weekly": 5}


@pytest.mark.parametrize("value", ["51", "-1", "many"])
def test_an_invalid_urgent_budget_is_a_field_error_and_changes_nothing(client, admin, value):

    client.force_login(admin.user)

    response = client.post(settings_page(admin.workspace), {"weekly_budget": value})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_weekly_budget_error"' in html
    if value != "many":
        assert "The weekly urgent budget must be between 0 and 50." in html
    assert not UrgentPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action="delivery.urgent_budget").exists()


def test_members_cannot_open_the_settings_page_nor_see_it_in_the_navigation(client, member):

    client.force_login(member.user)

    assert client.get(settings_page(member.workspace)).status_code == 403
    assert client.post(settings_page(member.workspace), {"weekly_budget": "9"}).status_code == 403
    assert ">Settings</a>" not in client.get(page(member.workspace)).content.decode()
    assert not UrgentPolicy.objects.exists()
