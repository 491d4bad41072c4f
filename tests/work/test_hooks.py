"""What the work area plugs into the others: search, the calendar feed, link kinds, the nav."""

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from icalendar import Calendar

from meridian.briefs.models import BriefLink
from meridian.briefs.services import link_add
from meridian.calendars.services import calendar_feed_rotate
from meridian.core import registry
from meridian.search.selectors import search_for
from meridian.work.services import Due, task_update
from tests.briefs.factories import brief
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def test_projects_and_tasks_are_found_by_search_in_their_own_workspace_only(ana, site, outsider):
    task(ana, site, title="Migrate the newsletter", criteria=[{"text": "Subscribers imported"}])
    project(outsider, "Newsletter of others")
    hits = list(search_for(viewer=ana, q="newsletter"))
    assert [(h.kind, h.title) for h in hits] == [("task", "Migrate the newsletter")]
    assert [h.title for h in search_for(viewer=ana, q="subscribers")] == ["Migrate the newsletter"]
    assert [h.kind for h in search_for(viewer=ana, q="relaunch")] == ["project"]


def test_an_open_task_with_a_due_date_is_in_its_owners_feed_until_done(clock, ana, ben, site):
    t = task(ana, site, title="Ship it", owner=ben, due=Due("local_day", date=date(2026, 12, 9)))
    task(ana, site, title="No date", owner=ben)
    _, secret = calendar_feed_rotate(acting=ben)

    def events():
        response = Client().get(f"/calendar/{secret}.ics")
        assert response.status_code == 200
        return [
            e
            for e in Calendar.from_ical(response.content).walk("VEVENT")
            if "work-task" in str(e["UID"])
        ]

    [event] = events()
    assert str(event["SUMMARY"]) == "Task due: Ship it"
    assert event["DTSTART"].dt == datetime(2026, 12, 9, 11, 15, tzinfo=UTC)
    task_update(actor=ana, task=t, version=t.version, changes={"status": "done"})
    assert events() == []


def test_a_brief_links_a_task_and_a_task_links_a_brief_through_the_registry(ana, ben, site):
    t = task(ana, site, title="Build it")
    b = brief(ana, [ben], title="Why build it")
    link = link_add(acting=ana, brief=b, target="task", target_id=t.pk)
    assert BriefLink.objects.get() == link
    kinds = registry.link_kinds()
    assert kinds["task"].titles(ana.workspace_id, [t.pk]) == {t.pk: "Build it"}
    assert kinds["brief"].titles(ana.workspace_id, [b.pk]) == {b.pk: "Why build it"}
    assert kinds["decision"].summaries is not None


def test_my_work_heads_the_work_menu_of_the_navigation():
    entries = [(e.group, e.label, e.url_name) for e in registry.nav_entries()]
    work = [entry for entry in entries if entry[0] == "Work"]
    assert work[0] == ("Work", "My work", "work_my")
