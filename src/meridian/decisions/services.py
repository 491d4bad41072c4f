"""Every write to decisions: proposals, stances, the discussion, closing, outcomes and pins.

Each service checks who acts, runs in one transaction, writes the audit log and tells people
through meridian.notifications (notification_send), which also keeps each member's inbox. Input problems are collected and raised together
as one ValidationFailed naming each field, before anything is written. Writes that depend on a
proposal's state lock its row first, so a stance, an edit of the rule and the close at the
deadline happen one after another, never across each other.

Anonymity: an anonymous stance marks the participant as having responded and rewrites the
proposal's anonymous ballots, the new one among them, in a random order with fresh random
ids; after the commit, meridian.decisions.erasure removes the replaced ballots from the raw
database files. Nothing else is written about it: the audit entry says that a stance was
recorded and nothing of what, and no notification or log line mentions it.
"""

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from meridian.asks.deadlines import Deadline as AskDeadline
from meridian.asks.deadlines import deadline_problem, participant_deadline, week_of
from meridian.asks.people import (
    Asked,
    DayOffShift,
    Invitee,
    deadline_day_off_shifts,
    people_resolve,
)
from meridian.asks.reminders import reminder_take
from meridian.briefs.models import Brief, BriefLink, Comment
from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.decisions import ballots, events
from meridian.decisions import tally as t
from meridian.decisions.ballots import Ballot
from meridian.decisions.erasure import superseded_ballots_erase
from meridian.decisions.models import (
    AnonymousBallot,
    DeadlineKind,
    DecisionRecord,
    Kind,
    Option,
    Outcome,
    Pin,
    PinKind,
    Proposal,
    ProposalComment,
    ProposalParticipant,
    ProposalStatus,
    ProposalTag,
    ProposalTeam,
    Rule,
    Stance,
    StanceRevision,
    Visibility,
)
from meridian.decisions.search import (
    proposal_comment_search_index,
    proposal_search_index,
    record_search_index,
)
from meridian.decisions.visibility import sight_for
from meridian.notifications.services import inbox_due_change, inbox_resolve, notification_send
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Team, Workspace

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_OPTIONS = 20
MAX_OPTION_LABEL = 200
MAX_OPTION_DESCRIPTION = 2_000
MAX_REASON = 5_000
MAX_COMMENT = 20_000
MAX_TEXT = 20_000
MAX_TAGS = 10
MAX_TAG = 40
MAX_SCORE = 100
MAX_DOTS = 1_000
MAX_CLOSE_REASON = 500
MAX_EFFECT = 500
MAX_NOTE = 300
DEFAULT_SCORE_MAX = 5
DEFAULT_DOT_BUDGET = 10
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RULE_FIXED = "The decision rule cannot change once the first stance is in ({when})."
PROPOSAL_FIXED = (
    "A proposal cannot change once the first stance is in ({when}); close it and open a new one."
)
ANONYMOUS_FINAL = (
    "In anonymous mode your stance is final once cast: nothing links it to you, so it cannot "
    "be found again to change it."
)


@dataclass(frozen=True)
class Deadline:
    """When a proposal closes: an instant, the end of a day in each zone, or a full working day."""

    kind: str = DeadlineKind.LOCAL_DAY
    at: datetime | None = None
    day: date | None = None


@dataclass(frozen=True)
class OptionSpec:
    """One option as written by the owner, or taken from a brief's comment."""

    label: str
    description: str = ""
    source_comment_id: int | None = None


@dataclass
class _Config:
    """Everything about a proposal that its owner sets, checked as one."""

    title: str
    body: str
    kind: str
    options: list[OptionSpec]
    max_choices: int | None
    score_max: int | None
    dot_budget: int | None
    rule: str
    quorum_pct: int | None
    visibility: str
    anonymous: bool
    deadline: Deadline
    participants: list[Invitee]
    teams: list[str]
    tags: list[str]


@dataclass(frozen=True)
class StanceReceipt:
    """What giving a stance did: the named stance, or only the fact of an anonymous one."""

    proposal: Proposal
    anonymous: bool
    responded_at: datetime
    stance: Stance | None = None
    changed: bool = False


def proposal_url(proposal: Proposal) -> str:
    """The site-relative address of a proposal's page."""
    return proposal.get_absolute_url()


def record_url(record: DecisionRecord) -> str:
    """The permalink of a decision record."""
    return record.get_absolute_url()


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def _when(moment: datetime, reader: Membership) -> str:
    """A moment as the member it is said to reads it: in their own zone, zone named."""
    return moment_text(moment, reader.profile.time_zone, "stamp")


def _locked(proposal: Proposal) -> Proposal:
    """The proposal as the database has it now, locked until the transaction ends."""
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("workspace", "owner__profile", "brief")
        .get(pk=proposal.pk)
    )


def _require_owner(acting: Membership, proposal: Proposal, doing: str) -> None:
    if acting.pk != proposal.owner_id:
        raise PermissionDenied(f"Only the proposal's owner can {doing}.")


def _first_stance_at(proposal: Proposal) -> datetime | None:
    return (
        ProposalParticipant.objects.filter(proposal=proposal, responded_at__isnull=False)
        .order_by("responded_at")
        .values_list("responded_at", flat=True)
        .first()
    )


def _require_accepting(proposal: Proposal, now: datetime, acting: Membership) -> None:
    """Refuse a stance on a proposal that is not open, or whose deadline has passed."""
    if proposal.status == ProposalStatus.DRAFT:
        raise Conflict("This proposal is not open yet; its owner is still drafting it.")
    if proposal.status == ProposalStatus.CLOSED:
        assert proposal.closed_at is not None
        raise Conflict(
            f"This proposal closed on {_when(proposal.closed_at, acting)}; stances are no longer accepted."
        )
    if proposal.close_at is not None and proposal.close_at <= now:
        raise Conflict(
            f"This proposal closed at its deadline, {_when(proposal.close_at, acting)}; "
            "stances are no longer accepted."
        )


# --- Checking a proposal's settings ---------------------------------------------------------


def _clean_tags(tags: Iterable[str], problems: FieldErrors) -> list[str]:
    cleaned: list[str] = []
    for raw in tags:
        tag = re.sub(r"\s+", "-", raw.strip().lower().lstrip("#"))
        if not tag:
            continue
        if len(tag) > MAX_TAG or not TAG_RE.match(tag):
            problems.add(
                "tags",
                f"“{raw.strip()[:60]}” is not a tag: use letters, digits and hyphens "
                f"(at most {MAX_TAG}).",
            )
        elif tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        problems.add("tags", f"Give at most {MAX_TAGS} tags, not {len(cleaned)}.")
    return cleaned


def _clean_options(config: _Config, problems: FieldErrors) -> None:
    if config.kind == Kind.CONSENT:
        if config.options:
            problems.add(
                "options",
                "A consent proposal has no options: people agree, abstain, object or block.",
            )
        return
    labels = [o.label.strip() for o in config.options]
    config.options = [
        OptionSpec(o.label.strip(), o.description.strip(), o.source_comment_id)
        for o in config.options
    ]
    if len(labels) > MAX_OPTIONS:
        problems.add("options", f"Give at most {MAX_OPTIONS} options, not {len(labels)}.")
    for number, option in enumerate(config.options, start=1):
        if len(option.label) > MAX_OPTION_LABEL:
            problems.add(
                "options", f"Option {number} is longer than {MAX_OPTION_LABEL} characters."
            )
        if len(option.description) > MAX_OPTION_DESCRIPTION:
            problems.add(
                "options",
                f"Option {number}'s description is longer than {MAX_OPTION_DESCRIPTION} characters.",
            )
    try:
        t.validate_options(labels)
    except t.BallotError as exc:
        problems.add("options", exc.message)


def _clean_kind_settings(config: _Config, problems: FieldErrors) -> None:
    n = len(config.options)
    if config.kind == Kind.MULTIPLE:
        config.max_choices = config.max_choices or n
        if not 1 <= config.max_choices <= max(n, 1):
            problems.add("max_choices", f"Allow from 1 to {n} choices (the number of options).")
    else:
        config.max_choices = None
    if config.kind == Kind.SCORE:
        config.score_max = config.score_max or DEFAULT_SCORE_MAX
        if not 1 <= config.score_max <= MAX_SCORE:
            problems.add("score_max", f"The highest score is from 1 to {MAX_SCORE}.")
    else:
        config.score_max = None
    if config.kind == Kind.DOT:
        config.dot_budget = config.dot_budget or DEFAULT_DOT_BUDGET
        if not 1 <= config.dot_budget <= MAX_DOTS:
            problems.add("dot_budget", f"The budget is from 1 to {MAX_DOTS} points.")
    else:
        config.dot_budget = None


def _clean_rule(config: _Config, problems: FieldErrors) -> None:
    if config.rule not in Rule.values:
        problems.add(
            "rule", f"Unknown decision rule “{config.rule}”; use {', '.join(Rule.values)}."
        )
        return
    if config.kind in Kind.values:
        allowed = t.RULES_FOR_KIND[t.Kind(config.kind)]
        if t.Rule(config.rule) not in allowed:
            names = " or ".join(f"“{Rule(r.value).label}”" for r in allowed)
            problems.add(
                "rule",
                f"“{Rule(config.rule).label}” does not apply to a "
                f"{Kind(config.kind).label.lower()} proposal; choose {names}.",
            )
    if config.quorum_pct is not None and not 1 <= config.quorum_pct <= 100:
        problems.add("quorum_pct", "A quorum is from 1 to 100 % of participants.")


def _clean_config(
    config: _Config, now: datetime, problems: FieldErrors, *, zone: str | None
) -> None:
    """``zone`` is the writer's: an error about a moment names it in their own time."""
    config.title = config.title.strip()
    if not config.title:
        problems.add("title", "A proposal needs a title: the question to decide.")
    elif len(config.title) > MAX_TITLE:
        problems.add("title", f"A title has at most {MAX_TITLE} characters.")
    if len(config.body) > MAX_BODY:
        problems.add("body", f"The proposal text has at most {MAX_BODY:,} characters.")
    if config.kind not in Kind.values:
        problems.add("kind", f"Unknown kind “{config.kind}”; use {', '.join(Kind.values)}.")
    else:
        _clean_options(config, problems)
        _clean_kind_settings(config, problems)
    _clean_rule(config, problems)
    if config.visibility not in Visibility.values:
        problems.add(
            "visibility",
            f"Unknown visibility “{config.visibility}”; use {', '.join(Visibility.values)}.",
        )
    deadline = config.deadline
    out_of_bounds = deadline_problem(
        at=deadline.at if deadline.kind == DeadlineKind.INSTANT else None,
        day=deadline.day if deadline.kind == DeadlineKind.LOCAL_DAY else None,
        now=now,
    )
    if deadline.kind not in DeadlineKind.values:
        problems.add("deadline_kind", f"Unknown kind of deadline “{deadline.kind}”.")
    elif out_of_bounds is not None:
        problems.add(*out_of_bounds)
    elif deadline.kind == DeadlineKind.INSTANT:
        if deadline.at is None:
            problems.add("deadline_at", "Give the moment the proposal closes.")
        elif timezone.is_naive(deadline.at):
            problems.add(
                "deadline_at", "The deadline needs a time zone offset, e.g. 2026-03-12T17:00+01:00."
            )
        elif deadline.at <= now:
            problems.add(
                "deadline_at",
                f"The deadline {moment_text(deadline.at, zone, 'stamp')} has already passed.",
            )
    elif deadline.kind == DeadlineKind.LOCAL_DAY and deadline.day is None:
        problems.add("deadline_date", "Give the day the proposal closes.")
    config.tags = _clean_tags(config.tags, problems)


def _resolve_people(
    owner: Membership, invitees: Sequence[Invitee], teams: Sequence[str], problems: FieldErrors
) -> tuple[dict[int, Asked], list[Team]]:
    """The members asked (the owner always among them) and the teams the proposal concerns."""
    found = {
        team.slug: team
        for team in Team.objects.filter(workspace_id=owner.workspace_id, slug__in=set(teams))
    }
    missing = set(teams) - set(found)
    for slug in sorted(missing):
        problems.add("teams", f"There is no team “{slug}” in this workspace.")
    asked = people_resolve(
        acting=owner,
        invitees=[i for i in invitees if i.team not in missing],  # named once, under "teams"
        problems=problems,
        include_acting=True,
        empty_teams=True,
    )
    if len(asked.people) < 2 and "participants" not in problems.errors:
        problems.add("participants", "Ask at least one member or team besides yourself.")
    found.update((team.slug, team) for team in asked.teams)
    return asked.people, [found[slug] for slug in sorted(found)]


def _option_rows(
    proposal: Proposal, specs: Sequence[OptionSpec], brief: Brief | None, problems: FieldErrors
) -> list[Option]:
    comment_ids = {s.source_comment_id for s in specs if s.source_comment_id is not None}
    known: set[int] = set()
    if comment_ids:
        if brief is None:
            problems.add(
                "options", "Options can come from the comments of the proposal's brief only."
            )
        else:
            known = set(
                Comment.objects.filter(brief=brief, pk__in=comment_ids).values_list("pk", flat=True)
            )
            for missing in sorted(comment_ids - known):
                problems.add("options", f"Comment #{missing} is not on the brief “{brief.title}”.")
    return [
        Option(
            workspace_id=proposal.workspace_id,
            proposal=proposal,
            label=spec.label,
            description=spec.description,
            position=position,
            source_comment_id=spec.source_comment_id if spec.source_comment_id in known else None,
        )
        for position, spec in enumerate(specs)
    ]


def options_from_comments(comments: Iterable[Comment]) -> list[OptionSpec]:
    """Options made from a brief's comments: the first line as the label, the rest described."""
    specs: list[OptionSpec] = []
    for comment in comments:
        text = comment.body.strip()
        first, _, rest = text.partition("\n")
        label = first.strip().lstrip("#>*- ").strip() or text[:MAX_OPTION_LABEL]
        if len(label) > MAX_OPTION_LABEL:
            label = label[: MAX_OPTION_LABEL - 1].rstrip() + "…"
            rest = text
        specs.append(
            OptionSpec(
                label=label,
                description=rest.strip()[:MAX_OPTION_DESCRIPTION],
                source_comment_id=comment.pk,
            )
        )
    return specs


def _write_people(proposal: Proposal, resolved: dict[int, Asked], teams: Sequence[Team]) -> None:
    ProposalParticipant.objects.bulk_create(
        ProposalParticipant(
            workspace_id=proposal.workspace_id,
            proposal=proposal,
            membership=r.member,
            via_team=r.via_team,
        )
        for r in resolved.values()
    )
    ProposalTeam.objects.bulk_create(
        ProposalTeam(workspace_id=proposal.workspace_id, proposal=proposal, team=team)
        for team in teams
    )


def _write_tags(proposal: Proposal, tags: Sequence[str]) -> None:
    ProposalTag.objects.bulk_create(
        ProposalTag(workspace_id=proposal.workspace_id, proposal=proposal, name=tag) for tag in tags
    )


def _apply(proposal: Proposal, config: _Config) -> None:
    proposal.title = config.title
    proposal.body = config.body
    proposal.body_html = render_markdown(config.body)
    proposal.kind = config.kind
    proposal.max_choices = config.max_choices
    proposal.score_max = config.score_max
    proposal.dot_budget = config.dot_budget
    proposal.rule = config.rule
    proposal.quorum_pct = config.quorum_pct
    proposal.visibility = config.visibility
    proposal.anonymous = config.anonymous
    proposal.deadline_kind = config.deadline.kind
    proposal.deadline_at = config.deadline.at if config.deadline.kind == "instant" else None
    proposal.deadline_date = config.deadline.day if config.deadline.kind == "local_day" else None


# --- Proposals ----------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    owner: Membership,
    title: str,
    participants: Sequence[Invitee],
    body: str = "",
    kind: str = Kind.CONSENT,
    options: Sequence[OptionSpec] = (),
    max_choices: int | None = None,
    score_max: int | None = None,
    dot_budget: int | None = None,
    rule: str = Rule.OWNER_DECIDES,
    quorum_pct: int | None = None,
    visibility: str = Visibility.BLIND,
    anonymous: bool = False,
    deadline: Deadline = Deadline(),
    teams: Sequence[str] = (),
    tags: Sequence[str] = (),
    brief: Brief | None = None,
    open_now: bool = False,
) -> Proposal:
    """Draft a proposal (and open it at once if asked): the question, the rule, who is asked.

    The owner is always a participant. Turned from a brief, its options may come from the
    brief's comments (``OptionSpec.source_comment_id``).
    """
    require_role(owner, Role.MEMBER)
    now = timezone.now()
    problems = FieldErrors()
    if brief is not None and brief.workspace_id != owner.workspace_id:
        raise NotFound("No such brief in this workspace.")
    config = _Config(
        title=title,
        body=body,
        kind=kind,
        options=list(options),
        max_choices=max_choices,
        score_max=score_max,
        dot_budget=dot_budget,
        rule=rule,
        quorum_pct=quorum_pct,
        visibility=visibility,
        anonymous=anonymous,
        deadline=deadline,
        participants=list(participants),
        teams=list(teams),
        tags=list(tags),
    )
    _clean_config(config, now, problems, zone=owner.profile.time_zone)
    resolved, team_rows = _resolve_people(owner, config.participants, config.teams, problems)
    problems.raise_any()
    proposal = Proposal(workspace_id=owner.workspace_id, owner=owner, brief=brief)
    _apply(proposal, config)
    proposal.save()
    option_rows = _option_rows(proposal, config.options, brief, problems)
    problems.raise_any()
    Option.objects.bulk_create(option_rows)
    _write_people(proposal, resolved, team_rows)
    _write_tags(proposal, config.tags)
    audit_record(
        actor=owner,
        action="decision.proposal_create",
        obj=proposal,
        data={"kind": proposal.kind, "rule": proposal.rule, "brief": brief.pk if brief else None},
    )
    if open_now:
        return proposal_open(acting=owner, proposal=proposal)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    acting: Membership,
    proposal: Proposal,
    title: str | None = None,
    body: str | None = None,
    kind: str | None = None,
    options: Sequence[OptionSpec] | None = None,
    max_choices: int | None = None,
    score_max: int | None = None,
    dot_budget: int | None = None,
    rule: str | None = None,
    quorum_pct: int | None = None,
    clear_quorum: bool = False,
    visibility: str | None = None,
    anonymous: bool | None = None,
    deadline: Deadline | None = None,
    participants: Sequence[Invitee] | None = None,
    teams: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
) -> Proposal:
    """The owner changes a proposal (None leaves a field as it is) until the first stance is in.

    After that the rule, the question and everything else about it are fixed (409): those who
    already took part took part in *this* proposal.
    """
    proposal = _locked(proposal)
    _require_owner(acting, proposal, "change it")
    if proposal.status == ProposalStatus.CLOSED:
        raise Conflict("This proposal is closed; it can no longer change.")
    first = _first_stance_at(proposal)
    if first is not None:
        template = RULE_FIXED if rule is not None or quorum_pct is not None else PROPOSAL_FIXED
        raise Conflict(template.format(when=_when(first, acting)))
    now = timezone.now()
    current_options = [
        OptionSpec(o.label, o.description, o.source_comment_id) for o in proposal.options.all()
    ]
    current_people = [
        Invitee(member_id=p.membership_id)
        for p in ProposalParticipant.objects.filter(proposal=proposal, via_team__isnull=True)
    ]
    current_teams = list(
        ProposalTeam.objects.filter(proposal=proposal).values_list("team__slug", flat=True)
    )
    team_people = [Invitee(team=slug) for slug in current_teams]
    config = _Config(
        title=proposal.title if title is None else title,
        body=proposal.body if body is None else body,
        kind=proposal.kind if kind is None else kind,
        options=current_options if options is None else list(options),
        max_choices=max_choices if max_choices is not None else proposal.max_choices,
        score_max=score_max if score_max is not None else proposal.score_max,
        dot_budget=dot_budget if dot_budget is not None else proposal.dot_budget,
        rule=proposal.rule if rule is None else rule,
        quorum_pct=None if clear_quorum else (quorum_pct or proposal.quorum_pct),
        visibility=proposal.visibility if visibility is None else visibility,
        anonymous=proposal.anonymous if anonymous is None else anonymous,
        deadline=deadline
        or Deadline(proposal.deadline_kind, proposal.deadline_at, proposal.deadline_date),
        participants=current_people + team_people if participants is None else list(participants),
        teams=current_teams if teams is None else list(teams),
        tags=(
            list(proposal.tag_rows.values_list("name", flat=True)) if tags is None else list(tags)
        ),
    )
    if kind is not None and kind != proposal.kind and options is None:
        config.options = [] if kind == Kind.CONSENT else current_options
    problems = FieldErrors()
    _clean_config(config, now, problems, zone=acting.profile.time_zone)
    resolved, team_rows = _resolve_people(
        proposal.owner, config.participants, config.teams, problems
    )
    option_rows = (
        _option_rows(proposal, config.options, proposal.brief, problems)
        if options is not None or kind is not None
        else None
    )
    problems.raise_any()
    _apply(proposal, config)
    proposal.save()
    if option_rows is not None:
        Option.objects.filter(proposal=proposal).delete()
        Option.objects.bulk_create(option_rows)
    before = set(
        ProposalParticipant.objects.filter(proposal=proposal).values_list(
            "membership_id", flat=True
        )
    )
    ProposalParticipant.objects.filter(proposal=proposal).delete()
    ProposalTeam.objects.filter(proposal=proposal).delete()
    _write_people(proposal, resolved, team_rows)
    for member_id in before - set(resolved):
        inbox_resolve(cause=asked_cause(proposal), recipient=Membership(pk=member_id))
    ProposalTag.objects.filter(proposal=proposal).delete()
    _write_tags(proposal, config.tags)
    if proposal.status == ProposalStatus.OPEN:
        _fix_deadlines(proposal, now, problems)
        problems.raise_any()
        proposal.save(update_fields=["close_at"])
        for row in ProposalParticipant.objects.filter(proposal=proposal):
            inbox_due_change(
                cause=asked_cause(proposal),
                recipient=Membership(pk=row.membership_id),
                due_at=row.local_deadline,
            )
    audit_record(actor=acting, action="decision.proposal_update", obj=proposal)
    proposal_search_index(proposal)
    return proposal


def proposal_day_off_shifts(
    *,
    owner: Membership,
    participants: Sequence[Invitee],
    deadline: Deadline,
    proposal: Proposal | None = None,
) -> list[DayOffShift]:
    """Who is asked (the owner too) but does not work on the closing day (writes nothing).

    The form shows them before the proposal is saved; editing one that keeps its day names only
    people newly asked.
    """
    if deadline.kind != DeadlineKind.LOCAL_DAY or deadline.day is None:
        return []
    already: set[int] = set()
    if proposal is not None and proposal.deadline_date == deadline.day:
        already = set(
            ProposalParticipant.objects.filter(proposal=proposal).values_list(
                "membership_id", flat=True
            )
        )
    return deadline_day_off_shifts(
        acting=owner,
        participants=participants,
        deadline=AskDeadline(day=deadline.day),
        include_acting=True,
        already_asked=already,
    )


def _fix_deadlines(proposal: Proposal, now: datetime, problems: FieldErrors) -> None:
    """Each participant's deadline and the proposal's close, from its deadline kind."""
    opened_at = proposal.opened_at or now
    latest: datetime | None = None
    rows = list(
        ProposalParticipant.objects.filter(proposal=proposal).select_related("membership__profile")
    )
    for row in rows:
        profile = row.membership.profile
        due = participant_deadline(
            week_of(profile.time_zone, profile.working_hours),
            proposal.deadline_kind,
            opened_at=opened_at,
            deadline_at=proposal.deadline_at,
            deadline_date=proposal.deadline_date,
        )
        if due <= now:
            problems.add(
                "deadline_date" if proposal.deadline_kind == "local_day" else "deadline_at",
                f"The deadline has already passed for {_name(row.membership)} "
                f"({profile.time_zone}).",
            )
        row.local_deadline = due
        latest = due if latest is None else max(latest, due)
    ProposalParticipant.objects.bulk_update(rows, ["local_deadline"])
    proposal.close_at = latest


@transaction.atomic
def proposal_open(*, acting: Membership, proposal: Proposal) -> Proposal:
    """The owner opens the proposal: deadlines fall for each participant and each is asked."""
    proposal = _locked(proposal)
    _require_owner(acting, proposal, "open it")
    if proposal.status != ProposalStatus.DRAFT:
        raise Conflict("This proposal is already open." if proposal.is_open else "It is closed.")
    now = timezone.now()
    proposal.opened_at = now
    problems = FieldErrors()
    _fix_deadlines(proposal, now, problems)
    problems.raise_any()
    proposal.status = ProposalStatus.OPEN
    proposal.seed = secrets.token_hex(16)
    proposal.save(update_fields=["status", "opened_at", "close_at", "seed", "updated_at"])
    audit_record(
        actor=acting, action="decision.proposal_open", obj=proposal, data={"seed": proposal.seed}
    )
    proposal_search_index(proposal)
    owner = _name(proposal.owner)
    for row in ProposalParticipant.objects.select_related("membership").filter(proposal=proposal):
        if row.membership_id == acting.pk:
            continue
        notification_send(
            recipient=row.membership,
            kind="decision.asked",
            subject=f"{owner} asks for your stance: {proposal.title}",
            url=proposal_url(proposal),
            body=ballots.rule_text(proposal),
            actor=proposal.owner,
            due_at=row.local_deadline,
            cause=asked_cause(proposal),
        )
    events.proposal_opened(proposal, acting)
    return proposal


# --- Stances ----------------------------------------------------------------------------------


def asked_cause(proposal: Proposal) -> str:
    """The inbox cause of being asked for a stance (one item per participant)."""
    return f"decisions.asked:{proposal.pk}"


def _participant(proposal: Proposal, member: Membership) -> ProposalParticipant:
    row = ProposalParticipant.objects.filter(proposal=proposal, membership=member).first()
    if row is None:
        raise NotFound("You are not a participant of this proposal.")
    return row


@transaction.atomic
def stance_submit(*, acting: Membership, proposal: Proposal, ballot: Ballot) -> StanceReceipt:
    """A participant gives (or, unless anonymous, changes) their stance while the proposal is open."""
    proposal = _locked(proposal)
    participant = _participant(proposal, acting)
    now = timezone.now()
    _require_accepting(proposal, now, acting)
    if proposal.anonymous and participant.responded_at is not None:
        raise Conflict(ANONYMOUS_FINAL)
    options = list(Option.objects.filter(proposal=proposal))
    payload, reason = ballots.normalize(proposal, options, ballot)
    if len(reason) > MAX_REASON:
        raise ValidationFailed.field("reason", f"A reason has at most {MAX_REASON:,} characters.")
    first_time = participant.responded_at is None
    if first_time:
        ProposalParticipant.objects.filter(pk=participant.pk).update(responded_at=now)
        inbox_resolve(cause=asked_cause(proposal), recipient=acting)
    if proposal.anonymous:
        _cast_anonymously(proposal, payload, reason)
        audit_record(actor=acting, action="decision.stance", obj=proposal)
        # The replaced ballots must not survive in the raw files, where the generation
        # before this one would single out the new ballot (meridian.decisions.erasure).
        transaction.on_commit(superseded_ballots_erase)
        return StanceReceipt(proposal=proposal, anonymous=True, responded_at=now)

    stance = Stance.objects.filter(proposal=proposal, membership=acting).first()
    if stance is not None and stance.payload == payload and stance.reason == reason:
        return StanceReceipt(proposal, False, participant.responded_at or now, stance)
    sight = sight_for(proposal, responded=not first_time, is_participant=True)
    others = Stance.objects.filter(proposal=proposal).exclude(membership=acting).exists()
    if stance is None:
        stance = Stance.objects.create(
            workspace_id=proposal.workspace_id,
            proposal=proposal,
            membership=acting,
            payload=payload,
            reason=reason,
        )
    else:
        stance.payload, stance.reason = payload, reason
        stance.save(update_fields=["payload", "reason", "updated_at"])
    revision = StanceRevision.objects.create(
        workspace_id=proposal.workspace_id,
        stance=stance,
        payload=payload,
        reason=reason,
        saw_others=sight.stances and others,
    )
    # The audit log is read by admins: it says that a stance was given, never which one.
    audit_record(
        actor=acting,
        action="decision.stance",
        obj=proposal,
        data={"changed": not first_time, "revision": revision.pk},
    )
    return StanceReceipt(proposal, False, participant.responded_at or now, stance, not first_time)


def _cast_anonymously(proposal: Proposal, payload: dict, reason: str) -> None:
    """Add a ballot by rewriting the proposal's ballots in a random order with fresh random ids.

    Afterwards every ballot of the proposal was written in this one transaction, in no order
    that says which one is new: neither SQLite's rowid nor PostgreSQL's row positions and
    transaction ids single it out.
    """
    kept = list(AnonymousBallot.objects.filter(proposal=proposal).values_list("payload", "reason"))
    kept.append((payload, reason))
    secrets.SystemRandom().shuffle(kept)
    AnonymousBallot.objects.filter(proposal=proposal).delete()
    AnonymousBallot.objects.bulk_create(
        AnonymousBallot(proposal=proposal, payload=p, reason=r) for p, r in kept
    )


# --- The discussion ---------------------------------------------------------------------------


@transaction.atomic
def proposal_comment_add(*, acting: Membership, proposal: Proposal, body: str) -> ProposalComment:
    """Add to a proposal's discussion (members, or guests who are asked), while it is open."""
    proposal = _locked(proposal)
    if acting.workspace_id != proposal.workspace_id:
        raise NotFound("No such proposal in this workspace.")
    if proposal.status == ProposalStatus.CLOSED:
        raise Conflict("This proposal is closed; its discussion is read-only.")
    is_participant = ProposalParticipant.objects.filter(
        proposal=proposal, membership=acting
    ).exists()
    if not acting.has_role(Role.MEMBER) and not is_participant:
        raise PermissionDenied("Guests can take part only in proposals they are asked in.")
    body = body.strip()
    if not body:
        raise ValidationFailed.field("body", "Write something first.")
    if len(body) > MAX_COMMENT:
        raise ValidationFailed.field("body", f"A comment has at most {MAX_COMMENT:,} characters.")
    comment = ProposalComment.objects.create(
        workspace_id=proposal.workspace_id,
        proposal=proposal,
        author=acting,
        body=body,
        body_html=render_markdown(body),
    )
    audit_record(
        actor=acting, action="decision.comment", obj=comment, data={"proposal": proposal.pk}
    )
    proposal_comment_search_index(comment, proposal)
    owner_responded = ProposalParticipant.objects.filter(
        proposal=proposal, membership_id=proposal.owner_id, responded_at__isnull=False
    ).exists()
    owner_sees = sight_for(proposal, responded=owner_responded, is_participant=True).comments
    if proposal.owner_id != acting.pk and owner_sees:
        notification_send(
            recipient=proposal.owner,
            kind="decision.comment",
            actor=acting,
            subject=f"{_name(acting)} commented on {proposal.title}",
            url=f"{proposal_url(proposal)}#comment-{comment.pk}",
        )
    events.proposal_comment_added(comment, proposal, acting)
    return comment


# --- Closing ----------------------------------------------------------------------------------


def _close(proposal: Proposal, *, by: Membership | None, reason: str, now: datetime) -> Proposal:
    """Close a locked, open proposal: freeze its tally and verdict, ask the owner for the outcome."""
    options = list(Option.objects.filter(proposal=proposal))
    labels = {str(o.pk): o.label for o in options}
    result = ballots.count(proposal, options, ballots.stored(proposal))
    invited = ProposalParticipant.objects.filter(proposal=proposal).count()
    proposal.status = ProposalStatus.CLOSED
    proposal.closed_at = now
    proposal.closed_by = by
    proposal.close_reason = reason
    proposal.tally = ballots.as_json(result)
    proposal.verdict = ballots.verdict(proposal, result, invited, labels)
    proposal.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "close_reason",
            "tally",
            "verdict",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="decision.proposal_close",
        obj=proposal,
        workspace=proposal.workspace,
        data={"early": by is not None, "outcome": proposal.verdict["outcome"]},
    )
    proposal_search_index(proposal, comments=True)
    url = proposal_url(proposal)
    inbox_resolve(cause=asked_cause(proposal))
    notification_send(
        recipient=proposal.owner,
        kind="decision.outcome_due",
        actor=by,
        cause=f"decisions.outcome:{proposal.pk}",
        subject=f"Closed: write the outcome of {proposal.title}",
        url=reverse(
            "proposal_outcome",
            kwargs={"workspace": proposal.workspace.slug, "proposal_id": proposal.pk},
        ),
        body=str(proposal.verdict["explanation"]),
    )
    for row in ProposalParticipant.objects.select_related("membership").filter(proposal=proposal):
        if row.membership_id != proposal.owner_id:
            notification_send(
                recipient=row.membership,
                kind="decision.closed",
                subject=f"Closed: {proposal.title}",
                url=url,
                body=str(proposal.verdict["explanation"]),
            )
    events.proposal_closed(proposal, by)
    return proposal


@transaction.atomic
def proposal_close(*, acting: Membership, proposal: Proposal, reason: str) -> Proposal:
    """The owner closes the proposal before its deadline, saying why."""
    proposal = _locked(proposal)
    _require_owner(acting, proposal, "close it")
    if proposal.status == ProposalStatus.CLOSED:
        assert proposal.closed_at is not None
        raise Conflict(f"This proposal already closed on {_when(proposal.closed_at, acting)}.")
    if proposal.status == ProposalStatus.DRAFT:
        raise Conflict("This proposal has not opened yet; there is nothing to close.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.field(
            "reason", "Say why you close the proposal before its deadline."
        )
    if len(reason) > MAX_CLOSE_REASON:
        raise ValidationFailed.field(
            "reason", f"A reason has at most {MAX_CLOSE_REASON} characters."
        )
    return _close(proposal, by=acting, reason=reason, now=timezone.now())


def proposal_close_due(*, proposal_id: int, now: datetime) -> None:
    """Close a proposal whose deadline has passed (the scheduler's effect, once per proposal)."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("workspace", "owner__profile")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.status != ProposalStatus.OPEN:
        return  # closed early by its owner meanwhile
    if proposal.close_at is None or proposal.close_at > now:
        return
    _close(proposal, by=None, reason="The deadline passed.", now=now)


def participant_remind(*, participant_id: int, now: datetime) -> None:
    """Remind one participant who has not given a stance yet (the scheduler decided it is due)."""
    taken = reminder_take(
        ProposalParticipant.objects.select_related(
            "proposal__workspace", "proposal__owner__profile", "membership__profile"
        ).filter(
            pk=participant_id, responded_at__isnull=True, proposal__status=ProposalStatus.OPEN
        ),
        now,
    )
    if taken is None:
        return
    row, zone = taken
    proposal = row.proposal
    audit_record(
        actor=None,
        action="decision.remind",
        obj=proposal,
        workspace=proposal.workspace,
        data={"participant": row.membership_id},
    )
    body = ""
    if row.local_deadline is not None:
        body = f"It closes {moment_text(row.local_deadline, zone, 'long')}."
    notification_send(
        recipient=row.membership,
        kind="decision.reminder",
        subject=f"Reminder: {_name(proposal.owner)} asks for your stance on {proposal.title}",
        url=proposal_url(proposal),
        body=body,
        actor=proposal.owner,
        due_at=row.local_deadline,
        cause=asked_cause(proposal),
    )


# --- Outcome and the decision record ------------------------------------------------------------


def _participation(proposal: Proposal) -> dict:
    rows = list(
        ProposalParticipant.objects.filter(proposal=proposal)
        .select_related("membership__profile")
        .order_by("membership__profile__display_name", "id")
    )
    took_part = sum(1 for r in rows if r.responded_at is not None)
    return {
        "invited": len(rows),
        "took_part": took_part,
        "rate": round(took_part / len(rows), 4) if rows else 0.0,
        "people": [
            {
                "id": r.membership_id,
                "name": _name(r.membership),
                "took_part": r.responded_at is not None,
            }
            for r in rows
        ],
    }


def _named_stances(proposal: Proposal, labels: dict[str, str]) -> list[dict]:
    if proposal.anonymous:
        return []
    rows = (
        Stance.objects.filter(proposal=proposal)
        .select_related("membership__profile")
        .order_by("membership__profile__display_name", "id")
    )
    return [
        {
            "member_id": s.membership_id,
            "name": _name(s.membership),
            "stance": ballots.describe(proposal, s.payload, labels),
            "payload": s.payload,
            "reason": s.reason,
        }
        for s in rows
    ]


def _links(proposal: Proposal, supersedes: DecisionRecord | None) -> list[dict]:
    links: list[dict] = []
    brief = proposal.brief
    if brief is not None:
        links.append({"kind": "brief", "id": brief.pk, "title": brief.title, "relation": "source"})
        for link in BriefLink.objects.filter(brief=brief).select_related("target_brief"):
            if link.target == "brief" and link.target_brief is not None:
                links.append(
                    {
                        "kind": "brief",
                        "id": link.target_brief_id,
                        "title": link.target_brief.title,
                        "relation": link.relation,
                    }
                )
            elif link.target == "url":
                links.append({"kind": "url", "url": link.url, "relation": link.relation})
            elif link.target == "file":
                links.append(
                    {
                        "kind": "file",
                        "id": link.pk,
                        "brief_id": brief.pk,
                        "title": link.filename,
                        "relation": link.relation,
                    }
                )
            elif link.target_id is not None:
                links.append({"kind": link.target, "id": link.target_id, "relation": link.relation})
    if supersedes is not None:
        links.append(
            {
                "kind": "decision",
                "id": supersedes.pk,
                "title": supersedes.title,
                "relation": "supersedes",
            }
        )
    return links


def _clean_outcome(
    statement: str,
    rationale: str,
    expected_effect: str,
    review_date: date | None,
    today: date,
    problems: FieldErrors,
) -> tuple[str, str, str]:
    statement, rationale, expected_effect = (
        statement.strip(),
        rationale.strip(),
        expected_effect.strip(),
    )
    if not statement:
        problems.add("statement", "Write what was decided.")
    elif len(statement) > MAX_TEXT:
        problems.add("statement", f"The statement has at most {MAX_TEXT:,} characters.")
    if not rationale:
        problems.add("rationale", "Write why: the rationale is what a newcomer needs most.")
    elif len(rationale) > MAX_TEXT:
        problems.add("rationale", f"The rationale has at most {MAX_TEXT:,} characters.")
    if len(expected_effect) > MAX_EFFECT:
        problems.add("expected_effect", f"The expected effect has at most {MAX_EFFECT} characters.")
    if review_date is not None and review_date <= today:
        problems.add("review_date", "A review date lies in the future.")
    return statement, rationale, expected_effect


@transaction.atomic
def outcome_write(
    *,
    acting: Membership,
    proposal: Proposal,
    statement: str,
    rationale: str,
    expected_effect: str = "",
    review_date: date | None = None,
    supersedes: DecisionRecord | None = None,
) -> DecisionRecord:
    """The owner states the outcome of a closed proposal; it becomes an immutable decision record."""
    proposal = _locked(proposal)
    _require_owner(acting, proposal, "write its outcome")
    if proposal.status != ProposalStatus.CLOSED:
        raise Conflict("Close the proposal before writing its outcome.")
    existing = DecisionRecord.objects.filter(proposal=proposal).first()
    if existing is not None:
        raise Conflict(
            f"This proposal's outcome is recorded already, as decision {existing.adr_id}; "
            "a record never changes, but a new decision can supersede it."
        )
    problems = FieldErrors()
    statement, rationale, expected_effect = _clean_outcome(
        statement, rationale, expected_effect, review_date, timezone.localdate(), problems
    )
    if supersedes is not None:
        if supersedes.workspace_id != proposal.workspace_id:
            problems.add("supersedes", "Choose a decision of this workspace.")
        elif DecisionRecord.objects.filter(supersedes=supersedes).exists():
            raise Conflict(f"Decision {supersedes.adr_id} has already been superseded.")
    problems.raise_any()

    inbox_resolve(cause=f"decisions.outcome:{proposal.pk}")
    outcome = Outcome.objects.create(
        workspace_id=proposal.workspace_id,
        proposal=proposal,
        author=acting,
        statement=statement,
        statement_html=render_markdown(statement),
        rationale=rationale,
        rationale_html=render_markdown(rationale),
        expected_effect=expected_effect,
        review_date=review_date,
    )
    # One writer numbers the log at a time (SQLite serializes writers anyway).
    Workspace.objects.select_for_update().only("pk").get(pk=proposal.workspace_id)
    last = DecisionRecord.objects.filter(workspace_id=proposal.workspace_id).aggregate(
        n=Max("number")
    )["n"]
    options = list(Option.objects.filter(proposal=proposal))
    labels = {str(o.pk): o.label for o in options}
    assert proposal.opened_at is not None and proposal.closed_at is not None  # it is closed
    record = DecisionRecord.objects.create(
        workspace_id=proposal.workspace_id,
        number=(last or 0) + 1,
        proposal=proposal,
        supersedes=supersedes,
        brief=proposal.brief,
        owner=proposal.owner,
        owner_name=_name(proposal.owner),
        title=proposal.title,
        question=proposal.body,
        question_html=proposal.body_html,
        kind=proposal.kind,
        rule=proposal.rule,
        rule_text=ballots.rule_text(proposal),
        quorum_pct=proposal.quorum_pct,
        visibility=proposal.visibility,
        anonymous=proposal.anonymous,
        tie_break=ballots.tie_break_text(proposal),
        seed=proposal.seed,
        options=[
            {"id": str(o.pk), "label": o.label, "description": o.description} for o in options
        ],
        tally=proposal.tally,
        verdict=proposal.verdict or {},
        participation=_participation(proposal),
        stances=_named_stances(proposal, labels),
        statement=outcome.statement,
        statement_html=outcome.statement_html,
        rationale=outcome.rationale,
        rationale_html=outcome.rationale_html,
        expected_effect=outcome.expected_effect,
        review_date=outcome.review_date,
        links=_links(proposal, supersedes),
        teams=[
            {"slug": row.team.slug, "name": row.team.name}
            for row in ProposalTeam.objects.filter(proposal=proposal)
            .select_related("team")
            .order_by("team__name")
        ],
        tags=list(proposal.tag_rows.order_by("name").values_list("name", flat=True)),
        opened_at=proposal.opened_at,
        closed_at=proposal.closed_at,
        close_reason=proposal.close_reason,
        decided_at=timezone.now(),
    )
    audit_record(
        actor=acting,
        action="decision.record",
        obj=record,
        data={
            "proposal": proposal.pk,
            "number": record.number,
            "supersedes": supersedes.pk if supersedes else None,
        },
    )
    if proposal.brief is not None:
        from meridian.briefs.services import decision_link_add

        decision_link_add(
            acting=acting,
            brief=proposal.brief,
            record_id=record.pk,
            note=f"Decision {record.adr_id}: {record.title}"[:500],
        )
    record_search_index(record)
    for row in ProposalParticipant.objects.select_related("membership").filter(proposal=proposal):
        if row.membership_id != acting.pk:
            notification_send(
                recipient=row.membership,
                kind="decision.recorded",
                actor=acting,
                subject=f"Decided: {proposal.title}",
                url=record_url(record),
                body=outcome.statement,
            )
    return record


def record_review_remind(*, record_id: int) -> None:
    """Tell the owner that a decision's review date has come (the scheduler's effect, once)."""
    record = (
        DecisionRecord.objects.select_related("workspace", "owner__profile")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        return
    audit_record(actor=None, action="decision.review_due", obj=record, workspace=record.workspace)
    body = f"Expected effect: {record.expected_effect}" if record.expected_effect else ""
    notification_send(
        recipient=record.owner,
        kind="decision.review",
        cause=f"decisions.review:{record.pk}",
        subject=f"Review due: {record.adr_id} {record.title}",
        url=record_url(record),
        body=body,
    )


# --- Start-here pins ------------------------------------------------------------------------------


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
