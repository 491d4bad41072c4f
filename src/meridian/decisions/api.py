"""The decisions API: proposals, stances, the discussion, closing, outcomes and the decision log.

Decision records are immutable: their paths answer GET only, so PATCH, PUT or DELETE on them
is a 405, and writing a second outcome for a proposal is a 409.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from meridian.briefs.access import brief_get_for
from meridian.briefs.models import Brief
from meridian.core.errors import NotFound, ValidationFailed
from meridian.core.inputs import Id
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.decisions import export
from meridian.decisions.access import pin_get_for, proposal_get_for, record_get_for
from meridian.decisions.models import DecisionRecord, Proposal, ProposalComment
from meridian.decisions.schemas import (
    FairnessOut,
    OutcomeIn,
    PinIn,
    PinOut,
    ProposalCloseIn,
    ProposalCommentIn,
    ProposalCommentOut,
    ProposalIn,
    ProposalOut,
    ProposalPatch,
    ProposalSummaryOut,
    RecordOut,
    RecordSummaryOut,
    StanceIn,
    StanceReceiptOut,
    StartItemOut,
)
from meridian.decisions.selectors import (
    Person,
    ProposalDetail,
    ProposalFilters,
    RecordFilters,
    StanceRow,
    proposal_detail_for,
    proposal_list_for,
    record_detail_for,
    record_list_for,
    start_here_for,
)
from meridian.decisions.services import (
    OptionSpec,
    options_from_comments,
    outcome_write,
    pin_add,
    pin_remove,
    proposal_close,
    proposal_comment_add,
    proposal_create,
    proposal_open,
    proposal_update,
    stance_submit,
)
from meridian.workspaces.access import ApiRequest, requires, team_get_for
from meridian.workspaces.models import Role

router = Router(tags=["decisions"])

ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 409: Problem}


class ProposalQuery(Schema):
    scope: str = "all"
    status: str = ""
    q: str = ""


class RecordQuery(Schema):
    team: str = ""
    tag: str = ""
    status: str = ""
    decided_from: str = ""
    decided_to: str = ""
    participant: Id | None = None
    q: str = ""

    def filters(self) -> RecordFilters:
        from datetime import date

        def day(field: str, text: str) -> date | None:
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValidationFailed.field(
                    field, f"“{text}” is not a date (YYYY-MM-DD)."
                ) from None

        if self.status not in ("", "in_force", "superseded"):
            raise ValidationFailed.field("status", "Use in_force or superseded.")
        return RecordFilters(
            team=self.team,
            tag=self.tag,
            status=self.status,
            decided_from=day("decided_from", self.decided_from),
            decided_to=day("decided_to", self.decided_to),
            participant=self.participant,
            q=self.q.strip(),
        )


def _stance_out(row: StanceRow) -> dict[str, Any]:
    return {
        "member": row.member,
        "stance": row.text,
        "payload": row.payload,
        "reason": row.reason,
        "updated_at": row.updated_at,
    }


def _my_stance_out(request: ApiRequest, detail: ProposalDetail) -> dict[str, Any] | None:
    stance = detail.my_stance
    if stance is None:
        return None
    viewer = request.membership
    member = Person(viewer.pk, viewer.profile.display_name, viewer.profile.time_zone)
    return _stance_out(
        StanceRow(member, stance.payload, stance.reason, stance.updated_at, detail.my_stance_text)
    )


def _proposal_out(request: ApiRequest, detail: ProposalDetail) -> dict[str, Any]:
    p = detail.proposal
    data = {
        **{f: getattr(p, f) for f in ProposalOut.model_fields if hasattr(p, f)},
        "owner": p.owner,
        "rule_text": detail.rule_text,
        "tie_break": detail.tie_break,
        "my_deadline": detail.viewer_deadline,
        "options": detail.options,
        "teams": [
            row.team.slug for row in p.team_rows.select_related("team").order_by("team__slug")
        ],
        "tags": list(p.tag_rows.values_list("name", flat=True)),
        "participants": [
            {
                "member": r.member,
                "took_part": r.took_part,
                "local_deadline": r.local_deadline,
                "held": r.held,
            }
            for r in detail.participants
        ],
        "invited": detail.invited,
        "took_part": detail.took_part,
        "is_participant": detail.me is not None,
        "responded": detail.me is not None and detail.me.responded_at is not None,
        "can_vote": detail.can_vote,
        "my_stance": _my_stance_out(request, detail),
        "hidden": detail.sight.note,
        "stances": [_stance_out(r) for r in detail.stances],
        "tally": detail.tally_data,
        "verdict": p.verdict if p.is_closed else None,
        "record_id": detail.record.pk if detail.record else None,
    }
    return data


def _detail(request: ApiRequest, proposal_id: int) -> dict[str, Any]:
    fresh = proposal_get_for(request.membership, proposal_id)
    return _proposal_out(request, proposal_detail_for(viewer=request.membership, proposal=fresh))


def _referenced_brief(request: ApiRequest, brief_id: int | None) -> Brief | None:
    if brief_id is None:
        return None
    try:
        return brief_get_for(request.membership, brief_id)
    except NotFound as exc:
        raise ValidationFailed.field("brief_id", exc.detail) from None


@router.get("/proposals", response=list[ProposalSummaryOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def proposals(request: ApiRequest, filters: Query[ProposalQuery]) -> QuerySet[Proposal]:
    """Proposals of the workspace, newest first (drafts only your own); ``scope`` is all,
    to_answer, involved or owned, ``status`` is draft, open or closed."""
    return proposal_list_for(viewer=request.membership, filters=ProposalFilters(**filters.dict()))


@router.post("/proposals", response={201: ProposalOut, **ERRORS})
@requires(Role.MEMBER)
def proposal_new(request: ApiRequest, payload: ProposalIn) -> Status[dict[str, Any]]:
    """Draft a proposal, or open it at once (``open``, the default): everyone asked is told.

    With ``brief_id`` it is turned from that brief; ``option_comment_ids`` make options of
    the brief's comments (their first line as the label)."""
    brief = _referenced_brief(request, payload.brief_id)
    specs: list[OptionSpec] = [o.spec() for o in payload.options]
    if payload.option_comment_ids:
        if brief is None:
            raise ValidationFailed.field(
                "option_comment_ids", "Options come from a brief's comments: give brief_id."
            )
        comments = brief.comments.filter(pk__in=payload.option_comment_ids).order_by(
            "created_at", "id"
        )
        found = {c.pk for c in comments}
        missing = sorted(set(payload.option_comment_ids) - found)
        if missing:
            raise ValidationFailed.field(
                "option_comment_ids", f"Comment #{missing[0]} is not on the brief “{brief.title}”."
            )
        specs += options_from_comments(comments)
    proposal = proposal_create(
        owner=request.membership,
        title=payload.title,
        body=payload.body,
        kind=payload.kind,
        options=specs,
        max_choices=payload.max_choices,
        score_max=payload.score_max,
        dot_budget=payload.dot_budget,
        rule=payload.rule,
        quorum_pct=payload.quorum_pct,
        visibility=payload.visibility,
        anonymous=payload.anonymous,
        deadline=payload.deadline(),
        participants=[p.invitee() for p in payload.participants],
        teams=payload.teams,
        tags=payload.tags,
        brief=brief,
        open_now=payload.open,
        urgent=payload.urgent,
    )
    return Status(201, _detail(request, proposal.pk))


@router.get("/proposals/{proposal_id}", response={200: ProposalOut, 404: Problem})
@requires(Role.GUEST)
def proposal(request: ApiRequest, proposal_id: int) -> dict[str, Any]:
    """One proposal as you may see it: in blind mode others' stances, the discussion and the
    tally appear only once you have given your stance (``hidden`` says why)."""
    return _detail(request, proposal_id)


@router.patch("/proposals/{proposal_id}", response={200: ProposalOut, **ERRORS})
@requires(Role.MEMBER)
def proposal_edit(request: ApiRequest, proposal_id: int, payload: ProposalPatch) -> dict[str, Any]:
    """The owner changes the fields sent; once the first stance is in, nothing (409)."""
    found = proposal_get_for(request.membership, proposal_id)
    sent = payload.model_fields_set
    deadline_fields = {"deadline_kind", "deadline_at", "deadline_date"}
    proposal_update(
        acting=request.membership,
        proposal=found,
        title=payload.title,
        body=payload.body,
        kind=payload.kind,
        options=[o.spec() for o in payload.options] if payload.options is not None else None,
        max_choices=payload.max_choices,
        score_max=payload.score_max,
        dot_budget=payload.dot_budget,
        rule=payload.rule,
        quorum_pct=payload.quorum_pct,
        clear_quorum="quorum_pct" in sent and payload.quorum_pct is None,
        visibility=payload.visibility,
        anonymous=payload.anonymous,
        deadline=payload.deadline() if deadline_fields & sent else None,
        participants=(
            [p.invitee() for p in payload.participants]
            if payload.participants is not None
            else None
        ),
        teams=payload.teams,
        tags=payload.tags,
    )
    return _detail(request, proposal_id)


@router.post("/proposals/{proposal_id}/open", response={200: ProposalOut, **ERRORS})
@requires(Role.MEMBER)
def proposal_open_op(request: ApiRequest, proposal_id: int) -> dict[str, Any]:
    """The owner opens a draft: each participant's deadline is fixed and each is asked."""
    proposal_open(
        acting=request.membership, proposal=proposal_get_for(request.membership, proposal_id)
    )
    return _detail(request, proposal_id)


@router.post("/proposals/{proposal_id}/stance", response={200: StanceReceiptOut, **ERRORS})
@requires(Role.GUEST)
def stance(request: ApiRequest, proposal_id: int, payload: StanceIn) -> dict[str, Any]:
    """Give or change your stance (participants only: others get 404). After close: 409 with
    the close time. Unknown or repeated options, scores out of range, dots over budget: 422
    naming the problem. In anonymous mode a stance is final once cast (409)."""
    found = proposal_get_for(request.membership, proposal_id)
    receipt = stance_submit(acting=request.membership, proposal=found, ballot=payload.ballot())
    detail = proposal_detail_for(viewer=request.membership, proposal=found)
    return {
        "anonymous": receipt.anonymous,
        "responded_at": receipt.responded_at,
        "changed": receipt.changed,
        "stance": _my_stance_out(request, detail),
    }


@router.get(
    "/proposals/{proposal_id}/comments", response={200: list[ProposalCommentOut], 404: Problem}
)
@requires(Role.GUEST)
def comments(request: ApiRequest, proposal_id: int) -> list[ProposalComment]:
    """The proposal's discussion (in blind mode only your own until you have given your stance)."""
    found = proposal_get_for(request.membership, proposal_id)
    return proposal_detail_for(viewer=request.membership, proposal=found).comments


@router.post("/proposals/{proposal_id}/comments", response={201: ProposalCommentOut, **ERRORS})
@requires(Role.GUEST)
def comment_new(
    request: ApiRequest, proposal_id: int, payload: ProposalCommentIn
) -> Status[ProposalComment]:
    """Add to the discussion while the proposal is open."""
    found = proposal_get_for(request.membership, proposal_id)
    comment = proposal_comment_add(
        acting=request.membership, proposal=found, body=payload.body, urgent=payload.urgent
    )
    return Status(201, comment)


@router.post("/proposals/{proposal_id}/close", response={200: ProposalOut, **ERRORS})
@requires(Role.MEMBER)
def close(request: ApiRequest, proposal_id: int, payload: ProposalCloseIn) -> dict[str, Any]:
    """The owner closes early, with a reason: the tally is frozen and the outcome is due."""
    found = proposal_get_for(request.membership, proposal_id)
    proposal_close(acting=request.membership, proposal=found, reason=payload.reason)
    return _detail(request, proposal_id)


@router.post("/proposals/{proposal_id}/outcome", response={201: RecordOut, **ERRORS})
@requires(Role.MEMBER)
def outcome(request: ApiRequest, proposal_id: int, payload: OutcomeIn) -> Status[dict[str, Any]]:
    """The owner writes the outcome of a closed proposal: it becomes an immutable decision
    record (409 if one exists already)."""
    found = proposal_get_for(request.membership, proposal_id)
    supersedes: DecisionRecord | None = None
    if payload.supersedes_id is not None:
        try:
            supersedes = record_get_for(request.membership, payload.supersedes_id)
        except NotFound as exc:
            raise ValidationFailed.field("supersedes_id", exc.detail) from None
    record = outcome_write(
        acting=request.membership,
        proposal=found,
        statement=payload.statement,
        rationale=payload.rationale,
        expected_effect=payload.expected_effect,
        review_date=payload.review_date,
        supersedes=supersedes,
    )
    fresh = record_get_for(request.membership, record.pk)
    return Status(
        201, export.record_json(record_detail_for(viewer=request.membership, record=fresh))
    )


@router.get("/proposals/{proposal_id}/fairness", response={200: FairnessOut, **ERRORS})
@requires(Role.GUEST)
def fairness(request: ApiRequest, proposal_id: int) -> dict[str, Any]:
    """For the owner: participation, how evenly the discussion was spread (Gini), and how many
    stances changed after others' had become visible."""
    found = proposal_get_for(request.membership, proposal_id)
    figures = proposal_detail_for(viewer=request.membership, proposal=found).fairness
    if figures is None:
        from meridian.core.errors import PermissionDenied

        raise PermissionDenied("Only the proposal's owner sees its fairness figures.")
    return {
        "participants": figures.participants,
        "took_part": figures.took_part,
        "participation_rate": round(figures.participation_rate, 4),
        "comments": figures.comments,
        "comment_gini": round(figures.comment_gini, 4),
        "changed_after_visible": figures.changed_after_visible,
        "changes": figures.changes,
    }


@router.get("/decisions", response=list[RecordSummaryOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="-decided_at")
def decisions(request: ApiRequest, filters: Query[RecordQuery]) -> QuerySet[DecisionRecord]:
    """The decision log, newest first, filtered by team (slug), tag, status (in_force or
    superseded), decision date (decided_from, decided_to) and participant (member id)."""
    return record_list_for(viewer=request.membership, filters=filters.filters())


@router.get("/decisions/{record_id}", response={200: RecordOut, 404: Problem})
@requires(Role.GUEST)
def decision(request: ApiRequest, record_id: int) -> dict[str, Any]:
    """One decision record. It cannot be changed or deleted (PATCH, PUT, DELETE: 405)."""
    found = record_get_for(request.membership, record_id)
    return export.record_json(record_detail_for(viewer=request.membership, record=found))


@router.get(
    "/decisions/{record_id}/export.md",
    response={200: str, 404: Problem},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The record as an ADR.",
                "content": {"text/markdown": {"schema": {"type": "string"}}},
            }
        }
    },
)
@requires(Role.GUEST)
def decision_markdown(request: ApiRequest, record_id: int) -> HttpResponse:
    """The record as Markdown, in the style of an Architecture Decision Record."""
    found = record_get_for(request.membership, record_id)
    viewer = request.membership
    text = export.record_markdown(
        record_detail_for(viewer=viewer, record=found), zone=viewer.profile.time_zone
    )
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.adr_id}.md"'
    return response


@router.get("/decisions/{record_id}/export.json", response={200: RecordOut, 404: Problem})
@requires(Role.GUEST)
def decision_json(request: ApiRequest, record_id: int) -> HttpResponse:
    """The record as a JSON file to download."""
    found = record_get_for(request.membership, record_id)
    data = export.record_json(record_detail_for(viewer=request.membership, record=found))
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{found.adr_id}.json"'
    return response


@router.get("/teams/{team}/start-here", response={200: list[StartItemOut], 404: Problem})
@requires(Role.GUEST)
def start_here(request: ApiRequest, team: str) -> list[dict[str, Any]]:
    """A team's onboarding reading list: pinned and most-linked briefs and decisions in force,
    oldest foundations first."""
    found = team_get_for(request.membership, team)
    items = start_here_for(viewer=request.membership, team=found)
    return [
        {
            "kind": i.kind,
            "id": i.target_id,
            "title": i.title,
            "url": i.url,
            "when": i.when,
            "links": i.links,
            "pinned": i.pin is not None,
            "pin_id": i.pin.pk if i.pin else None,
            "note": i.pin.note if i.pin else "",
        }
        for i in items
    ]


@router.post("/pins", response={201: PinOut, **ERRORS})
@requires(Role.MEMBER)
def pin_new(request: ApiRequest, payload: PinIn) -> Status[Any]:
    """Pin a brief or a decision to a team's start-here page."""
    try:
        team = team_get_for(request.membership, payload.team)
    except NotFound as exc:
        raise ValidationFailed.field("team", exc.detail) from None
    brief = _referenced_brief(request, payload.brief_id)
    record = None
    if payload.record_id is not None:
        try:
            record = record_get_for(request.membership, payload.record_id)
        except NotFound as exc:
            raise ValidationFailed.field("record_id", exc.detail) from None
    pin = pin_add(
        acting=request.membership, team=team, brief=brief, record=record, note=payload.note
    )
    return Status(201, pin)


@router.delete("/pins/{pin_id}", response={204: None, **ERRORS})
@requires(Role.MEMBER)
def pin_delete(request: ApiRequest, pin_id: int) -> Status[None]:
    """Take a pin off its team's start-here page."""
    pin_remove(acting=request.membership, pin=pin_get_for(request.membership, pin_id))
    return Status(204, None)
