"""Where "hand over everything" is reached: the Members page (admins), one's profile page, and
the readiness page's per-member sections."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.models import Brief
from tests.briefs.factories import brief, person

pytestmark = pytest.mark.django_db


def url(member, name):
    return reverse(name, kwargs={"workspace": member.workspace.slug})


def test_admins_find_hand_over_everything_on_each_members_row(client, admin, member):
    client.force_login(admin.user)
    html = client.get(url(admin, "members")).content.decode()
    assert f'href="{url(admin, "handover_everything")}?member={member.pk}"' in html
    assert (
        f'Hand over everything<span class="visually-hidden"> {member.profile.display_name}' in html
    )


def test_members_do_not_see_the_link_on_the_members_page(client, admin, member):
    client.force_login(member.user)
    assert "Hand over everything" not in client.get(url(member, "members")).content.decode()


def test_the_members_page_keeps_its_query_count_with_the_link(client, admin, workspace):
    client.force_login(admin.user)
    person(workspace)
    client.get(url(admin, "members"))  # the first visit of a session writes more
    with CaptureQueriesContext(connection) as one:
        client.get(url(admin, "members"))
    for _ in range(5):
        person(workspace)
    with CaptureQueriesContext(connection) as many:
        client.get(url(admin, "members"))
    assert len(many) == len(one)


def test_the_profile_page_offers_going_on_leave(client, member):
    client.force_login(member.user)
    html = client.get(url(member, "profile")).content.decode()
    assert "Going on leave? Hand over your work" in html
    assert f'href="{url(member, "handover_everything")}"' in html


def test_the_everything_page_opens_from_the_profile_link(client, member):
    client.force_login(member.user)
    response = client.get(url(member, "handover_everything"))
    assert response.status_code == 200


def _at_risk(author, reader, title):
    b = brief(author, [reader], title=title)
    Brief.objects.filter(pk=b.pk).update(body="")
    return b


def test_each_member_section_of_the_readiness_page_links_to_hand_over_everything(
    client, admin, giver, member
):
    _at_risk(giver, member, "Undocumented")
    client.force_login(admin.user)
    html = client.get(url(admin, "handover_readiness")).content.decode()
    link = f'href="{url(admin, "handover_everything")}?member={giver.pk}"'
    assert link in html and f"Hand over everything {giver.profile.display_name} holds" in html


def test_a_member_finds_the_link_in_their_own_section_only(client, giver, receiver, member):
    _at_risk(giver, member, "Giver's")
    _at_risk(receiver, member, "Receiver's")
    client.force_login(giver.user)
    html = client.get(url(giver, "handover_readiness")).content.decode()
    assert f'href="{url(giver, "handover_everything")}">Hand over everything you hold' in html
    assert f"?member={receiver.pk}" not in html
