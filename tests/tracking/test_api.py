"""The tracking API: the sync contract the agent calls, entries, timer, timesheet, reports,
the access log, export and delete; constant query counts; other people's data is a 404."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.accounts.models import ApiToken
from meridian.accounts.services import token_create, token_revoke
from meridian.tracking.models import ActivityDaily, ActivitySlot, TimeEntry, TrackingAccess
from meridian.tracking.services import policy_update
from tests import factories
from tests.api.support import bearer, get, problem, send
from tests.tracking.factories import AGENT, at, entry

pytestmark = pytest.mark.django_db


def slot(n: int = 0, **over):
    start = at("2026-11-03T09:00:00+00:00") + timedelta(minutes=15 * n)
    return {
        "start": start.isoformat().replace("+00:00", "Z"),
        "category": "Coding",
        "active_seconds": 540,
        "afk_seconds": 360,
        "app": None,
        "title": None,
        **over,
    }


def body(*slots):
    return {"agent_id": str(AGENT), "slots": list(slots)}


@pytest.fixture
def auth(ada):
    return bearer(ada)


def test_sync_answers_what_it_did_and_the_policy(client, ada, auth):
    out = send(client, "POST", "/activity/sync", body(slot(0), slot(1, app="editor")), auth)
    assert out.status_code == 200, out.content
    data = out.json()
    assert (data["accepted"], data["replaced"], data["dropped_detail"]) == (2, 0, 1)
    assert data["policy"]["min_group_size"] == 5 and data["policy"]["detail_levels"] == [
        "categories"
    ]
    again = send(client, "POST", "/activity/sync", body(slot(0), slot(1)), auth).json()
    assert (again["accepted"], again["replaced"]) == (0, 2)
    assert ActivityDaily.objects.get(member=ada).active_seconds == 1080


def test_a_slot_not_aligned_is_a_422_naming_its_index_and_field(client, ada, auth):
    bad = slot(1, start="2026-11-03T09:20:00Z")
    out = problem(send(client, "POST", "/activity/sync", body(slot(0), bad), auth), 422)
    assert "slots.1.start" in out["errors"]
    assert "aligned to 15 minutes" in out["errors"]["slots.1.start"][0]
    assert not ActivitySlot.objects.exists()


def test_more_than_900_seconds_in_a_slot_is_a_422(client, ada, auth):
    out = problem(
        send(
            client,
            "POST",
            "/activity/sync",
            body(slot(0, active_seconds=600, afk_seconds=301)),
            auth,
        ),
        422,
    )
    assert "slots.0.afk_seconds" in out["errors"]


def test_negative_seconds_and_a_missing_category_are_422(client, ada, auth):
    out = problem(
        send(client, "POST", "/activity/sync", body(slot(0, active_seconds=-1)), auth), 422
    )
    assert "slots.0.active_seconds" in out["errors"]
    no_category = slot(3)
    del no_category["category"]
    assert (
        "slots.0.category"
        in problem(send(client, "POST", "/activity/sync", body(no_category), auth), 422)["errors"]
    )


def test_more_than_5000_slots_is_a_413_naming_the_limit(client, ada, auth):
    many = [slot(n) for n in range(5001)]
    for s in many:
        s.pop("app"), s.pop("title")
    out = problem(send(client, "POST", "/activity/sync", body(*many), auth), 413)
    assert "at most 5000 slots" in out["detail"]
    assert not ActivitySlot.objects.exists()


def test_a_revoked_token_is_a_401(client, ada):
    token, raw = token_create(acting=ada, name="agent")
    token_revoke(acting=ada, token=ApiToken.objects.get(pk=token.pk))
    out = send(client, "POST", "/activity/sync", body(slot(0)), {"Authorization": f"Bearer {raw}"})
    problem(out, 401)
    assert not ActivitySlot.objects.exists()


def test_policy_is_read_by_members_and_set_by_admins(client, ada, admin, auth):
    assert get(client, "/activity/policy", auth).json()["retention_days"] == 30
    new = {
        "allow_apps": True,
        "allow_titles": True,
        "retention_days": 7,
        "min_group_size": 3,
        "individual_visibility": "admins",
    }
    problem(send(client, "PUT", "/activity/policy", new, auth), 403)
    out = send(client, "PUT", "/activity/policy", new, bearer(admin)).json()
    assert out["detail_levels"] == ["categories", "apps", "titles"]


def test_entries_are_created_listed_edited_with_history_and_deleted(client, ada, auth, projects):
    made = send(
        client,
        "POST",
        "/tracking/entries",
        {
            "start": "2026-11-03T09:00:00+01:00",
            "duration_minutes": 90,
            "note": "Plan",
            "tags": ["a"],
            "link_kind": "project",
            "link_id": 7,
        },
        auth,
    )
    assert made.status_code == 201, made.content
    out = made.json()
    assert out["seconds"] == 5400 and out["link_title"] == "Website relaunch"
    listed = get(client, "/tracking/entries?first=2026-11-02&last=2026-11-08", auth).json()
    assert [e["id"] for e in listed] == [out["id"]]
    patched = send(client, "PATCH", f"/tracking/entries/{out['id']}", {"note": "Planning"}, auth)
    assert patched.json()["note"] == "Planning"
    history = get(client, f"/tracking/entries/{out['id']}/history", auth).json()
    assert history[0]["before"]["note"] == "Plan" and history[0]["editor"] == "Ada"
    assert send(client, "DELETE", f"/tracking/entries/{out['id']}", None, auth).status_code == 204
    assert not TimeEntry.objects.exists()


def test_an_overlapping_entry_is_a_409_naming_the_other_in_your_zone(client, ada, auth):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 60, note="Planning")
    out = problem(
        send(
            client,
            "POST",
            "/tracking/entries",
            {"start": "2026-11-03T08:30:00Z", "end": "2026-11-03T09:30:00Z"},
            auth,
        ),
        409,
    )
    assert "“Planning” from Tue 3 Nov, 09:00 Europe/Berlin" in out["detail"]


def test_someone_elses_entry_is_a_404(client, ada, bo):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"))
    problem(get(client, f"/tracking/entries/{made.pk}", bearer(bo)), 404)
    problem(send(client, "PATCH", f"/tracking/entries/{made.pk}", {"note": "x"}, bearer(bo)), 404)


def test_timer_start_stop_and_a_second_view_sees_it(client, ada, auth, clock):
    assert send(client, "POST", "/tracking/timer/start", {"note": "Docs"}, auth).status_code == 201
    other_tab = bearer(ada, "second")
    assert get(client, "/tracking/timer", other_tab).json()["running"]["note"] == "Docs"
    clock.shift(timedelta(minutes=25))
    stopped = send(client, "POST", "/tracking/timer/stop", None, other_tab).json()
    assert stopped["seconds"] == 1500 and stopped["running"] is False
    problem(send(client, "POST", "/tracking/timer/stop", None, auth), 409)


def test_timesheet_counts_days_in_your_zone(client, ada, auth):
    entry(ada, at("2026-11-02T22:30:00+00:00"), 60)  # Berlin: 23:30 Monday to 00:30 Tuesday
    out = get(client, "/tracking/timesheet?day=2026-11-04", auth).json()
    assert out["zone"] == "Europe/Berlin" and out["total_seconds"] == 3600
    per_day = {d["day"]: d["seconds"] for d in out["days"]}
    assert per_day["2026-11-02"] == 1800 and per_day["2026-11-03"] == 1800


def test_the_timesheet_and_list_keep_a_constant_query_count(client, ada, auth, projects):
    entry(ada, at("2026-11-02T08:00:00+00:00"), 30, link_kind="project", link_id=7)
    get(client, "/tracking/timesheet?day=2026-11-04", auth)  # the token's first use is noted
    with CaptureQueriesContext(connection) as one:
        get(client, "/tracking/timesheet?day=2026-11-04", auth)
    for h in range(1, 8):
        entry(
            ada,
            at("2026-11-02T08:00:00+00:00") + timedelta(hours=h),
            30,
            link_kind="project",
            link_id=7 + h % 2,
        )
    with CaptureQueriesContext(connection) as many:
        out = get(client, "/tracking/timesheet?day=2026-11-04", auth)
    assert len(out.json()["entries"]) == 8
    assert len(many) == len(one)


def test_someone_elses_figures_follow_the_policy_and_the_read_is_logged(client, ada, bo, admin):
    problem(get(client, f"/tracking/reports/members/{ada.pk}", bearer(bo)), 403)
    problem(get(client, f"/tracking/reports/members/{ada.pk}", bearer(admin)), 403)
    policy_update(
        acting=admin,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=5,
        individual_visibility="admins",
    )
    out = get(client, f"/tracking/reports/members/{ada.pk}", bearer(admin)).json()
    assert out["outside_working_hours_seconds"] is None  # only the person sees that
    [read] = get(client, "/tracking/access-log", bearer(ada)).json()
    assert read["viewer"] == admin.profile.display_name and read["at"] == "2026-11-04T12:00:00Z"
    assert TrackingAccess.objects.count() == 1
    get(client, "/tracking/reports/me", bearer(ada))
    assert TrackingAccess.objects.count() == 1  # reading your own is not logged


def test_my_report_shows_the_share_outside_my_hours(client, ada, auth):
    entry(ada, at("2026-11-02T07:00:00+00:00"), 120)  # Monday 08:00-10:00 Berlin, works from 9
    out = get(client, "/tracking/reports/me?first=2026-11-02&last=2026-11-04", auth).json()
    assert out["tracked_seconds"] == 7200 and out["outside_working_hours_seconds"] == 3600


def test_a_team_report_smaller_than_k_is_refused(client, ada, auth):
    out = problem(get(client, "/tracking/reports/team", auth), 403)
    assert "reports need at least 5" in out["detail"]


def test_export_then_delete_with_confirmation(client, ada, auth):
    entry(ada, at("2026-11-03T09:00:00+01:00"))
    send(client, "POST", "/activity/sync", body(slot(0)), auth)
    data = get(client, "/tracking/export", auth).json()
    assert len(data["time_entries"]) == 1 and len(data["activity_slots"]) == 1
    assert data["daily_rollups"][0]["active_seconds"] == 540
    refused = problem(send(client, "POST", "/tracking/delete", {"confirmation": "yes"}, auth), 422)
    assert "delete my tracking data" in refused["detail"]
    assert TimeEntry.objects.exists()
    out = send(
        client, "POST", "/tracking/delete", {"confirmation": "delete my tracking data"}, auth
    )
    assert out.json()["deleted"]["activity_slots"] == 1
    assert not TimeEntry.objects.exists() and not ActivityDaily.objects.exists()


def test_the_export_names_the_computer_of_each_slot(client, ada, auth):
    laptop = "0b7c43c6-5f0e-4d43-9b53-6a1d7f0a2c11"
    send(client, "POST", "/activity/sync", body(slot(0)), auth)
    send(
        client,
        "POST",
        "/activity/sync",
        {**body(slot(0, active_seconds=60)), "agent_id": laptop},
        auth,
    )
    slots = get(client, "/tracking/export", auth).json()["activity_slots"]
    # The same quarter hour from two computers: two slots, each with its agent.
    assert sorted((s["agent_id"], s["active_seconds"]) for s in slots) == sorted(
        [(str(AGENT), 540), (laptop, 60)]
    )


def test_sync_takes_an_idempotency_key(client, ada, auth):
    headers = {**auth, "Idempotency-Key": "sync-1"}
    first = send(client, "POST", "/activity/sync", body(slot(0)), headers)
    again = send(client, "POST", "/activity/sync", body(slot(0)), headers)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()


def test_the_team_report_keeps_a_constant_query_count(client, workspace, admin, clock, projects):
    people = [factories.member(workspace) for _ in range(5)]
    auth = bearer(admin)
    for p in people[:1]:
        sync_slots(p)
        entry(p, at("2026-11-03T09:00:00+00:00"), 30, link_kind="project", link_id=7)
    get(client, "/tracking/reports/team?first=2026-11-02&last=2026-11-08", auth)
    with CaptureQueriesContext(connection) as one:
        get(client, "/tracking/reports/team?first=2026-11-02&last=2026-11-08", auth)
    for p in people[1:]:
        sync_slots(p)
        entry(p, at("2026-11-03T09:00:00+00:00"), 30, link_kind="project", link_id=7)
    with CaptureQueriesContext(connection) as many:
        out = get(client, "/tracking/reports/team?first=2026-11-02&last=2026-11-08", auth).json()
    assert out["by_project"] == [{"label": "Website relaunch", "seconds": 9000, "people": 5}]
    assert out["by_category"][0]["people"] == 5
    assert len(many) == len(one)


def sync_slots(member):
    from tests.tracking.factories import slots, sync

    sync(member, slots(at("2026-11-03T09:00:00+00:00"), 2))


def test_a_team_report_over_whole_weeks_and_days_around_them_counts_every_day_once(
    client, workspace, admin, clock
):
    from tests.tracking.factories import slots, sync

    people = [factories.member(workspace) for _ in range(5)]
    for p in people:
        for day in ("2026-10-29", "2026-11-03", "2026-11-09"):  # Thursday, Tuesday, Monday
            sync(p, slots(at(f"{day}T09:00:00+00:00"), 1, active=600))
    auth = bearer(admin)
    around = get(client, "/tracking/reports/team?first=2026-10-29&last=2026-11-10", auth).json()
    inside = get(client, "/tracking/reports/team?first=2026-11-03&last=2026-11-09", auth).json()
    assert around["by_category"] == [{"label": "Coding", "seconds": 9000, "people": 5}]
    assert inside["by_category"] == [{"label": "Coding", "seconds": 6000, "people": 5}]
