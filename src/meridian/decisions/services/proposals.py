"""A proposal from draft to open: its settings checked, who is asked, and each one's deadline."""

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from meridian.asks.deadlines import Deadline as AskDeadline
from meridian.asks.deadlines import deadline_problem, participant_deadline
from meridian.asks.people import (
    Asked,
    AskTiming,
    DayOffShift,
    Invitee,
    deadline_day_off_shifts,
    deadlines_moved_by_time_off,
    member_weeks,
    people_resolve,
)
from meridian.briefs.models import Brief, Comment
from meridian.core import registry
from meridian.core.errors import Conflict, FieldErrors, NotFound
from meridian.core.markdown import render_markdown
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.decisions import ballots, events
from meridian.decisions import tally as t
from meridian.decisions.models import (
    DeadlineKind,
    Kind,
    Option,
    Proposal,
    ProposalParticipant,
    ProposalStatus,
    ProposalTag,
    ProposalTeam,
    Rule,
    Visibility,
)
from meridian.decisions.search import proposal_search_index
from meridian.decisions.services.common import (
    DEFAULT_DOT_BUDGET,
    DEFAULT_SCORE_MAX,
    MAX_BODY,
    MAX_DOTS,
    MAX_OPTION_DESCRIPTION,
    MAX_OPTION_LABEL,
    MAX_OPTIONS,
    MAX_SCORE,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    PROPOSAL_FIXED,
    RULE_FIXED,
    Deadline,
    OptionSpec,
    _Config,
    _first_stance_at,
    _locked,
    _name,
    _require_owner,
    _when,
    asked_cause,
    proposal_url,
)
from meridian.notifications.services import inbox_due_change, inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Team

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


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
    urgent: bool = False,
) -> Proposal:
    """Draft a proposal (and open it at once if asked): the question, the rule, who is asked.

    The owner is always a participant. Turned from a brief, its options may come from the
    brief's comments (``OptionSpec.source_comment_id``). ``urgent`` (only when opened at once)
    tells those asked at once, even outside their working hours, spending one of the owner's
    weekly urgent notifications; over budget nothing is written (HTTP 429).
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
    if urgent and not open_now:
        problems.add("urgent", "Only a proposal opened now can be urgent: a draft tells nobody.")
    problems.raise_any()
    if urgent:
        # Before anything is written: over budget, the owner gets a 429 and no proposal.
        registry.urgent_check(owner, now)
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
        return proposal_open(acting=owner, proposal=proposal, urgent=urgent)
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
    weeks = member_weeks([row.membership for row in rows], now=now)
    for row in rows:
        profile = row.membership.profile
        due = participant_deadline(
            weeks[row.membership_id],
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


def proposal_deadlines_after_time_off(member: Membership, now: datetime) -> None:
    """Time off was just entered for ``member``: their deadlines on open proposals that now
    fall on a day away move to the end of their first working day back (never earlier), and a
    proposal closes no sooner than its last person's deadline (registry.MEMBER_AWAY)."""
    rows = ProposalParticipant.objects.filter(
        membership=member,
        responded_at__isnull=True,
        local_deadline__gt=now,
        proposal__status=ProposalStatus.OPEN,
        proposal__deadline_kind__in=[DeadlineKind.LOCAL_DAY, DeadlineKind.WORKING_DAY],
    ).select_related("proposal")
    moved = deadlines_moved_by_time_off(
        member,
        (
            (
                row,
                AskTiming(
                    row.proposal.deadline_kind,
                    row.proposal.opened_at or now,
                    None,
                    row.proposal.deadline_date,
                ),
            )
            for row in rows
        ),
        now=now,
    )
    for row, due in moved:
        ProposalParticipant.objects.filter(pk=row.pk).update(local_deadline=due)
        Proposal.objects.filter(pk=row.proposal_id, close_at__lt=due).update(close_at=due)
        inbox_due_change(cause=asked_cause(row.proposal), recipient=member, due_at=due)


@transaction.atomic
def proposal_open(*, acting: Membership, proposal: Proposal, urgent: bool = False) -> Proposal:
    """The owner opens the proposal: deadlines fall for each participant and each is asked
    (``urgent``: at once, even outside their working hours; see ``proposal_create``)."""
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
            # The proposal as its owner wrote it; nobody's stance (blind or not) is quoted.
            excerpt=excerpt(proposal.body),
            urgent=urgent,
        )
    events.proposal_opened(proposal, acting)
    return proposal
