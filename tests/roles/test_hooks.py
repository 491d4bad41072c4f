"""What roles plug into the others: search, the nav, notification kinds and the inbox source."""

import pytest
from django.urls import reverse

from meridian.core import registry
from meridian.notifications.sources import source_for
from meridian.roles.services import DutyIn, role_update
from meridian.search.selectors import search_for
from meridian.search.services import search_reindex
from tests.roles.factories import role

pytestmark = pytest.mark.django_db


def test_a_role_is_found_by_its_responsibilities_and_duties_and_follows_edits(admin, member):
    r = role(admin, name="Support lead", responsibilities="Answer every ticket within a day.")
    hits = search_for(viewer=member, q="ticket")
    assert [(h.kind, h.object_id) for h in hits] == [("role", r.pk)]
    assert hits.hits[0].url == reverse(
        "role_detail", kwargs={"workspace": admin.workspace.slug, "role_id": r.pk}
    )
    role_update(
        acting=admin, role=r, version=r.version, duties=[DutyIn("Publish the zebra digest")]
    )
    assert [h.object_id for h in search_for(viewer=member, q="zebra")] == [r.pk]


def test_a_rebuilt_index_still_finds_roles_and_not_from_another_workspace(admin, outsider):
    role(admin, name="Support lead", responsibilities="Answer every ticket within a day.")
    search_reindex(kinds=["role"])
    assert [h.kind for h in search_for(viewer=admin, q="ticket")] == ["role"]
    assert list(search_for(viewer=outsider, q="ticket")) == []


def test_roles_have_a_nav_entry_a_notification_kind_and_an_inbox_source():
    entry = next(e for e in registry.nav_entries() if e.url_name == "role_list")
    assert (entry.label, entry.order) == ("Roles", 27)
    assert "roles.assigned" in registry.notification_kinds()
    assert source_for("roles.role:1").label == "Roles you hold"


def test_the_roles_page_is_marked_current_in_the_nav(client, member):
    client.force_login(member.user)
    html = client.get(f"/w/{member.workspace.slug}/roles/").content.decode()
    assert 'aria-current="page"' in html and ">Roles<" in html
