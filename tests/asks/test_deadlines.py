"""Deadlines as people read them: the kind of a deadline and its short label."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from meridian.asks.deadlines import Deadline, deadline_label


def test_a_deadline_is_a_moment_a_local_day_or_none():
    assert Deadline(at=datetime(2026, 3, 12, 17, tzinfo=ZoneInfo("UTC"))).kind == "instant"
    assert Deadline(day=date(2026, 3, 12)).kind == "local_day"
    assert Deadline().kind == "none"


def test_a_deadline_at_midnight_reads_as_the_end_of_the_day_before():
    kathmandu = ZoneInfo("Asia/Kathmandu")
    assert deadline_label(datetime(2026, 3, 16, 0, 0, tzinfo=kathmandu)) == "end of Sun 15 Mar"
    assert deadline_label(datetime(2026, 3, 12, 17, 0, tzinfo=kathmandu)) == "Thu 12 Mar, 17:00"
    assert deadline_label(None) == ""
