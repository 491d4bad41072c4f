"""Reading the inbox: its order, its views and counts, and why each item is there."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from meridian.notifications.models import InboxItem, InboxState
from meridian.notifications.selectors import (
    inbox_count_for,
    inbox_counts_for,
    inbox_entries_for,
    inbox_items_in_order,
    inbox_list_for,
)
from meridian.notifications.services import inbox_item_put
from tests.notifications.factories import many_items

pytestmark = pytest.mark.django_db


def titles(rows) -> list[str]:
    return [r.title for r in rows]


def test_items_go_by_your_deadline_then_those_without_one_newest_first(kathmandu, ada):
    many_items(kathmandu, 6, actor=ada)
    # Deadlines: 1, 3, 5 (a day apart, soonest first); none: 0, 2, 4 (0 is the newest).
    assert titles(inbox_list_for(viewer=kathmandu)) == [
        f"Brief number {n}" for n in (1, 3, 5, 0, 2, 4)
    ]


def test_gone_done_and_snoozed_items_are_not_waiting_and_counts_say_so(kathmandu, ada):
    many_items(kathmandu, 4, actor=ada)
    rows = list(InboxItem.objects.filter(recipient=kathmandu).order_by("pk"))
    InboxItem.objects.filter(pk=rows[0].pk).update(state=InboxState.GONE)
    InboxItem.objects.filter(pk=rows[1].pk).update(state=InboxState.DONE, done_at=timezone.now())
    InboxItem.objects.filter(pk=rows[2].pk).update(
        snoozed_until=timezone.now() + timedelta(hours=1)
    )
    assert titles(inbox_list_for(viewer=kathmandu)) == ["Brief number 3"]
    assert inbox_counts_for(viewer=kathmandu) == {"open": 1, "snoozed": 1, "done": 1}
    assert inbox_count_for(viewer=kathmandu) == 1
    later = timezone.now() + timedelta(hours=2)
    assert inbox_count_for(viewer=kathmandu, now=later) == 2


def test_nobody_elses_items_are_in_your_inbox(kathmandu, new_york, ada):
    many_items(kathmandu, 3, actor=ada)
    assert list(inbox_list_for(viewer=new_york)) == []
    others = InboxItem.objects.filter(recipient=kathmandu).values_list("pk", flat=True)
    assert inbox_items_in_order(viewer=new_york, ids=others) == []


def test_a_page_keeps_the_order_it_was_chosen_in(kathmandu, ada):
    many_items(kathmandu, 5, actor=ada)
    ids = list(inbox_list_for(viewer=kathmandu).values_list("pk", flat=True)[1:4])
    assert [i.pk for i in inbox_items_in_order(viewer=kathmandu, ids=ids)] == ids


def test_a_passed_deadline_is_overdue_and_a_far_one_names_its_date(kathmandu, ada, monday):
    now = timezone.now()
    end_of_friday = datetime(2026, 3, 13, 11, 15, tzinfo=UTC)  # 17:00 Kathmandu
    for cause, due in (
        ("x:1", now - timedelta(hours=1)),
        ("x:2", end_of_friday + timedelta(days=14)),
    ):
        inbox_item_put(
            recipient=kathmandu, kind="k", cause=cause, title=cause, url="/", actor=ada, due_at=due
        )
    overdue, far = inbox_entries_for(viewer=kathmandu, items=inbox_list_for(viewer=kathmandu))
    assert overdue.overdue and overdue.why == "Ada needs you by Mon 9 Mar, 14:45 Asia/Kathmandu"
    assert not far.overdue
    assert far.why == "Ada needs you by the end of your Friday 27 March (17:00 Asia/Kathmandu)"
