"""What the brief services share: limits, addresses, names, and the checks on who may act."""

from django.urls import reverse
from django.utils import timezone

from meridian.briefs.models import Brief, BriefParticipant, BriefStatus
from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from meridian.core.facts import facts_stale
from meridian.core.moments import moment_text
from meridian.workspaces.models import Membership, Role

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_COMMENT = 20_000
MAX_SUMMARY = 20_000
MAX_QUESTIONS = 20
MAX_QUESTION = 500
MAX_NOTE = 500
MAX_MEETING_PEOPLE = 1000
MAX_MEETING_MINUTES = 24 * 60
MAX_PIN_SECONDS = 24 * 60 * 60
MAX_MENTIONS = 50


def brief_url(brief: Brief) -> str:
    """The site-relative address of a brief's page."""
    return reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})


def brief_changed(brief: Brief) -> None:
    """After commit, whoever derives figures from briefs (the metrics) redoes this one's."""
    facts_stale(workspace_id=brief.workspace_id, source_kind="brief", ids=[brief.pk])


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def _zone(member: Membership) -> str:
    """The member's zone, in which every time a service tells them is written."""
    return str(member.profile.time_zone)


def _require_author(acting: Membership, brief: Brief, doing: str) -> None:
    if acting.pk != brief.author_id:
        raise PermissionDenied(f"Only the brief's author can {doing}.")


def _require_open(brief: Brief, acting: Membership) -> None:
    if brief.status == BriefStatus.CLOSED:
        when = moment_text(brief.closed_at or timezone.now(), _zone(acting), "stamp")
        raise Conflict(f"This brief was closed on {when}; it is read-only now.")


def _locked(brief: Brief) -> Brief:
    """The brief as the database has it now, locked until the transaction ends."""
    return (
        Brief.all_objects.select_for_update(of=("self",))
        .select_related("workspace", "author__profile")
        .get(pk=brief.pk)
    )


def _participant(brief: Brief, member: Membership) -> BriefParticipant | None:
    return BriefParticipant.objects.filter(brief=brief, membership=member).first()


def _require_can_take_part(acting: Membership, brief: Brief) -> None:
    """Members take part in any brief of their workspace; guests only in those they are asked in."""
    if acting.workspace_id != brief.workspace_id:
        raise NotFound("No such brief in this workspace.")
    if brief.status == BriefStatus.DRAFT and acting.pk != brief.author_id:
        raise NotFound("No such brief in this workspace.")
    if not acting.has_role(Role.MEMBER) and _participant(brief, acting) is None:
        raise PermissionDenied("Guests can take part only in briefs they are asked in.")


def _require_sent(brief: Brief) -> None:
    """A draft has no discussion yet: nobody else can see it."""
    if brief.status == BriefStatus.DRAFT:
        raise Conflict("This brief is a draft: send it before starting its discussion.")


def _clean_text(field: str, text: str, limit: int, problems: FieldErrors, what: str) -> str:
    if len(text) > limit:
        problems.add(field, f"{what} has at most {limit:,} characters, not {len(text):,}.")
    return text


def asked_cause(brief: Brief) -> str:
    """The inbox cause of being asked in a brief (one item per participant)."""
    return f"briefs.asked:{brief.pk}"
