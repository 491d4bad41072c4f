"""Start-here pins: the briefs and decisions a team puts first for newcomers to read."""

from django.db import transaction

from meridian.briefs.models import Brief
from meridian.core.errors import Conflict, NotFound, ValidationFailed
from meridian.core.services import audit_record
from meridian.decisions.models import DecisionRecord, Pin, PinKind
from meridian.decisions.services.common import MAX_NOTE
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Team


@transaction.atomic
def pin_add(
    *,
    acting: Membership,
    team: Team,
    brief: Brief | None = None,
    record: DecisionRecord | None = None,
    note: str = "",
) -> Pin:
    """Put a brief or a decision on a team's start-here page (members of the workspace)."""
    require_role(acting, Role.MEMBER)
    if team.workspace_id != acting.workspace_id:
        raise NotFound("No such team in this workspace.")
    if (brief is None) == (record is None):
        raise ValidationFailed.field("target", "Pin either a brief or a decision.")
    target = brief if brief is not None else record
    assert target is not None
    if target.workspace_id != acting.workspace_id:
        raise NotFound("Nothing to pin by that id in this workspace.")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed.field("note", f"A note has at most {MAX_NOTE} characters.")
    kind = PinKind.BRIEF if brief is not None else PinKind.DECISION
    if Pin.objects.filter(team=team, kind=kind, brief=brief, record=record).exists():
        raise Conflict(f"This is pinned for {team.name} already.")
    pin = Pin.objects.create(
        workspace_id=acting.workspace_id,
        team=team,
        kind=kind,
        brief=brief,
        record=record,
        note=note,
        pinned_by=acting,
    )
    audit_record(actor=acting, action="decision.pin", obj=team, data={"pin": pin.pk, "kind": kind})
    return pin


@transaction.atomic
def pin_remove(*, acting: Membership, pin: Pin) -> None:
    """Take a brief or decision off a team's start-here page."""
    require_role(acting, Role.MEMBER)
    team, pin_id = pin.team, pin.pk
    Pin.objects.filter(pk=pin_id).delete()
    audit_record(actor=acting, action="decision.unpin", obj=team, data={"pin": pin_id})
