"""Every write to roles: the role and its duties, holders (the history), duty ticks, rotas.

Each service runs in one transaction, records an audit entry, and keeps the history: holding a
role is a ``RoleHolding`` started and later ended, never edited away.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.moments import local_date
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.roles.models import (
    DUTIES_MAX,
    DUTY_MAX,
    NAME_MAX,
    RESPONSIBILITIES_MAX,
    ROTA_MEMBERS_MAX,
    Cadence,
    Duty,
    DutyCheck,
    HoldingEnd,
    HoldingHow,
    Role,
    RoleHolding,
    Rota,
    RotaPeriod,
)
from meridian.roles.rotation import is_away, next_holder, period_start
from meridian.roles.search import role_search_index
from meridian.workspaces.access import require_role, require_same_workspace
from meridian.workspaces.models import Membership
from meridian.workspaces.models import Role as MemberRole
from meridian.workspaces.selectors import time_off_between
from meridian.workspaces.services import validate_time_zone


@dataclass(frozen=True)
class DutyIn:
    """A duty as a form or the API gives it."""

    text: str
    cadence: str = Cadence.WEEKLY


class RoleEditConflict(Conflict):
    """Someone saved the role since the version this edit started from (HTTP 409).

    ``errors`` names each field that changed, with its value now, so the second person sees the
    other change instead of overwriting it."""


def role_cause(role_id: int) -> str:
    """The inbox cause of holding a role (open while the member holds it)."""
    return f"roles.role:{role_id}"


def role_url(role: Role) -> str:
    return reverse("role_detail", kwargs={"workspace": role.workspace.slug, "role_id": role.pk})


def _clean_name(name: str, workspace_id: int, exclude: int | None, problems: FieldErrors) -> str:
    name = " ".join(name.split())
    if not name:
        problems.add("name", "Give the role a name.")
    elif len(name) > NAME_MAX:
        problems.add("name", f"Keep the name under {NAME_MAX} characters.")
    elif (
        Role.objects.filter(workspace_id=workspace_id, name__iexact=name)
        .exclude(pk=exclude or 0)
        .exists()
    ):
        problems.add("name", f"There is already a role called “{name}”.")
    return name


def _clean_duties(duties: list[DutyIn], problems: FieldErrors) -> list[DutyIn]:
    cleaned: list[DutyIn] = []
    if len(duties) > DUTIES_MAX:
        problems.add("duties", f"A role can list at most {DUTIES_MAX} duties.")
        return cleaned
    for duty in duties:
        text = " ".join(duty.text.split())
        if not text:
            continue
        if len(text) > DUTY_MAX:
            problems.add("duties", f"Keep each duty under {DUTY_MAX} characters: “{text[:40]}…”.")
        elif duty.cadence not in Cadence.values:
            problems.add(
                "duties", f"“{duty.cadence}” is not a cadence; use daily, weekly or monthly."
            )
        else:
            cleaned.append(DutyIn(text, duty.cadence))
    return cleaned


def _clean_responsibilities(text: str, problems: FieldErrors) -> str:
    text = text.strip()
    if len(text) > RESPONSIBILITIES_MAX:
        problems.add(
            "responsibilities",
            f"Keep the responsibilities under {RESPONSIBILITIES_MAX} characters.",
        )
    return text


def _write_duties(role: Role, duties: list[DutyIn]) -> None:
    """Make the role's checklist these duties; a duty whose text stays keeps its ticks."""
    existing = {duty.text: duty for duty in role.duties.all()}
    keep: list[int] = []
    for position, wanted in enumerate(duties):
        duty = existing.pop(wanted.text, None)
        if duty is None:
            duty = Duty.objects.create(
                workspace_id=role.workspace_id,
                role=role,
                text=wanted.text,
                cadence=wanted.cadence,
                position=position,
            )
        elif (duty.cadence, duty.position) != (wanted.cadence, position):
            if duty.cadence != wanted.cadence:
                # A tick of the old cadence's period says nothing about the new one.
                duty.checks.all().delete()
            duty.cadence, duty.position = wanted.cadence, position
            duty.save(update_fields=["cadence", "position"])
        keep.append(duty.pk)
    Duty.objects.filter(role=role).exclude(pk__in=keep).delete()


@transaction.atomic
def role_create(
    *, acting: Membership, name: str, responsibilities: str = "", duties: list[DutyIn] | None = None
) -> Role:
    """Describe a new role: what it is responsible for and its recurring duties."""
    require_role(acting, MemberRole.MEMBER)
    problems = FieldErrors()
    name = _clean_name(name, acting.workspace_id, None, problems)
    responsibilities = _clean_responsibilities(responsibilities, problems)
    cleaned = _clean_duties(duties or [], problems)
    problems.raise_any()
    try:
        with transaction.atomic():
            role = Role.objects.create(
                workspace_id=acting.workspace_id,
                name=name,
                responsibilities=responsibilities,
                responsibilities_html=render_markdown(responsibilities),
                created_by=acting,
            )
    except IntegrityError:
        raise ValidationFailed.field("name", f"There is already a role called “{name}”.") from None
    _write_duties(role, cleaned)
    role_search_index(role)
    audit_record(actor=acting, action="role.create", obj=role, data={"name": name})
    return role


def _duty_lines(role: Role) -> list[str]:
    return [f"{duty.cadence}: {duty.text}" for duty in role.duties.all()]


@transaction.atomic
def role_update(
    *,
    acting: Membership,
    role: Role,
    version: int,
    name: str | None = None,
    responsibilities: str | None = None,
    duties: list[DutyIn] | None = None,
    archived: bool | None = None,
) -> Role:
    """Edit a role from the version the editor saw; a save over someone else's is refused (409)
    with what they changed."""
    require_role(acting, MemberRole.MEMBER)
    require_same_workspace(acting, role)
    current = Role.objects.select_for_update().get(pk=role.pk)
    if current.version != version:
        # What the editor meant to set that now reads differently: the other change, as it is.
        changed: dict[str, list[str]] = {}
        if name is not None and current.name != " ".join(name.split()):
            changed["name"] = [f"Now “{current.name}”."]
        if responsibilities is not None and current.responsibilities != responsibilities.strip():
            changed["responsibilities"] = [f"Now: {current.responsibilities[:500] or '(empty)'}"]
        if duties is not None and _duty_lines(current) != [
            f"{d.cadence}: {' '.join(d.text.split())}" for d in duties
        ]:
            changed["duties"] = ["Now: " + ("; ".join(_duty_lines(current)) or "(none)")]
        if archived is not None and archived != current.is_archived:
            changed["archived"] = ["Now archived." if current.is_archived else "Now not archived."]
        changed.setdefault("version", [f"The role is at version {current.version}."])
        raise RoleEditConflict(
            f"Someone else saved this role since you opened it (version {version}, now "
            f"{current.version}); nothing of yours was saved. Review their change and save again.",
            changed,
        )
    problems = FieldErrors()
    fields: list[str] = []
    before = {"name": current.name, "archived": current.is_archived}
    if name is not None:
        current.name = _clean_name(name, current.workspace_id, current.pk, problems)
        fields.append("name")
    if responsibilities is not None:
        current.responsibilities = _clean_responsibilities(responsibilities, problems)
        current.responsibilities_html = render_markdown(current.responsibilities)
        fields += ["responsibilities", "responsibilities_html"]
    cleaned = _clean_duties(duties, problems) if duties is not None else None
    problems.raise_any()
    if archived is not None and archived != current.is_archived:
        current.archived_at = timezone.now() if archived else None
        fields.append("archived_at")
    if cleaned is not None:
        _write_duties(current, cleaned)
    current.version = F("version") + 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    current.refresh_from_db()
    role_search_index(current)
    audit_record(
        actor=acting,
        action="role.update",
        obj=current,
        data={"before": before, "fields": sorted({f.removesuffix("_html") for f in fields})},
    )
    return current


# --- Holders ----------------------------------------------------------------------------------


def _start_holding(
    role: Role,
    member: Membership,
    how: str,
    acting: Membership | None,
    at: datetime,
    notify: bool = True,
) -> RoleHolding:
    if not member.is_active or member.workspace_id != role.workspace_id:
        raise ValidationFailed.field("member_id", "That person is not a member of this workspace.")
    if RoleHolding.objects.filter(role=role, membership=member, ended_at__isnull=True).exists():
        raise ValidationFailed.field(
            "member_id", f"{member.profile.display_name} already holds {role.name}."
        )
    try:
        with transaction.atomic():
            holding = RoleHolding.objects.create(
                workspace_id=role.workspace_id,
                role=role,
                membership=member,
                started_at=at,
                how=how,
                started_by=acting,
            )
    except IntegrityError:
        # Someone assigned them in the same moment (the partial unique index decided).
        raise ValidationFailed.field(
            "member_id", f"{member.profile.display_name} already holds {role.name}."
        ) from None
    Role.objects.filter(pk=role.pk).update(version=F("version") + 1, updated_at=timezone.now())
    if notify and (acting is None or acting.pk != member.pk):
        reason = {
            HoldingHow.ROTA: "It is your turn on the rota",
            HoldingHow.HANDOVER: "It was handed over to you",
        }.get(HoldingHow(how), "You were assigned")
        notification_send(
            recipient=member,
            kind="roles.assigned",
            subject=f"You now hold the role {role.name}",
            body=f"{reason}: read its responsibilities and this period's duties.",
            url=role_url(role),
            actor=acting,
            cause=role_cause(role.pk),
        )
    return holding


def _end_holding(holding: RoleHolding, acting: Membership | None, at: datetime) -> None:
    ended = RoleHolding.objects.filter(pk=holding.pk, ended_at__isnull=True).update(
        ended_at=max(at, holding.started_at), ended_by=acting
    )
    if not ended:
        raise Conflict("That holding had already ended.")
    Role.objects.filter(pk=holding.role_id).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    inbox_resolve(cause=role_cause(holding.role_id), recipient=holding.membership)


@transaction.atomic
def holder_assign(
    *,
    acting: Membership,
    role: Role,
    member: Membership,
    at: datetime | None = None,
    notify: bool = True,
) -> RoleHolding:
    """Make a member a holder of the role from now (a role may have several holders)."""
    require_role(acting, MemberRole.MEMBER)
    require_same_workspace(acting, role)
    if member.workspace_id != acting.workspace_id:
        raise ValidationFailed.field("member_id", "That person is not a member of this workspace.")
    if role.is_archived:
        raise Conflict("The role is archived; restore it before assigning someone.")
    Role.objects.select_for_update().filter(pk=role.pk).first()
    holding = _start_holding(
        role, member, HoldingHow.ASSIGNED, acting, at or timezone.now(), notify
    )
    audit_record(actor=acting, action="role.assign", obj=role, data={"member": member.pk})
    return holding


@transaction.atomic
def holder_release(
    *, acting: Membership, role: Role, member: Membership, at: datetime | None = None
) -> RoleHolding:
    """End a member's holding of the role now; it stays in the role's history."""
    require_role(acting, MemberRole.MEMBER)
    require_same_workspace(acting, role)
    Role.objects.select_for_update().filter(pk=role.pk).first()
    holding = (
        RoleHolding.objects.filter(role=role, membership=member, ended_at__isnull=True)
        .select_related("membership")
        .first()
    )
    if holding is None:
        raise NotFound("That person does not hold this role.")
    _end_holding(holding, acting, at or timezone.now())
    audit_record(actor=acting, action="role.release", obj=role, data={"member": member.pk})
    holding.refresh_from_db()
    return holding


@transaction.atomic
def role_transfer(
    *, role: Role, giver: Membership, receiver: Membership, actor: Membership
) -> None:
    """A handover acknowledged: the giver's holding ends and the receiver's begins (how=handover)."""
    require_same_workspace(actor, role)
    now = timezone.now()
    Role.objects.select_for_update().filter(pk=role.pk).first()
    holding = (
        RoleHolding.objects.filter(role=role, membership=giver, ended_at__isnull=True)
        .select_related("membership")
        .first()
    )
    if holding is not None:
        _end_holding(holding, actor, now)
    if not RoleHolding.objects.filter(
        role=role, membership=receiver, ended_at__isnull=True
    ).exists():
        _start_holding(role, receiver, HoldingHow.HANDOVER, actor, now, notify=False)
    audit_record(
        actor=actor,
        action="role.handover",
        obj=role,
        data={"giver": giver.pk, "receiver": receiver.pk},
    )


# --- Duties -----------------------------------------------------------------------------------


@transaction.atomic
def duty_tick(
    *, acting: Membership, duty: Duty, done: bool, now: datetime | None = None
) -> DutyCheck | None:
    """Tick (or untick) a duty for its current period, in the ticking holder's zone; holders
    and admins only."""
    require_same_workspace(acting, duty)
    holds = RoleHolding.objects.filter(
        role_id=duty.role_id, membership=acting, ended_at__isnull=True
    ).exists()
    if not holds and not acting.is_admin:
        raise PermissionDenied("Only the role's current holders tick its duties.")
    now = now or timezone.now()
    start = period_start(duty.cadence, local_date(now, acting.profile.time_zone))
    existing = DutyCheck.objects.filter(duty=duty, period_start=start).first()
    if not done:
        if existing is not None:
            existing.delete()
            audit_record(actor=acting, action="role.duty_untick", obj=duty)
        return None
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            check = DutyCheck.objects.create(
                workspace_id=duty.workspace_id,
                duty=duty,
                period_start=start,
                checked_by=acting,
                checked_at=now,
            )
    except IntegrityError:
        # Another holder ticked it in the same moment: it is done either way.
        return DutyCheck.objects.get(duty=duty, period_start=start)
    audit_record(actor=acting, action="role.duty_tick", obj=duty, data={"period_start": str(start)})
    return check


# --- Rotas ------------------------------------------------------------------------------------


@transaction.atomic
def rota_set(
    *,
    acting: Membership,
    role: Role,
    member_ids: list[int],
    period: str,
    at: time,
    zone: str,
    starts_on: date,
    every_days: int = 7,
    weekday: int = 0,
    replay: bool = False,
) -> Rota:
    """Put the role on a rota (or change it): members in turn order, turns changing at a local
    time every N days or weekly on a weekday. Nothing changes hands until the next change."""
    require_role(acting, MemberRole.MEMBER)
    require_same_workspace(acting, role)
    problems = FieldErrors()
    ids: list[int] = []
    for member_id in member_ids:
        if member_id in ids:
            problems.add("member_ids", "Each member appears once on a rota.")
            break
        ids.append(member_id)
    if not ids:
        problems.add("member_ids", "Name at least one member for the rota.")
    elif len(ids) > ROTA_MEMBERS_MAX:
        problems.add("member_ids", f"A rota has at most {ROTA_MEMBERS_MAX} members.")
    else:
        found = set(
            Membership.objects.filter(
                workspace_id=role.workspace_id, pk__in=ids, is_active=True
            ).values_list("pk", flat=True)
        )
        if missing := [i for i in ids if i not in found]:
            problems.add(
                "member_ids",
                f"Not members of this workspace: {', '.join(str(i) for i in missing)}.",
            )
    if period not in RotaPeriod.values:
        problems.add("period", "Choose every few days or weekly.")
    elif period == RotaPeriod.DAYS and not 1 <= every_days <= 90:
        problems.add("every_days", "A turn lasts from 1 to 90 days.")
    if period == RotaPeriod.WEEKLY and not 0 <= weekday <= 6:
        problems.add("weekday", "Choose a weekday.")
    try:
        zone = validate_time_zone(zone)
    except ValidationFailed:
        problems.add("zone", f"Unknown time zone: “{zone}”.")
    today = local_date(timezone.now(), zone if "zone" not in problems.errors else "UTC")
    if abs((starts_on - today).days) > 366:
        problems.add("starts_on", "Start the rota within a year of today.")
    problems.raise_any()
    Role.objects.select_for_update().filter(pk=role.pk).first()
    values = {
        "workspace_id": role.workspace_id,
        "member_ids": ids,
        "period": period,
        "every_days": every_days if period == RotaPeriod.DAYS else 7,
        "weekday": weekday if period == RotaPeriod.WEEKLY else 0,
        "at": at,
        "zone": zone,
        "starts_on": starts_on,
        "note": "",
    }
    rota, _ = Rota.objects.update_or_create(role=role, defaults=values)
    # Turns that had begun before this change are not handed out again; the next change is.
    # (``replay``, for the demo: every turn since the start is still to be applied.)
    rota.last_turn = -1 if replay else rota.schedule().turn_at(timezone.now())
    rota.save(update_fields=["last_turn"])
    Role.objects.filter(pk=role.pk).update(version=F("version") + 1, updated_at=timezone.now())
    audit_record(actor=acting, action="role.rota_set", obj=role, data={"members": ids})
    return rota


@transaction.atomic
def rota_remove(*, acting: Membership, role: Role) -> None:
    """Take the role off its rota; its holders keep it until released."""
    require_role(acting, MemberRole.MEMBER)
    require_same_workspace(acting, role)
    deleted, _ = Rota.objects.filter(role=role).delete()
    if not deleted:
        raise NotFound("The role has no rota.")
    audit_record(actor=acting, action="role.rota_remove", obj=role)


def rota_turn_apply(*, rota_id: int, turn: int) -> RoleHolding | None:
    """A rota's turn begins (the scheduler's effect, inside its claim's transaction): the
    previous rota holder's holding ends and the next member's starts, skipping those on time
    off; if everyone is away the previous holder stays, and the rota says so."""
    rota = (
        Rota.objects.select_for_update()
        .select_related("role__workspace")
        .filter(pk=rota_id, last_turn__lt=turn)
        .first()
    )
    if rota is None or rota.role.is_archived:
        return None
    schedule = rota.schedule()
    at = schedule.boundary(turn)
    first, last = schedule.days(turn)
    members = list(rota.member_ids)
    active = set(
        Membership.objects.filter(
            workspace_id=rota.workspace_id, pk__in=members, is_active=True
        ).values_list("pk", flat=True)
    )
    members = [m for m in members if m in active]
    current = (
        RoleHolding.objects.filter(role=rota.role, how=HoldingHow.ROTA, ended_at__isnull=True)
        .select_related("membership")
        .first()
    )
    previous = current.membership_id if current is not None else None
    time_off = time_off_between(rota.workspace_id, members, first, last)
    away = {m for m in members if is_away(time_off.get(m, ()), first, last)}
    holder = next_holder(members, previous, away, turn)
    rota.last_turn = turn
    rota.note = ""
    started: RoleHolding | None = None
    if holder is None:
        who = current.membership.profile.display_name if current is not None else "Nobody"
        rota.note = (
            f"Everyone on the rota is away for the turn of {first:%-d %b}–{last:%-d %b %Y}; "
            f"{who} keeps the role."
        )
    elif holder != previous:
        if current is not None:
            _end_holding(current, None, at)
        member = Membership.objects.select_related("profile", "workspace").get(pk=holder)
        if not RoleHolding.objects.filter(
            role=rota.role, membership=member, ended_at__isnull=True
        ).exists():
            started = _start_holding(rota.role, member, HoldingHow.ROTA, None, at)
    rota.save(update_fields=["last_turn", "note", "updated_at"])
    audit_record(
        actor=None,
        action="role.rota_turn",
        obj=rota.role,
        workspace=rota.role.workspace,
        data={"turn": turn, "holder": holder, "previous": previous},
    )
    return started


# --- Departures -------------------------------------------------------------------------------


def member_departed(*, member: Membership, now: datetime) -> None:
    """A member left the workspace (inside the removal's transaction): each role they hold ends
    for them, recorded as "left"; they come off every rota, which goes on with the others; and
    where they held the rota's current turn, the next member not away takes it now and is told."""
    holdings = list(
        RoleHolding.objects.select_for_update()
        .filter(workspace_id=member.workspace_id, membership=member, ended_at__isnull=True)
        .select_related("role__workspace")
    )
    for holding in holdings:
        RoleHolding.objects.filter(pk=holding.pk).update(
            ended_at=max(now, holding.started_at), ended_how=HoldingEnd.LEFT
        )
        Role.objects.filter(pk=holding.role_id).update(version=F("version") + 1, updated_at=now)
    # A workspace has a handful of rotas; JSON containment is not portable (SQLite), so filter here.
    rotas = [
        r
        for r in Rota.objects.select_for_update()
        .filter(workspace_id=member.workspace_id)
        .select_related("role__workspace")
        if member.pk in r.member_ids
    ]
    held_turn = {h.role_id for h in holdings if h.how == HoldingHow.ROTA}
    for rota in rotas:
        order = list(rota.member_ids)
        position = order.index(member.pk)
        rota.member_ids = [m for m in order if m != member.pk]
        rota.save(update_fields=["member_ids", "updated_at"])
        if rota.role_id in held_turn and rota.member_ids and not rota.role.is_archived:
            _rota_turn_taken_over(rota, order, position, now)
        audit_record(
            actor=None,
            action="role.rota_left",
            obj=rota.role,
            workspace=rota.role.workspace,
            data={"member": member.pk},
        )


def _rota_turn_taken_over(rota: Rota, order: list[int], position: int, now: datetime) -> None:
    """The member after the departed one in turn order (not away this turn) holds the role now."""
    schedule = rota.schedule()
    first, last = schedule.days(schedule.turn_at(now))
    members = rota.member_ids
    active = set(
        Membership.objects.filter(
            workspace_id=rota.workspace_id, pk__in=members, is_active=True
        ).values_list("pk", flat=True)
    )
    members = [m for m in members if m in active]
    time_off = time_off_between(rota.workspace_id, members, first, last)
    away = {m for m in members if is_away(time_off.get(m, ()), first, last)}
    # Counting from the departed member's place: the one after them comes first.
    after = [m for m in order[position + 1 :] + order[:position] if m in members]
    holder = next((m for m in after if m not in away), None)
    if holder is None:
        rota.note = (
            f"Everyone on the rota is away for the turn of {first:%-d %b}–{last:%-d %b %Y}; "
            "nobody holds the role until the next turn."
        )
        rota.save(update_fields=["note", "updated_at"])
        return
    member = Membership.objects.select_related("profile", "workspace").get(pk=holder)
    if not RoleHolding.objects.filter(
        role=rota.role, membership=member, ended_at__isnull=True
    ).exists():
        _start_holding(rota.role, member, HoldingHow.ROTA, None, now)
