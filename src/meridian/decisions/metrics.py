"""The decisions area's built-in metrics: the facts each decision record gives.

A decision record (source kind ``decision``, written once when a proposal is decided) gives:

* ``decision_lead_time``: the hours from the proposal's opening to the decision that fall in
  the owner's working hours (elapsed hours when they set none), at the decision, about the owner;
* ``decision_participation``: for each person invited to take a stance, 100 if they took part
  and 0 if not, at the decision, about that person (its mean is the share who took part).
"""

from collections.abc import Iterator

from meridian.core.registry import FactIn
from meridian.core.workingtime import member_week, working_hours_or_elapsed
from meridian.decisions.models import DecisionRecord


def _records(workspace_id: int, ids: list[int] | None):  # type: ignore[no-untyped-def]
    records = DecisionRecord.objects.filter(workspace_id=workspace_id)
    if ids is not None:
        records = records.filter(pk__in=ids)
    return records.order_by("pk")


def lead_time_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, owner_id, opened, decided, zone, hours in _records(workspace_id, ids).values_list(
        "pk",
        "owner_id",
        "opened_at",
        "decided_at",
        "owner__profile__time_zone",
        "owner__profile__working_hours",
    ):
        value = working_hours_or_elapsed(member_week(zone, hours), opened, decided)
        yield FactIn(pk, decided, value, member_id=owner_id, part="lead")


def participation_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, decided, participation in _records(workspace_id, ids).values_list(
        "pk", "decided_at", "participation"
    ):
        for person in (participation or {}).get("people", []):
            member_id = int(person["id"])
            value = 100.0 if person.get("took_part") else 0.0
            yield FactIn(pk, decided, value, member_id=member_id, part=f"m{member_id}")
