"""The pure turn computation: who holds which turn, given members, period and time off."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from meridian.roles.rotation import Schedule, is_away, next_holder, period_starts, turns

ZONES = ["UTC", "Europe/Berlin", "Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Chatham"]

schedules = st.builds(
    Schedule,
    first_day=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    step_days=st.integers(min_value=1, max_value=21),
    at=st.times(),
    zone=st.sampled_from(ZONES),
)
member_lists = st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8, unique=True)


@st.composite
def time_off_for(draw, members, schedule):
    """Random spans of time off near the first turns, for some of the members."""
    spans = {}
    for m in members:
        if draw(st.booleans()):
            start = schedule.first_day + timedelta(days=draw(st.integers(-10, 80)))
            length = draw(st.integers(0, 20))
            spans[m] = [(start, start + timedelta(days=length))]
    return spans


@given(data=st.data(), schedule=schedules, members=member_lists)
def test_nobody_on_time_off_holds_a_turn_unless_everyone_is_away(data, schedule, members):
    previous = data.draw(st.one_of(st.none(), st.sampled_from(members)))
    away = data.draw(time_off_for(members, schedule))
    planned = turns(schedule, members, previous, 0, 8, away)
    for turn in planned:
        everyone_away = all(
            is_away(away.get(m, ()), turn.first_day, turn.last_day) for m in members
        )
        if everyone_away:
            assert turn.kept and turn.holder == previous
        else:
            assert not turn.kept
            assert not is_away(away.get(turn.holder, ()), turn.first_day, turn.last_day)
        previous = turn.holder


@given(schedule=schedules, members=member_lists, first=st.integers(0, 50))
def test_without_time_off_the_role_goes_round_the_members_in_order(schedule, members, first):
    planned = turns(schedule, members, members[0], first, 2 * len(members), {})
    assert [t.holder for t in planned] == [
        members[(k + 1) % len(members)] for k in range(2 * len(members))
    ]


@given(members=member_lists, data=st.data())
def test_a_skipped_member_is_passed_over_for_the_next_one_in_order(members, data):
    previous = data.draw(st.sampled_from(members))
    away = set(data.draw(st.lists(st.sampled_from(members), unique=True)))
    holder = next_holder(members, previous, away)
    if len(away) == len(members):
        assert holder is None
    else:
        i = members.index(previous)
        order = [members[(i + 1 + k) % len(members)] for k in range(len(members))]
        assert holder == next(m for m in order if m not in away)


@given(schedule=schedules, n=st.integers(0, 200), seconds=st.integers(0, 86_400 * 21 - 1))
def test_the_turn_running_at_a_moment_is_the_last_one_begun(schedule, n, seconds):
    start = schedule.boundary(n)
    assert schedule.turn_at(start) == n
    assert schedule.turn_at(start - timedelta(microseconds=1)) == n - 1
    moment = start + timedelta(seconds=seconds)
    turn = schedule.turn_at(moment)
    assert schedule.boundary(turn) <= moment < schedule.boundary(turn + 1)


def test_a_weekly_rota_changes_on_its_weekday_at_its_local_time_across_a_dst_change():
    # Mondays at 09:00 in Berlin, from the first Monday on or after Wednesday 1 October 2025.
    schedule = Schedule.weekly(date(2025, 10, 1), 0, time(9, 0), "Europe/Berlin")
    assert schedule.first_day == date(2025, 10, 6)
    assert schedule.boundary(0) == datetime(2025, 10, 6, 7, 0, tzinfo=UTC)  # summer time
    assert schedule.boundary(4) == datetime(2025, 11, 3, 8, 0, tzinfo=UTC)  # winter time
    assert schedule.days(1) == (date(2025, 10, 13), date(2025, 10, 19))
    assert schedule.turn_at(datetime(2025, 10, 6, 6, 59, tzinfo=UTC)) == -1


def test_everyone_away_keeps_the_previous_holder_and_says_so():
    schedule = Schedule(date(2026, 1, 5), 7, time(9), "UTC")
    away = {1: [(date(2026, 1, 1), date(2026, 1, 20))], 2: [(date(2026, 1, 10), date(2026, 1, 12))]}
    planned = turns(schedule, [1, 2], 2, 0, 3, away)
    # Turn 0 (5–11 Jan): 1 away, 2 away from the 10th: both away, 2 keeps it.
    # Turn 1 (12–18 Jan): 2 is back on the 13th but away on the 12th: still both, 2 keeps it.
    # Turn 2 (19–25 Jan): 1 is away until the 20th, so 2 again, now as a proper turn.
    assert [(t.holder, t.kept) for t in planned] == [(2, True), (2, True), (2, False)]


def test_duty_periods_start_on_the_day_monday_and_the_first():
    assert period_starts(date(2026, 12, 10)) == {
        "daily": date(2026, 12, 10),
        "weekly": date(2026, 12, 7),
        "monthly": date(2026, 12, 1),
    }
