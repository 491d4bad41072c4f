"""The outcome of a closed proposal and its immutable decision record, and the review date."""

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from meridian.briefs.models import BriefLink
from meridian.core.errors import Conflict, FieldErrors
from meridian.core.facts import facts_stale
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.decisions import ballots
from meridian.decisions.models import (
    DecisionRecord,
    Option,
    Outcome,
    Proposal,
    ProposalParticipant,
    ProposalStatus,
    ProposalTeam,
    Stance,
)
from meridian.decisions.search import record_search_index
from meridian.decisions.services.common import (
    MAX_EFFECT,
    MAX_TEXT,
    _locked,
    _name,
    _require_owner,
    record_url,
)
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership, Workspace


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
    facts_stale(workspace_id=record.workspace_id, source_kind="decision", ids=[record.pk])
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
                excerpt=excerpt(outcome.rationale),
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
        excerpt=excerpt(record.question),
    )
