"""Every write to workspaces, members, teams, profiles and invitations."""

import re
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from meridian.accounts.models import User
from meridian.core import registry
from meridian.core.errors import (
    Conflict,
    FieldErrors,
    MeridianError,
    NotFound,
    ValidationFailed,
)
from meridian.core.moments import local_date
from meridian.core.secrets import digest, keyed_secret, new_nonce
from meridian.core.services import audit_record
from meridian.core.workingtime import WorkingHoursError, validate_day
from meridian.workspaces.access import require_role, require_same_workspace
from meridian.workspaces.models import (
    TEAM_DESCRIPTION_MAX,
    TIME_OFF_MAX_DAYS,
    TIME_OFF_NOTE_MAX,
    Invitation,
    Membership,
    Profile,
    Role,
    Team,
    TeamMembership,
    TimeOff,
    Workspace,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
RESERVED_SLUGS = {"new", "api", "admin", "static", "media", "accounts", "invitations"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DEFAULT_HOURS = {str(d): [[540, 1020]] for d in range(5)}


def has_control_characters(text: str) -> bool:
    """Line breaks, tabs and other invisible control characters, which break emails and layouts."""
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def _unique_slug(base: str, taken: Any) -> str:
    slug = slugify(base)[:40].strip("-") or "workspace"
    candidate, n = slug, 2
    while taken(candidate) or candidate in RESERVED_SLUGS:
        candidate = f"{slug}-{n}"
        n += 1
    return candidate


def _profile_for(membership: Membership, display_name: str = "") -> Profile:
    return Profile.objects.create(
        workspace=membership.workspace,
        membership=membership,
        display_name=(display_name or membership.user.name or membership.user.email.split("@")[0])[
            :100
        ],
        working_hours=DEFAULT_HOURS,
    )


@transaction.atomic
def workspace_create(*, user: User, name: str, slug: str = "") -> Workspace:
    """Create a workspace; its creator becomes its first admin."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "A workspace needs a name.")
    if len(name) > 100:
        raise ValidationFailed.field("name", "A workspace name has at most 100 characters.")
    if has_control_characters(name):
        raise ValidationFailed.field("name", "A workspace name is one line of visible characters.")
    slug = slug.strip().lower()
    if slug:
        if not SLUG_RE.match(slug):
            raise ValidationFailed.field(
                "slug", "Use lower-case letters, digits and hyphens (at most 50)."
            )
        if slug in RESERVED_SLUGS or Workspace.objects.filter(slug=slug).exists():
            raise ValidationFailed.field("slug", f"The address “{slug}” is taken.")
    else:
        slug = _unique_slug(name, lambda s: Workspace.objects.filter(slug=s).exists())
    workspace = Workspace.objects.create(name=name, slug=slug)
    membership = Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    _profile_for(membership)
    audit_record(actor=membership, action="workspace.create", obj=workspace)
    return workspace


@transaction.atomic
def membership_add(
    *, workspace: Workspace, user: User, role: Role, display_name: str = ""
) -> Membership:
    """Put a person into a workspace with a profile (used by invitations and the demo)."""
    membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    _profile_for(membership, display_name)
    audit_record(actor=membership, action="member.add", obj=membership, data={"role": role})
    return membership


@transaction.atomic
def member_set_role(*, acting: Membership, member: Membership, role: str) -> Membership:
    """An admin changes a member's role; the last admin cannot step down."""
    require_same_workspace(acting, member)
    require_role(acting, Role.ADMIN)
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Unknown role “{role}”; use admin, member or guest.")
    if member.role == Role.ADMIN and role != Role.ADMIN:
        # Lock the admins' rows so two simultaneous demotions cannot both pass this check.
        admins = len(
            Membership.objects.select_for_update()
            .filter(workspace_id=acting.workspace_id, role=Role.ADMIN, is_active=True)
            .values_list("pk", flat=True)
        )
        if admins <= 1:
            raise Conflict("A workspace needs at least one admin.")
    old = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit_record(actor=acting, action="member.role", obj=member, data={"from": old, "to": role})
    return member


@transaction.atomic
def member_deactivate(*, acting: Membership, member: Membership) -> Membership:
    """An admin removes a member's access; their history stays."""
    require_same_workspace(acting, member)
    require_role(acting, Role.ADMIN)
    if member.role == Role.ADMIN:
        raise Conflict("Change an admin's role before removing them.")
    now = timezone.now()
    member.is_active = False
    member.save(update_fields=["is_active"])
    member.tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    # Their inbox is resolved and nothing more is emailed to them (registry.MEMBER_DEACTIVATED).
    for deactivated in registry.items(registry.MEMBER_DEACTIVATED):
        deactivated(member, now)
    audit_record(actor=acting, action="member.deactivate", obj=member)
    return member


# --- Profiles -----------------------------------------------------------------------------


def iana_zone_names() -> frozenset[str]:
    """Region/City zone names (and UTC): not POSIX-style leftovers such as EST5EDT or Factory."""
    return _IANA_ZONES


_IANA_ZONES = frozenset(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
) | {"UTC"}


def validate_time_zone(name: str) -> str:
    """The IANA zone name as given, or a field error naming it."""
    name = name.strip()
    if not name or name not in iana_zone_names():
        raise ValidationFailed.field("time_zone", f"Unknown time zone: “{name}”.")
    return name


def validate_week(
    field: str, hours: Mapping[str, Sequence[Sequence[int]]]
) -> dict[str, list[list[int]]]:
    """Normalize weekday → intervals, or a field error naming the day and the problem."""
    if not isinstance(hours, Mapping):
        raise ValidationFailed.field(field, "Give working hours per weekday (0 = Monday).")
    normalized: dict[str, list[list[int]]] = {}
    errors: list[str] = []
    for key, intervals in hours.items():
        try:
            weekday = int(key)
            if not 0 <= weekday <= 6:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(f"“{key}” is not a weekday (0 = Monday … 6 = Sunday).")
            continue
        try:
            pairs = [(int(a), int(b)) for a, b in intervals]
            valid = validate_day(weekday, pairs)
        except WorkingHoursError as exc:
            errors.append(str(exc))
            continue
        except (TypeError, ValueError):
            errors.append(f"{WEEKDAYS[weekday]}: give [start, end] minute pairs.")
            continue
        if valid:
            normalized[str(weekday)] = [[a, b] for a, b in valid]
    if errors:
        raise ValidationFailed(errors[0], {field: errors})
    return normalized


@transaction.atomic
def profile_update(
    *,
    acting: Membership,
    member: Membership,
    display_name: str | None = None,
    title: str | None = None,
    time_zone: str | None = None,
    working_hours: Mapping[str, Sequence[Sequence[int]]] | None = None,
    focus_blocks: Mapping[str, Sequence[Sequence[int]]] | None = None,
    digest_time: time | None = None,
    locale: str | None = None,
) -> Profile:
    """A member edits their own profile (an admin may edit anyone's); all fields or none."""
    require_same_workspace(acting, member)
    if acting.pk != member.pk:
        require_role(acting, Role.ADMIN)
    profile = member.profile
    changed: list[str] = []
    errors: dict[str, list[str]] = {}

    def collect(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except MeridianError as exc:
            for k, v in exc.errors.items():
                errors.setdefault(k, []).extend(v)
            return None

    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 100:
            errors["display_name"] = ["A display name has 1 to 100 characters."]
        elif has_control_characters(display_name):
            errors["display_name"] = ["A display name is one line of visible characters."]
        else:
            profile.display_name = display_name
            changed.append("display_name")
    if title is not None:
        profile.title = title.strip()[:100]
        changed.append("title")
    if time_zone is not None:
        zone = collect(validate_time_zone, time_zone)
        if zone:
            profile.time_zone = zone
            changed.append("time_zone")
    if working_hours is not None:
        week = collect(validate_week, "working_hours", working_hours)
        if week is not None:
            profile.working_hours = week
            changed.append("working_hours")
    if focus_blocks is not None:
        blocks = collect(validate_week, "focus_blocks", focus_blocks)
        if blocks is not None:
            profile.focus_blocks = blocks
            changed.append("focus_blocks")
    if digest_time is not None and digest_time.tzinfo is not None:
        # The digest goes out at this time of day in the member's own zone, so an offset
        # (such as "09:00Z") would contradict it; the databases cannot store one either.
        errors["digest_time"] = [
            "Give the digest time without a UTC offset, like 09:00: it is read in your time zone."
        ]
    elif digest_time is not None:
        profile.digest_time = digest_time
        changed.append("digest_time")
    if locale is not None:
        if locale not in dict(settings.LANGUAGES):
            errors["locale"] = [f"Unsupported locale “{locale}”."]
        else:
            profile.locale = locale
            changed.append("locale")
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=acting, action="profile.update", obj=profile, data={"fields": changed})
    if {"time_zone", "working_hours", "focus_blocks"} & set(changed):
        member.profile = profile
        now = timezone.now()
        for hours_changed in registry.items(registry.MEMBER_HOURS_CHANGED):
            hours_changed(member, now)
    return profile


# --- Teams --------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, acting: Membership, name: str, description: str = "") -> Team:
    """Create a team in the acting member's workspace."""
    require_role(acting, Role.MEMBER)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", "A team name has 1 to 100 characters.")
    if has_control_characters(name):
        raise ValidationFailed.field("name", "A team name is one line of visible characters.")
    if Team.objects.filter(workspace_id=acting.workspace_id, name__iexact=name).exists():
        raise ValidationFailed.field("name", f"There is already a team called “{name}”.")
    slug = _unique_slug(
        name, lambda s: Team.objects.filter(workspace_id=acting.workspace_id, slug=s).exists()
    )
    description = _team_description(description)
    team = Team.objects.create(
        workspace_id=acting.workspace_id, name=name, slug=slug, description=description
    )
    audit_record(actor=acting, action="team.create", obj=team)
    return team


def _team_description(description: str) -> str:
    description = description.strip()
    if len(description) > TEAM_DESCRIPTION_MAX:
        raise ValidationFailed.field(
            "description",
            f"A team description has at most {TEAM_DESCRIPTION_MAX} characters "
            f"(this one has {len(description)}).",
        )
    return description


@transaction.atomic
def team_update(*, acting: Membership, team: Team, name: str, description: str) -> Team:
    """Rename a team or change its description."""
    require_same_workspace(acting, team)
    require_role(acting, Role.MEMBER)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.field("name", "A team name has 1 to 100 characters.")
    if has_control_characters(name):
        raise ValidationFailed.field("name", "A team name is one line of visible characters.")
    clash = Team.objects.filter(workspace_id=acting.workspace_id, name__iexact=name).exclude(
        pk=team.pk
    )
    if clash.exists():
        raise ValidationFailed.field("name", f"There is already a team called “{name}”.")
    team.name, team.description = name, _team_description(description)
    team.save(update_fields=["name", "description"])
    audit_record(actor=acting, action="team.update", obj=team)
    return team


@transaction.atomic
def team_add_member(*, acting: Membership, team: Team, member: Membership) -> TeamMembership:
    """Add a member of the same workspace to a team."""
    require_role(acting, Role.MEMBER)
    if member.workspace_id != team.workspace_id or team.workspace_id != acting.workspace_id:
        raise NotFound("No such member in this workspace.")
    if not member.is_active:
        raise ValidationFailed.field("member", "That person is no longer a member.")
    try:
        with transaction.atomic():
            link = TeamMembership.objects.create(
                workspace_id=team.workspace_id, team=team, membership=member
            )
    except IntegrityError:
        raise Conflict(f"{member.profile.display_name} is already in {team.name}.") from None
    audit_record(actor=acting, action="team.add_member", obj=team, data={"member": member.pk})
    return link


@transaction.atomic
def team_remove_member(*, acting: Membership, team: Team, member: Membership) -> None:
    """Take a member out of a team."""
    require_same_workspace(acting, team, member)
    require_role(acting, Role.MEMBER)
    deleted, _ = TeamMembership.objects.filter(team=team, membership=member).delete()
    if not deleted:
        raise NotFound("That member is not in this team.")
    audit_record(actor=acting, action="team.remove_member", obj=team, data={"member": member.pk})


# --- Invitations --------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, acting: Membership, email: str, role: str = Role.MEMBER
) -> tuple[Invitation, str]:
    """An admin invites a person by email; returns the invitation and its one-time link token."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    require_role(acting, Role.ADMIN)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed.field("email", f"“{email}” is not an email address.") from None
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Unknown role “{role}”; use admin, member or guest.")
    if Membership.objects.filter(
        workspace_id=acting.workspace_id, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationFailed.field("email", f"{email} is already a member.")
    nonce = new_nonce()
    raw = keyed_secret("inv", nonce)
    invitation = Invitation.objects.create(
        workspace_id=acting.workspace_id,
        email=email,
        role=role,
        nonce=nonce,
        digest=digest(raw),
        invited_by=acting,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    audit_record(actor=acting, action="invitation.create", obj=invitation, data={"role": role})
    from meridian.workspaces.tasks import invitation_email_send

    transaction.on_commit(lambda: invitation_email_send.enqueue(invitation_id=invitation.pk))
    return invitation, raw


def invitation_link(invitation: Invitation) -> str:
    """The absolute accept link of an invitation, re-derived from its nonce."""
    from django.urls import reverse

    token = keyed_secret("inv", invitation.nonce)
    return settings.BASE_URL + reverse("invitation_accept", kwargs={"token": token})


def invitation_lookup(token: str) -> Invitation:
    """The invitation behind a link, if it can still be accepted; otherwise say why."""
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by__profile")
        .filter(digest=digest(token))
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise Conflict("This invitation has expired; ask for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User, display_name: str = "") -> Membership:
    """The invited person joins the workspace; the link is then spent."""
    invitation = invitation_lookup(token)
    # Lock the row so two simultaneous accepts cannot both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    if user.email.lower() != invitation.email.lower():
        raise PermissionDeniedForInvitation(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    existing = Membership.objects.filter(workspace=invitation.workspace, user=user).first()
    if existing is not None and existing.is_active:
        raise Conflict("You are already a member of this workspace.")
    if existing is not None:
        existing.is_active, existing.role = True, invitation.role
        existing.save(update_fields=["is_active", "role"])
        membership = existing
    else:
        membership = membership_add(
            workspace=invitation.workspace,
            user=user,
            role=Role(invitation.role),
            display_name=display_name,
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = membership
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=membership, action="invitation.accept", obj=invitation)
    return membership


class PermissionDeniedForInvitation(Conflict):
    """The invitation belongs to another email address."""

    status_code = 403


@transaction.atomic
def invitation_revoke(*, acting: Membership, invitation: Invitation) -> Invitation:
    """An admin withdraws an unused invitation."""
    require_same_workspace(acting, invitation)
    require_role(acting, Role.ADMIN)
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was already withdrawn.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=acting, action="invitation.revoke", obj=invitation)
    return invitation


# --- Time off ---------------------------------------------------------------------------------

TIME_OFF_HORIZON_YEARS = 5


def _years_from(day: date, years: int) -> date:
    """The same date ``years`` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _time_off_problems(member: Membership, first_day: date, last_day: date, note: str) -> None:
    """Refuse time off that ends before it starts, lasts over a year, lies beyond five years of
    the member's today, or overlaps time off they already have, naming the field."""
    problems = FieldErrors()
    today = local_date(timezone.now(), member.profile.time_zone)
    earliest, latest = (
        _years_from(today, -TIME_OFF_HORIZON_YEARS),
        _years_from(today, TIME_OFF_HORIZON_YEARS),
    )
    if last_day < first_day:
        problems.add("last_day", "The last day comes before the first day.")
    elif (last_day - first_day).days + 1 > TIME_OFF_MAX_DAYS:
        problems.add("last_day", "Time off can last at most a year; add another entry after it.")
    if not earliest <= first_day <= latest:
        problems.add("first_day", "Time off must lie within five years of today.")
    elif not earliest <= last_day <= latest:
        problems.add("last_day", "Time off must lie within five years of today.")
    if len(note) > TIME_OFF_NOTE_MAX:
        problems.add("note", f"Keep the note under {TIME_OFF_NOTE_MAX} characters.")
    elif has_control_characters(note):
        problems.add("note", "The note must be one line of text.")
    problems.raise_any()
    overlap = TimeOff.objects.filter(
        membership=member, first_day__lte=last_day, last_day__gte=first_day
    ).first()
    if overlap is not None:
        raise ValidationFailed.field(
            "first_day",
            f"This overlaps time off already entered ({overlap.first_day:%-d %b %Y} to "
            f"{overlap.last_day:%-d %b %Y}).",
        )


@transaction.atomic
def time_off_add(
    *, acting: Membership, member: Membership, first_day: date, last_day: date, note: str = ""
) -> TimeOff:
    """Record days a member is away; members enter their own, admins may enter anyone's."""
    require_same_workspace(acting, member)
    if member.pk != acting.pk:
        require_role(acting, Role.ADMIN)
    if not member.is_active:
        raise ValidationFailed.field("member_id", "That person is no longer a member.")
    # One member's entries are checked and written one at a time, so two overlapping entries
    # sent at once cannot both pass the overlap check.
    Membership.objects.select_for_update().filter(pk=member.pk).first()
    note = note.strip()
    _time_off_problems(member, first_day, last_day, note)
    entry = TimeOff.objects.create(
        workspace_id=member.workspace_id,
        membership=member,
        first_day=first_day,
        last_day=last_day,
        note=note,
        created_by=acting,
    )
    # Deadlines already set for them that fall on these days move past them (registry.MEMBER_AWAY).
    now = timezone.now()
    for away in registry.items(registry.MEMBER_AWAY):
        away(member, now)
    audit_record(
        actor=acting,
        action="time_off.add",
        obj=entry,
        data={"member": member.pk, "first_day": str(first_day), "last_day": str(last_day)},
    )
    return entry


@transaction.atomic
def time_off_remove(*, acting: Membership, entry: TimeOff) -> None:
    """Take back time off (plans changed); the member's own, or anyone's for an admin."""
    require_same_workspace(acting, entry)
    if entry.membership_id != acting.pk:
        require_role(acting, Role.ADMIN)
    audit_record(
        actor=acting,
        action="time_off.remove",
        obj=entry,
        data={
            "member": entry.membership_id,
            "first_day": str(entry.first_day),
            "last_day": str(entry.last_day),
        },
    )
    entry.delete()
