"""The tracking pages: timer from the nav, the week, adding and editing entries, the policy,
reports (k and the differencing attack), who looked, export and delete."""

from datetime import timedelta

import pytest
from django.urls import reverse

from meridian.tracking.models import TimeEntry, TrackingAccess
from meridian.tracking.services import policy_update
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.tracking.conftest import NOW
from tests.tracking.factories import at, entry, slots, sync

pytestmark = pytest.mark.django_db


def url(ws, name, **kwargs):
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def test_the_nav_has_time_and_shows_a_running_timer(client, workspace, ada):
    client.force_login(ada.user)
    page = client.get(url(workspace, "members")).content.decode()
    assert ">Time" in page and url(workspace, "tracking_timer_badge") in page
    assert (
        "timer running" not in client.get(url(workspace, "tracking_timer_badge")).content.decode()
    )
    client.post(url(workspace, "tracking_timer"), {"action": "start", "note": "Docs"})
    badge = client.get(url(workspace, "tracking_timer_badge")).content.decode()
    assert "timer running" in badge


def test_start_and_stop_from_the_page_come_back_to_it(client, workspace, ada, clock):
    client.force_login(ada.user)
    back = url(workspace, "members")
    response = client.post(url(workspace, "tracking_timer"), {"action": "start", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert response["HX-Trigger"] == "timer-changed"
    page = client.get(url(workspace, "tracking_home")).content.decode()
    assert "Running since 13:00 Europe/Berlin" in page
    clock.shift(timedelta(minutes=5))
    client.post(url(workspace, "tracking_timer"), {"action": "stop"})
    assert TimeEntry.objects.get().ended_at == NOW + timedelta(minutes=5)


def test_adding_an_entry_by_hand_in_my_own_zone(client, workspace, ada):
    client.force_login(ada.user)
    response = client.post(
        url(workspace, "tracking_entry_new"),
        {"start": "2026-11-03T09:00", "duration_minutes": "45", "note": "Planning", "tags": "a, b"},
    )
    assert response.status_code == 302
    made = TimeEntry.objects.get()
    assert made.started_at == at("2026-11-03T08:00:00+00:00") and made.tags == ["a", "b"]
    week = client.get(response["Location"]).content.decode()
    assert "Tue 3 Nov, 09:00 Europe/Berlin" in week and "45 min" in week


def test_an_overlapping_entry_shows_the_clash_on_the_form(client, workspace, ada):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 60, note="Planning")
    client.force_login(ada.user)
    response = client.post(
        url(workspace, "tracking_entry_new"),
        {"start": "2026-11-03T09:30", "end": "2026-11-03T11:00"},
    )
    assert response.status_code == 422
    assert "Overlaps entry" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_editing_keeps_the_history_on_the_page(client, workspace, ada):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"), 60, note="Draft")
    client.force_login(ada.user)
    edit = url(workspace, "tracking_entry_edit", entry_id=made.pk)
    assert 'value="2026-11-03T09:00"' in client.get(edit).content.decode()
    client.post(edit, {"start": "2026-11-03T09:00", "end": "2026-11-03T10:30", "note": "Final"})
    page = client.get(edit).content.decode()
    assert "Draft" in page and "Wed 4 Nov, 13:00 Europe/Berlin" in page


def test_someone_elses_entry_page_is_a_404(client, workspace, ada, bo):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"))
    client.force_login(bo.user)
    assert client.get(url(workspace, "tracking_entry_edit", entry_id=made.pk)).status_code == 404


def test_csv_has_my_times_in_my_zone_and_no_formulas(client, workspace, ada):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 30, note="=HYPERLINK(1)")
    client.force_login(ada.user)
    response = client.get(url(workspace, "tracking_csv") + "?day=2026-11-03")
    lines = response.content.decode().splitlines()
    assert lines[0] == "start,end,minutes,note,tags,linked to,zone"
    assert lines[1] == "2026-11-03 09:00,2026-11-03 09:30,30,'=HYPERLINK(1),,,Europe/Berlin"


def test_everyone_reads_the_policy_and_only_admins_change_it(client, workspace, ada, admin):
    client.force_login(ada.user)
    page = client.get(url(workspace, "tracking_policy")).content.decode()
    assert "Only the person" in page and "Save the policy" not in page
    assert (
        client.post(url(workspace, "tracking_policy"), {"retention_days": "1"}).status_code == 403
    )
    client.force_login(admin.user)
    form = {"retention_days": "14", "min_group_size": "4", "individual_visibility": "admins"}
    assert client.post(url(workspace, "tracking_policy"), form).status_code == 302
    client.force_login(ada.user)
    assert "14 days" in client.get(url(workspace, "tracking_policy")).content.decode()


def test_my_reports_page_draws_bars_with_numbers(client, workspace, ada):
    entry(ada, at("2026-11-02T07:00:00+00:00"), 120)
    sync(ada, slots(at("2026-11-02T09:00:00+00:00"), 4))
    client.force_login(ada.user)
    page = client.get(url(workspace, "tracking_reports") + "?first=2026-11-02&last=2026-11-04")
    text = page.content.decode()
    assert '<ul class="bars"' in text and "Coding" in text and "40 min" in text
    assert "50 %" in text  # 08:00-10:00 Berlin, working from 09:00


def _team(workspace, admin, name, members):
    team = team_create(acting=admin, name=name)
    for m in members:
        team_add_member(acting=admin, team=team, member=m)
    return team


def test_differencing_two_overlapping_teams_cannot_reveal_a_person(client, workspace, admin, clock):
    people = [factories.member(workspace) for _ in range(12)]
    extra = people[6]
    for p in people:
        sync(p, slots(at("2026-11-03T09:00:00+00:00"), 2, category="Coding"))
    sync(extra, slots(at("2026-11-03T10:00:00+00:00"), 2, category="Secret hobby"))
    a = _team(workspace, admin, "Platform", people[:6])
    b = _team(workspace, admin, "Platform and one", people[:7])
    client.force_login(admin.user)
    for team in (a, b):
        page = client.get(
            url(workspace, "tracking_reports")
            + f"?team={team.slug}&first=2026-11-02&last=2026-11-08"
        )
        text = page.content.decode()
        assert "differs from another team by 1 members" in text
        assert "Secret hobby" not in text
    everyone = client.get(
        url(workspace, "tracking_reports") + "?team=&first=2026-11-02&last=2026-11-08"
    ).content.decode()
    assert "Coding" in everyone
    assert "Secret hobby" not in everyone  # 1 person: suppressed
    assert "1 row left out" in everyone


def test_who_looked_is_shown_to_the_person_in_their_zone(client, workspace, ada, admin):
    policy_update(
        acting=admin,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=5,
        individual_visibility="admins",
    )
    client.force_login(admin.user)
    assert client.get(url(workspace, "tracking_member", member_id=ada.pk)).status_code == 200
    client.force_login(ada.user)
    page = client.get(url(workspace, "tracking_privacy")).content.decode()
    assert admin.profile.display_name in page and "Wed 4 Nov, 13:00 Europe/Berlin" in page


def test_a_member_cannot_read_anothers_figures_by_default(client, workspace, ada, bo):
    client.force_login(bo.user)
    assert client.get(url(workspace, "tracking_member", member_id=ada.pk)).status_code == 403
    assert not TrackingAccess.objects.exists()


def test_export_and_delete_need_the_confirmation(client, workspace, ada):
    entry(ada, at("2026-11-03T09:00:00+01:00"))
    client.force_login(ada.user)
    exported = client.get(url(workspace, "tracking_export"))
    assert exported["Content-Disposition"].startswith("attachment")
    assert len(exported.json()["time_entries"]) == 1
    client.post(url(workspace, "tracking_delete"), {"confirmation": "ok"})
    assert TimeEntry.objects.exists()
    client.post(url(workspace, "tracking_delete"), {"confirmation": "delete my tracking data"})
    assert not TimeEntry.objects.exists()


def test_pages_of_another_workspace_are_404(client, ada, outsider):
    client.force_login(outsider.user)
    assert client.get(url(ada.workspace, "tracking_home")).status_code == 404


def test_every_workspace_page_has_the_timer_control(client, workspace, ada):
    client.force_login(ada.user)
    page = client.get(url(workspace, "members")).content.decode()
    assert url(workspace, "tracking_timer_control") in page
    here = "http://testserver" + url(workspace, "members")
    control = client.get(url(workspace, "tracking_timer_control"), headers={"HX-Current-URL": here})
    text = control.content.decode()
    assert "Start timer" in text and f'value="{here}"' in text
    back = client.post(url(workspace, "tracking_timer"), {"action": "start", "next": here})
    assert back["Location"] == here
    assert "Stop timer" in client.get(url(workspace, "tracking_timer_control")).content.decode()


def test_the_week_names_what_each_entry_is_linked_to(client, workspace, ada, projects):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 30, link_kind="project", link_id=8)
    client.force_login(ada.user)
    assert (
        "Billing"
        in client.get(url(workspace, "tracking_home") + "?day=2026-11-03").content.decode()
    )
