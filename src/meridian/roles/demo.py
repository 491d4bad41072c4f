"""The demo's roles: a release manager, a support lead and an on-call rota, with months of
holders' history and a little time off that the rota works around."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from meridian.core.moments import local_date
from meridian.roles.models import Cadence, Role
from meridian.roles.services import (
    DutyIn,
    duty_tick,
    holder_assign,
    holder_release,
    role_create,
    rota_set,
    rota_turn_apply,
)
from meridian.workspaces.models import Membership, Workspace
from meridian.workspaces.services import time_off_add

RELEASE = """Owns getting each release out the door, safely and on a predictable rhythm.

- **Cut the release branch** every second Tuesday and post the changelog draft in #releases.
- **Chair the go/no-go** asynchronously: the release brief closes 24 hours before the cut.
- Watch the error budget for 48 hours after a release; roll back without asking if it burns.
- Keep [the release checklist](https://example.com/runbooks/release) current.
"""

SUPPORT = """Makes sure every customer question gets a good answer within a working day.

- Triage the support queue twice a day; tag, assign, or answer.
- Write up anything asked three times as a help-centre article.
- Send the **weekly support digest**: volumes, themes, what engineering should know.
"""

ONCALL = """First responder for production incidents during your turn (a week, Monday to Monday).

1. Acknowledge pages within 15 minutes in your working hours; the secondary covers the rest.
2. Open an incident brief for anything customer-facing and keep it updated.
3. Hand over unresolved incidents in writing at the end of your turn.

Runbooks live in the platform repository under `docs/runbooks/`.
"""


def demo_roles(workspace: Workspace, members: dict[str, Membership]) -> list[Role]:
    """Write the demo's roles and their history (callers mute notifications)."""
    now = timezone.now()
    ada, bruno = members["Ada Okafor"], members["Bruno Costa"]

    release = role_create(
        acting=bruno,
        name="Release manager",
        responsibilities=RELEASE,
        duties=[
            DutyIn("Check the error budget dashboard", Cadence.DAILY),
            DutyIn("Review merged pull requests for the changelog", Cadence.WEEKLY),
            DutyIn("Update the release calendar", Cadence.MONTHLY),
        ],
    )
    _history(
        bruno,
        release,
        [
            (members["Chen Wei"], now - timedelta(days=170), now - timedelta(days=95)),
            (members["Divya Nair"], now - timedelta(days=95), now - timedelta(days=40)),
            (members["Emeka Eze"], now - timedelta(days=40), None),
        ],
    )

    support = role_create(
        acting=ada,
        name="Support lead",
        responsibilities=SUPPORT,
        duties=[
            DutyIn("Triage the support queue", Cadence.DAILY),
            DutyIn("Send the weekly support digest", Cadence.WEEKLY),
        ],
    )
    _history(
        ada,
        support,
        [
            (members["Mateo Rojas"], now - timedelta(days=200), None),
            (members["Nadia Petrova"], now - timedelta(days=60), now - timedelta(days=31)),
        ],
    )

    oncall = role_create(
        acting=bruno,
        name="On-call",
        responsibilities=ONCALL,
        duties=[
            DutyIn("Review overnight alerts", Cadence.DAILY),
            DutyIn("Test the paging path", Cadence.WEEKLY),
        ],
    )
    rotation = [members[n] for n in ("Gabriel Roux", "Quinn Taylor", "Sam Carter", "Victor Dubois")]
    quinn = members["Quinn Taylor"]
    today = local_date(now, quinn.profile.time_zone)
    # Quinn was away three weeks ago and will be away next week: the rota skips those turns.
    last_monday = today - timedelta(days=today.weekday())
    time_off_add(
        acting=quinn,
        member=quinn,
        first_day=last_monday - timedelta(days=21),
        last_day=last_monday - timedelta(days=17),
        note="Family visit",
    )
    time_off_add(
        acting=quinn,
        member=quinn,
        first_day=last_monday + timedelta(days=7),
        last_day=last_monday + timedelta(days=11),
        note="Conference",
    )
    rota = rota_set(
        acting=bruno,
        role=oncall,
        member_ids=[m.pk for m in rotation],
        period="weekly",
        weekday=0,
        at=time(9, 0),
        zone="Europe/Paris",
        starts_on=last_monday - timedelta(weeks=12),
        replay=True,
    )
    for turn in range(rota.schedule().turn_at(now) + 1):
        rota_turn_apply(rota_id=rota.pk, turn=turn)

    # This period's checklists, partly done by the holders.
    emeka = members["Emeka Eze"]
    for duty in release.duties.all()[:2]:
        duty_tick(acting=emeka, duty=duty, done=True)
    duty_tick(acting=members["Mateo Rojas"], duty=support.duties.all()[0], done=True)
    return [release, support, oncall]


def _history(
    acting: Membership,
    role: Role,
    spans: list[tuple[Membership, datetime, datetime | None]],
) -> None:
    for member, start, end in spans:
        holder_assign(acting=acting, role=role, member=member, at=start)
        if end is not None:
            holder_release(acting=acting, role=role, member=member, at=end)
