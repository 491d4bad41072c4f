"""Timers, entries, overlaps, history, the timesheet across a DST change, sync and retention."""

import uuid
from datetime import date, datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from meridian.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from meridian.core.scheduler import Job, tick
from meridian.tracking import rules
from meridian.tracking.models import (
    ActivityDaily,
    ActivitySlot,
    ActivityWeekly,
    TimeEntry,
    TimeEntryRevision,
)
from meridian.tracking.schedule import JOB, slots_retention
from meridian.tracking.selectors import policy_for, timesheet_for
from meridian.tracking.services import (
    activity_sync,
    entry_create,
    entry_update,
    policy_update,
    slots_expire,
    timer_start,
    timer_stop,
)
from meridian.workspaces.models import Membership
from tests import factories
from tests.tracking.conftest import NOW
from tests.tracking.factories import at, entry, slots, sync

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_starting_a_second_timer_stops_the_first(ada, clock):
    first = timer_start(acting=ada, note="Reviews")
    clock.shift(timedelta(minutes=30))
    second = timer_start(acting=ada, note="Writing")
    first.refresh_from_db()
    assert first.ended_at == NOW + timedelta(minutes=30)
    assert second.started_at == first.ended_at and second.ended_at is None
    assert TimeEntry.objects.filter(member=ada, ended_at__isnull=True).count() == 1


def test_the_database_allows_one_running_timer_per_member(ada):
    timer_start(acting=ada)
    with pytest.raises(IntegrityError):
        TimeEntry.objects.create(workspace_id=ada.workspace_id, member=ada, started_at=NOW)


def test_stopping_without_a_timer_is_a_conflict(ada):
    with pytest.raises(Conflict, match="not running"):
        timer_stop(acting=ada)


def test_an_overlap_is_refused_naming_the_entry_in_the_readers_zone(ada):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 60, note="Planning")
    with pytest.raises(Conflict) as caught:
        entry(ada, at("2026-11-03T09:30:00+01:00"), 60)
    assert caught.value.detail == (
        "This overlaps your entry “Planning” from Tue 3 Nov, 09:00 Europe/Berlin to 10:00 "
        "Europe/Berlin."
    )
    assert TimeEntry.objects.count() == 1


def test_entries_touching_end_to_start_do_not_overlap(ada):
    entry(ada, at("2026-11-03T09:00:00+01:00"), 60)
    entry(ada, at("2026-11-03T10:00:00+01:00"), 60)
    assert TimeEntry.objects.count() == 2


def test_a_running_timer_counts_as_an_overlap(ada, clock):
    timer_start(acting=ada)
    with pytest.raises(Conflict, match="still running"):
        entry(ada, NOW - timedelta(minutes=10), 20)


def test_edits_are_kept_in_the_history(ada, clock):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"), 60, note="Draft")
    clock.shift(timedelta(hours=1))
    entry_update(acting=ada, entry=made, note="Final", end=made.started_at + timedelta(hours=2))
    [revision] = TimeEntryRevision.objects.filter(entry=made)
    assert revision.before["note"] == "Draft"
    assert revision.before["end"] == "2026-11-03T09:00:00+00:00"
    assert revision.editor == ada and revision.at == NOW + timedelta(hours=1)


def test_someone_elses_entry_cannot_be_edited(ada, bo):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"))
    with pytest.raises(NotFound):
        entry_update(acting=bo, entry=made, note="mine now")


def test_bad_spans_are_refused_naming_the_field(ada):
    with pytest.raises(ValidationFailed) as caught:
        entry_create(acting=ada, start=NOW - timedelta(hours=1), end=NOW - timedelta(hours=2))
    assert caught.value.errors == {"end": ["An entry ends after it starts."]}
    with pytest.raises(ValidationFailed, match="future"):
        entry_create(
            acting=ada, start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=1)
        )
    assert not TimeEntry.objects.exists()


def test_a_link_goes_through_the_registry(ada, projects):
    made = entry(ada, at("2026-11-03T09:00:00+01:00"), link_kind="project", link_id=7)
    assert (made.link_kind, made.link_id) == ("project", 7)
    with pytest.raises(ValidationFailed, match="No project 9"):
        entry(ada, at("2026-11-03T11:00:00+01:00"), link_kind="project", link_id=9)
    with pytest.raises(ValidationFailed, match="cannot be linked"):
        entry(ada, at("2026-11-03T11:00:00+01:00"), link_kind="spaceship", link_id=1)


def test_a_week_crossing_the_end_of_summer_time_counts_the_extra_hour(ada):
    # Sunday 25 October 2026 in Berlin: 00:00 to 06:00 on the wall clock is 7 real hours.
    entry_create(
        acting=ada,
        start=datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN),
        end=datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN),
    )
    # Saturday 23:00 to Sunday 01:00 (CEST): one hour on each day.
    entry_create(
        acting=ada,
        start=datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN),
        end=datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN),
    )
    sheet = timesheet_for(viewer=ada, days=rules.week_days(date(2026, 10, 22)))
    assert sheet.zone == "Europe/Berlin"
    assert sheet.per_day[date(2026, 10, 25)] == 7 * 3600
    assert sheet.per_day[date(2026, 10, 24)] == 2 * 3600
    assert sheet.total == 9 * 3600


def test_the_same_instant_is_another_day_for_another_zone(ada, bo):
    start = at("2026-11-02T20:00:00+00:00")  # Berlin 21:00 Monday; Kathmandu 01:45 Tuesday
    entry(ada, start, 60)
    entry(bo, start, 60)
    week = rules.week_days(date(2026, 11, 2))
    assert timesheet_for(viewer=ada, days=week).per_day[date(2026, 11, 2)] == 3600
    assert timesheet_for(viewer=bo, days=week).per_day[date(2026, 11, 3)] == 3600


# --- Policy -------------------------------------------------------------------------------------


def test_defaults_keep_individual_figures_to_the_person(workspace):
    policy = policy_for(workspace.pk)
    assert (policy.min_group_size, policy.individual_visibility) == (5, "self")
    assert not policy.allow_apps and not policy.allow_titles


def test_only_admins_set_the_policy(ada, admin):
    with pytest.raises(PermissionDenied):
        policy_update(
            acting=ada,
            allow_apps=True,
            allow_titles=False,
            retention_days=10,
            min_group_size=5,
            individual_visibility="self",
        )
    policy_update(
        acting=admin,
        allow_apps=True,
        allow_titles=False,
        retention_days=10,
        min_group_size=3,
        individual_visibility="admins",
    )
    assert policy_for(admin.workspace_id).min_group_size == 3


# --- Sync ----------------------------------------------------------------------------------------


def test_sending_slots_again_replaces_their_figures(ada):
    start = at("2026-11-03T09:00:00+00:00")
    first = sync(ada, slots(start, 4, active=600))
    again = sync(ada, slots(start, 4, active=300, afk=100))
    assert (first.accepted, first.replaced) == (4, 0)
    assert (again.accepted, again.replaced) == (0, 4)
    assert ActivitySlot.objects.filter(member=ada).count() == 4
    [day] = ActivityDaily.objects.filter(member=ada)
    assert (day.day, day.category) == (date(2026, 11, 3), "Coding")
    assert (day.active_seconds, day.afk_seconds) == (1200, 400)


def test_two_computers_of_one_person_keep_their_own_slots_of_the_same_quarter_hours(ada):
    start = at("2026-11-03T09:00:00+00:00")
    desktop = uuid.UUID("00000000-0000-4000-8000-0000000000d2")
    sync(ada, slots(start, 2, active=600))
    first = activity_sync(acting=ada, agent_id=desktop, slots=slots(start, 2, active=120))
    again = activity_sync(acting=ada, agent_id=desktop, slots=slots(start, 2, active=60))
    assert (first.accepted, first.replaced) == (2, 0)
    assert (again.accepted, again.replaced) == (0, 2)
    assert ActivitySlot.objects.filter(member=ada).count() == 4
    [day] = ActivityDaily.objects.filter(member=ada)
    assert day.active_seconds == 2 * 600 + 2 * 60


def test_details_the_policy_forbids_are_dropped_and_counted(ada, admin):
    start = at("2026-11-03T09:00:00+00:00")
    with_app = [rules_slot(start, app="editor", title="secret.txt")]
    assert sync(ada, with_app).dropped_detail == 1
    assert ActivitySlot.objects.get().app == "" and ActivitySlot.objects.get().title == ""
    policy_update(
        acting=admin,
        allow_apps=True,
        allow_titles=False,
        retention_days=30,
        min_group_size=5,
        individual_visibility="self",
    )
    assert sync(ada, with_app).dropped_detail == 1
    assert set(ActivitySlot.objects.values_list("app", "title")) == {("", ""), ("editor", "")}


def rules_slot(start, app=None, title=None):
    from meridian.tracking.services import SlotIn

    return SlotIn(start, "Coding", 300, 0, app, title)


def test_slots_older_than_retention_are_ignored(ada):
    result = sync(ada, slots(NOW - timedelta(days=31), 2))
    assert (result.accepted, result.expired) == (0, 2)
    assert not ActivityDaily.objects.exists()


def test_a_slot_resent_unchanged_keeps_when_its_figures_arrived(ada, clock):
    quarter = at("2026-11-03T09:00:00+00:00")
    sync(ada, slots(quarter, 2))
    first = dict(ActivitySlot.objects.values_list("start", "received_at"))
    clock.shift(timedelta(minutes=20))
    again = sync(ada, [*slots(quarter, 1), *slots(quarter + timedelta(minutes=15), 1, active=700)])
    assert (again.accepted, again.replaced) == (0, 2)
    after = {
        s: (r, a)
        for s, r, a in ActivitySlot.objects.values_list("start", "received_at", "active_seconds")
    }
    # The unchanged quarter hour keeps its time of arrival; the changed one has its new
    # figures and the time they came.
    assert after[quarter] == (first[quarter], 600)
    moved = quarter + timedelta(minutes=15)
    assert after[moved] == (first[moved] + timedelta(minutes=20), 700)
    assert ActivityDaily.objects.get(member=ada).active_seconds == 1300


def test_retention_job_deletes_old_raw_slots_and_keeps_the_daily_totals(ada, clock):
    sync(ada, slots(at("2026-11-03T09:00:00+00:00"), 4))
    job = Job(JOB, slots_retention)
    assert tick(NOW, jobs=[job]).ran == [f"{JOB}:{ada.workspace_id}:2026-11-04"]
    assert ActivitySlot.objects.count() == 4  # younger than 30 days: kept
    clock.shift(timedelta(days=31))
    later = NOW + timedelta(days=31)
    result = tick(later, jobs=[job])
    assert result.ran == [f"{JOB}:{ada.workspace_id}:{later.date().isoformat()}"]
    assert not ActivitySlot.objects.exists()
    assert ActivityDaily.objects.get(member=ada).active_seconds == 2400
    assert tick(later, jobs=[job]).ran == []


def test_retention_deletes_only_the_workspaces_own_old_slots(ada, bo, clock):
    """Retention reaches a workspace's slots through its members (the slot table's only
    index begins with the member): another workspace's old slots and the young ones stay."""
    other = factories.member(factories.workspace())
    old, young = at("2026-10-01T09:00:00+00:00"), at("2026-11-03T09:00:00+00:00")
    for member in (ada, bo, other):
        ActivitySlot.objects.bulk_create(
            ActivitySlot(
                workspace_id=member.workspace_id,
                member=member,
                start=start,
                category="Coding",
                active_seconds=60,
                afk_seconds=0,
                day=start.date(),
                agent_id=uuid.uuid4(),
                received_at=NOW,
            )
            for start in (old, young)
        )
    assert slots_expire(workspace_id=ada.workspace_id, now=NOW) == 2
    left = set(ActivitySlot.objects.values_list("member_id", "start"))
    assert left == {(ada.pk, young), (bo.pk, young), (other.pk, old), (other.pk, young)}


class TestSyncIsIdempotent(HypothesisTestCase):
    """Whatever is re-sent and in whatever order, the rollups equal the last figures."""

    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.lists(
                # Quarter hours over three weeks (every 100th is a day later), so that the
                # weekly rollup is moved across week boundaries too.
                st.tuples(
                    st.integers(0, 2100),
                    st.sampled_from(["Coding", "Writing"]),
                    st.integers(0, 900),
                ),
                min_size=1,
                max_size=10,
            ),
            min_size=1,
            max_size=4,
        ),
        # On PostgreSQL, whether a sync that meets a stored slot takes a re-send's path (the
        # database sums the stored figures; normally past 200 stored slots) or compares them.
        st.sampled_from([0, 200]),
    )
    def test_rollups_equal_the_last_figures_sent(self, batches, few_stored):
        from meridian.tracking.services import SlotIn

        with (
            __import__("time_machine").travel(NOW, tick=False),
            patch("meridian.tracking.ingest.FEW_STORED", few_stored),
        ):
            ws = factories.workspace()
            member = factories.member(ws)
            last: dict = {}
            base = at("2026-11-03T00:00:00+00:00")
            for batch in batches:
                items = [
                    SlotIn(
                        base + timedelta(minutes=15 * n + 1440 * (n // 100)), c, a, 0, None, None
                    )
                    for n, c, a in batch
                ]
                sync(member, items)
                for n, c, a in batch:
                    last[(n, c)] = a
            totals: dict = {}
            for (_n, c), a in last.items():
                totals[c] = totals.get(c, 0) + a
            stored: dict = {}
            for c, a in ActivityDaily.objects.filter(member=member).values_list(
                "category", "active_seconds"
            ):
                stored[c] = stored.get(c, 0) + a
            assert {c: v for c, v in stored.items() if v} == {c: v for c, v in totals.items() if v}
            by_week: dict = {}
            for day, c, a in ActivityDaily.objects.filter(member=member).values_list(
                "day", "category", "active_seconds"
            ):
                key = (day - timedelta(days=day.weekday()), c)
                by_week[key] = by_week.get(key, 0) + a
            weeks = ActivityWeekly.objects.filter(member=member).values_list(
                "week", "category", "active_seconds"
            )
            assert {(w, c): a for w, c, a in weeks if a} == {k: a for k, a in by_week.items() if a}


@pytest.mark.parametrize("stored", [3, 260])
def test_a_sync_of_new_and_stored_slots_counts_each_once(ada, stored):
    """A catching-up agent's sync: a few stored quarter hours (one grew) and many new ones;
    or, past 200 stored, the re-send's path. Nothing is counted twice either way."""
    start = at("2026-11-03T00:00:00+00:00")
    sync(ada, slots(start, stored, active=100))
    sent = [
        *slots(start, stored - 1, active=100),
        *slots(start + timedelta(minutes=15 * (stored - 1)), 301, active=200),
    ]
    result = sync(ada, sent)
    assert (result.accepted, result.replaced) == (300, stored)
    assert ActivitySlot.objects.filter(member=ada).count() == stored + 300
    total = sum(ActivityDaily.objects.filter(member=ada).values_list("active_seconds", flat=True))
    assert total == (stored - 1) * 100 + 301 * 200
    weekly = sum(ActivityWeekly.objects.filter(member=ada).values_list("active_seconds", flat=True))
    assert weekly == total


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY of new slots")
def test_a_slot_stored_behind_the_syncs_back_is_replaced_not_copied_twice(ada):
    """Were a slot stored after the sync looked (a writer that does not hold the member's
    lock), the COPY meets its key: it is undone to its savepoint and the sync upserts."""
    start = at("2026-11-03T09:00:00+00:00")
    sync(ada, slots(start, 2, active=600))
    with patch("meridian.tracking.ingest._stored_figures", return_value={}):
        result = sync(ada, slots(start, 3, active=300))
    assert (result.accepted, result.replaced) == (1, 2)
    assert sorted(ActivitySlot.objects.values_list("active_seconds", flat=True)) == [300] * 3
    assert ActivityDaily.objects.get(member=ada).active_seconds == 900


def test_deleting_a_member_deletes_their_synced_slots_and_no_one_elses(ada, bo):
    """The slot table keeps no foreign key constraint on its member (a sync would pay for
    5,000 checks at commit): Django's cascade is what removes a deleted member's slots."""
    sync(ada, slots(at("2026-11-03T09:00:00+00:00"), 3))
    sync(bo, slots(at("2026-11-03T09:00:00+00:00"), 2))
    ada.user.delete()  # an account deleted: its memberships, and with them their slots
    assert list(ActivitySlot.objects.values_list("member_id", flat=True)) == [bo.pk] * 2
    assert not ActivityDaily.objects.filter(member_id=ada.pk).exists()


def test_deleting_a_workspace_deletes_every_synced_slot_of_it(ada, bo):
    other = factories.member(factories.workspace())
    for member in (ada, bo, other):
        sync(member, slots(at("2026-11-03T09:00:00+00:00"), 2))
    ada.workspace.delete()
    assert list(ActivitySlot.objects.values_list("member_id", flat=True)) == [other.pk] * 2


def test_a_sync_for_a_membership_deleted_meanwhile_is_refused_and_stores_nothing(ada):
    """The member's locked row is the slots' only member check: a membership gone between
    the request's authentication and its sync stores no orphaned slot."""
    gone = Membership.objects.get(pk=ada.pk)
    Membership.objects.filter(pk=ada.pk).delete()
    with pytest.raises(Unauthenticated):
        sync(gone, slots(at("2026-11-03T09:00:00+00:00"), 3))
    assert not ActivitySlot.objects.exists()
    assert not ActivityDaily.objects.exists()


def test_a_timer_forgotten_for_weeks_ends_after_seven_days(ada, clock):
    started = timer_start(acting=ada)
    clock.shift(timedelta(days=20))
    stopped = timer_stop(acting=ada)
    assert stopped.ended_at - started.started_at == timedelta(days=7)
