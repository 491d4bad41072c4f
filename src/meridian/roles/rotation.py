"""Who holds a rota's role in which turn: pure arithmetic, no database (property-tested).

A rota's turns begin at a local time on change days: every N days from its first day, or every
week on a weekday. Turn ``n`` begins at ``boundary(n)`` and ends at ``boundary(n + 1)``; its
*days* are the change day up to the day before the next change, as dates of the rota's zone.

The next holder is the first member after the previous holder, in rota order, who is not on
time off on any day of the coming turn. If everyone is away, the previous holder keeps the role
(``kept``): a role nobody holds helps nobody.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    """When a rota's turns change: ``first_day`` at ``at`` in ``zone``, then every ``step_days``."""

    first_day: date
    step_days: int
    at: time
    zone: str

    @classmethod
    def weekly(cls, starts_on: date, weekday: int, at: time, zone: str) -> "Schedule":
        """Every week on ``weekday`` (0 = Monday), from the first such day on or after ``starts_on``."""
        first = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
        return cls(first, 7, at, zone)

    def boundary(self, n: int) -> datetime:
        """The instant turn ``n`` begins (UTC); a local time a DST gap skips reads as after it."""
        day = self.first_day + timedelta(days=n * self.step_days)
        local = datetime.combine(day, self.at, ZoneInfo(self.zone))
        return local.astimezone(UTC)

    def turn_at(self, moment: datetime) -> int:
        """The turn running at ``moment`` (-1 before the first change)."""
        local_day = moment.astimezone(ZoneInfo(self.zone)).date()
        n = max((local_day - self.first_day).days // self.step_days, -1)
        while self.boundary(n + 1) <= moment:
            n += 1
        while n >= 0 and self.boundary(n) > moment:
            n -= 1
        return n

    def days(self, n: int) -> tuple[date, date]:
        """The first and last day (in the rota's zone) of turn ``n``."""
        first = self.first_day + timedelta(days=n * self.step_days)
        return first, first + timedelta(days=self.step_days - 1)


@dataclass(frozen=True)
class Turn:
    """One turn of a rota: who holds the role, from when to when, and whether they only kept it
    because everyone was away."""

    n: int
    starts_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date
    holder: int | None
    kept: bool = False


def is_away(spans: Iterable[tuple[date, date]], first: date, last: date) -> bool:
    """Whether any span of time off touches a day from ``first`` to ``last``."""
    return any(start <= last and end >= first for start, end in spans)


def next_holder(
    members: Sequence[int], previous: int | None, away: set[int], n: int = 0
) -> int | None:
    """The first member after ``previous`` in order who is not away; with no previous holder on
    the rota, counting from ``members[n % len]``. None when everyone is away (or nobody is on it)."""
    if not members:
        return None
    start = (members.index(previous) + 1) if previous in members else n
    for k in range(len(members)):
        candidate = members[(start + k) % len(members)]
        if candidate not in away:
            return candidate
    return None


def turns(
    schedule: Schedule,
    members: Sequence[int],
    previous: int | None,
    first_turn: int,
    count: int,
    time_off: Mapping[int, Sequence[tuple[date, date]]],
) -> list[Turn]:
    """The ``count`` turns from ``first_turn`` on, given who held the turn before it."""
    planned: list[Turn] = []
    for n in range(first_turn, first_turn + count):
        first, last = schedule.days(n)
        away = {m for m in members if is_away(time_off.get(m, ()), first, last)}
        holder = next_holder(members, previous, away, n)
        kept = holder is None
        if kept:
            holder = previous
        planned.append(
            Turn(n, schedule.boundary(n), schedule.boundary(n + 1), first, last, holder, kept)
        )
        previous = holder
    return planned


# --- Duty periods ---------------------------------------------------------------------------


def period_start(cadence: str, day: date) -> date:
    """The first day of the day, week (from Monday) or month that ``day`` lies in."""
    if cadence == "daily":
        return day
    if cadence == "weekly":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_starts(day: date) -> dict[str, date]:
    """The current period's first day for each cadence, on the local ``day``."""
    return {cadence: period_start(cadence, day) for cadence in ("daily", "weekly", "monthly")}
