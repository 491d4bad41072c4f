"""Pages of the decisions area: proposals, giving a stance, closing, outcomes, the decision log."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from meridian.asks.deadlines import week_of
from meridian.asks.forms import (
    day_off_form_status,
    day_off_shifts_to_confirm,
    days_off_digest,
    offer_urgent,
    participant_choices,
)
from meridian.briefs.access import brief_get_for
from meridian.briefs.models import Brief
from meridian.core.errors import MeridianError, PermissionDenied
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, saved, submitted
from meridian.core.timebounds import in_zone
from meridian.decisions import export
from meridian.decisions.access import pin_get_for, proposal_get_for, record_get_for
from meridian.decisions.forms import (
    CloseForm,
    CommentForm,
    OutcomeForm,
    PinForm,
    ProposalForm,
    StanceForm,
)
from meridian.decisions.models import DecisionRecord, Proposal, ProposalStatus
from meridian.decisions.selectors import (
    PAGE_LIST_LIMIT,
    RECORD_STATUSES,
    SCOPES,
    STATUSES,
    ProposalFilters,
    RecordFilters,
    brief_comments_for_options,
    brief_invitees_for,
    proposal_detail_for,
    proposal_list_for,
    recent_briefs_for,
    record_detail_for,
    record_list_for,
    records_in_force_for,
    start_here_for,
    tags_in_use_for,
    team_candidates_for,
)
from meridian.decisions.services import (
    DayOffShift,
    outcome_write,
    pin_add,
    pin_remove,
    proposal_close,
    proposal_comment_add,
    proposal_create,
    proposal_day_off_shifts,
    proposal_open,
    proposal_update,
    stance_submit,
)
from meridian.workspaces.access import WorkspaceRequest, requires, team_get_for
from meridian.workspaces.models import Membership, Role
from meridian.workspaces.selectors import member_choices_for, team_list_for

PER_PAGE = 25


def _status(request: WorkspaceRequest) -> int:
    """A form that comes back to the person after a POST had problems: 422, else 200."""
    return 422 if request.method == "POST" else 200


def _day_off_shifts(
    request: WorkspaceRequest, form: ProposalForm, proposal: Proposal | None = None
) -> list[DayOffShift]:
    """Who does not work on the closing day, to warn before saving (none once the owner agreed)."""
    return day_off_shifts_to_confirm(
        request,
        form,
        lambda: proposal_day_off_shifts(
            owner=request.membership,
            participants=form.everyone_asked(),
            deadline=form.deadline(),
            proposal=proposal,
        ),
    )


def _page(proposal: Proposal, anchor: str = "") -> str:
    url = proposal.get_absolute_url()
    return f"{url}#{anchor}" if anchor else url


def _partial(request: WorkspaceRequest, template: str, name: str) -> str:
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{name}"
    return template


# --- Proposals ----------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def proposal_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's proposals: open ones waiting for stances, drafts, closed ones."""
    scope = request.GET.get("scope", "all")
    status = request.GET.get("status", "")
    filters = ProposalFilters(
        scope=scope if scope in SCOPES else "all",
        status=status if status in STATUSES else "",
        q=request.GET.get("q", "").strip(),
    )
    qs = proposal_list_for(viewer=request.membership, filters=filters)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "scopes": SCOPES, "statuses": STATUSES}
    return render(request, _partial(request, "decisions/list.html", "proposal-list"), context)


def _proposal_form(
    request: WorkspaceRequest, data: Any = None, *, initial: Any = None, brief: Brief | None = None
) -> ProposalForm:
    viewer = request.membership
    members = list(member_choices_for(viewer=viewer))
    teams = list(team_list_for(viewer=viewer))
    comments = list(brief_comments_for_options(viewer=viewer, brief=brief)) if brief else []
    form = ProposalForm(
        data,
        initial=initial,
        choices=participant_choices(members, teams, viewer),
        teams=[(t.slug, t.name) for t in teams],
        zone=viewer.profile.time_zone,
        comments=comments,
    )
    return offer_urgent(form, viewer)


@requires(Role.MEMBER)
@once_per_submission
def proposal_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Draft a proposal from scratch, or turn a brief (``?brief=<id>``) into one."""
    viewer = request.membership
    brief_id = request.GET.get("brief", "")
    brief = brief_get_for(viewer, int(brief_id)) if brief_id.isdigit() else None
    if brief is not None and not brief.is_open:
        # A closed brief is a settled record; its summary is where its outcome lives.
        messages.error(request, "This brief is closed, so it can no longer become a proposal.")
        return redirect("brief_detail", workspace=workspace, brief_id=brief.pk)
    initial = None
    if brief is not None:
        initial = {
            "title": brief.title,
            "body": f"Turned from the brief “{brief.title}”.\n\n{brief.body}".strip(),
            "participants": [
                f"member:{pk}" for pk in brief_invitees_for(viewer=viewer, brief=brief)
            ],
        }
    form = _proposal_form(request, request.POST or None, initial=initial, brief=brief)
    shifts = _day_off_shifts(request, form)
    if request.method == "POST" and form.is_valid() and not shifts:
        data = form.cleaned_data
        try:
            proposal = proposal_create(
                owner=viewer,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                options=form.option_specs(),
                max_choices=data.get("max_choices"),
                score_max=data.get("score_max"),
                dot_budget=data.get("dot_budget"),
                rule=data["rule"],
                quorum_pct=data.get("quorum_pct"),
                visibility=data["visibility"],
                anonymous=data["anonymous"],
                deadline=form.deadline(),
                participants=form.invitees(),
                teams=data.get("teams") or [],
                tags=form.tag_list(),
                brief=brief,
                open_now="open" in request.POST,
                urgent=data.get("urgent", False),
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            if proposal.is_open:
                messages.success(request, "Proposal opened. Everyone asked has been told.")
            else:
                messages.success(request, "Draft saved. Open it when it is ready.")
            return saved(request, redirect(_page(proposal)))
    context = {
        "form": form,
        "proposal": None,
        "brief": brief,
        "day_off_shifts": shifts,
        "day_off_digest": days_off_digest(shifts),
    }
    return render(
        request, "decisions/form.html", context, status=day_off_form_status(request, shifts)
    )


@requires(Role.MEMBER)
def proposal_edit(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """The owner changes the proposal until the first stance is in."""
    viewer = request.membership
    proposal = proposal_get_for(viewer, proposal_id)
    if proposal.owner_id != viewer.pk:
        raise PermissionDenied("Only the proposal's owner can change it.")
    detail = proposal_detail_for(viewer=viewer, proposal=proposal)
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "kind": proposal.kind,
        "options": "\n".join(o.label for o in sorted(detail.options, key=lambda o: o.position)),
        "max_choices": proposal.max_choices,
        "score_max": proposal.score_max,
        "dot_budget": proposal.dot_budget,
        "rule": proposal.rule,
        "quorum_pct": proposal.quorum_pct,
        "visibility": proposal.visibility,
        "anonymous": proposal.anonymous,
        "participants": [f"member:{r.member.id}" for r in detail.participants],
        "teams": [row.team.slug for row in proposal.team_rows.select_related("team")],
        "tags": ", ".join(proposal.tag_rows.values_list("name", flat=True)),
        "deadline_kind": proposal.deadline_kind,
        "deadline_date": proposal.deadline_date,
        "deadline_at": (
            in_zone(proposal.deadline_at, _zone(request)).replace(tzinfo=None)
            if proposal.deadline_at
            else None
        ),
    }
    form = _proposal_form(request, request.POST or None, initial=initial)
    shifts = _day_off_shifts(request, form, proposal)
    if request.method == "POST" and form.is_valid() and not shifts:
        data = form.cleaned_data
        try:
            proposal_update(
                acting=viewer,
                proposal=proposal,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                options=form.option_specs(),
                max_choices=data.get("max_choices"),
                score_max=data.get("score_max"),
                dot_budget=data.get("dot_budget"),
                rule=data["rule"],
                quorum_pct=data.get("quorum_pct"),
                clear_quorum=data.get("quorum_pct") is None,
                visibility=data["visibility"],
                anonymous=data["anonymous"],
                deadline=form.deadline(),
                participants=form.invitees(),
                teams=data.get("teams") or [],
                tags=form.tag_list(),
            )
        except MeridianError as exc:
            if exc.status_code == 409:
                messages.error(request, exc.detail)
                return redirect(_page(proposal))
            add_service_errors(form, exc)
        else:
            messages.success(request, "Proposal saved.")
            return redirect(_page(proposal))
    context = {
        "form": form,
        "proposal": proposal,
        "brief": proposal.brief,
        "day_off_shifts": shifts,
        "day_off_digest": days_off_digest(shifts),
    }
    return render(
        request, "decisions/form.html", context, status=day_off_form_status(request, shifts)
    )


def _zone(request: WorkspaceRequest) -> Any:
    return week_of(request.membership.profile.time_zone, {}).zone


def _comment_form(form: CommentForm, proposal: Proposal, viewer: Membership) -> CommentForm:
    if proposal.owner_id == viewer.pk:
        # An urgent comment asks the owner: the owner's own has nobody to reach urgently.
        form.fields.pop("urgent", None)
        return form
    offer_urgent(form, viewer)
    return form


def _render_proposal(
    request: WorkspaceRequest,
    proposal: Proposal,
    *,
    stance_form: StanceForm | None = None,
    comment_form: CommentForm | None = None,
    status: int = 200,
    template: str = "decisions/detail.html",
) -> HttpResponse:
    viewer = request.membership
    # A large proposal lists its first participants and stances; "show all" lists everyone.
    show_all = request.GET.get("all") == "1"
    detail = proposal_detail_for(
        viewer=viewer,
        proposal=proposal,
        limit=None if show_all else PAGE_LIST_LIMIT,
        reasons_first=True,
    )
    initial: dict[str, Any] = {}
    if detail.my_stance is not None:
        initial = _stance_initial(detail.my_stance.payload, detail.my_stance.reason)
    context = {
        "proposal": proposal,
        "detail": detail,
        "stance_form": stance_form
        or StanceForm(initial=initial, proposal=proposal, options=detail.options, auto_id="s-%s"),
        "comment_form": _comment_form(
            comment_form or CommentForm(auto_id="c-%s"), proposal, viewer
        ),
        "is_owner": proposal.owner_id == viewer.pk,
        "can_comment": not proposal.is_closed
        and (viewer.has_role(Role.MEMBER) or detail.me is not None),
    }
    return render(request, template, context, status=status)


def _stance_initial(payload: dict, reason: str) -> dict[str, Any]:
    initial: dict[str, Any] = {"reason": reason}
    if "position" in payload:
        initial["position"] = payload["position"]
    if "choice" in payload:
        initial["choice"] = payload["choice"]
    if "choices" in payload:
        initial["choices"] = payload["choices"]
    for rank, option in enumerate(payload.get("ranking", []), start=1):
        initial[f"rank_{rank}"] = option
    for key, value in payload.get("scores", {}).items():
        initial[f"score_{key}"] = value
    for key, value in payload.get("dots", {}).items():
        initial[f"dot_{key}"] = value
    return initial


@requires(Role.GUEST)
def proposal_detail(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """The proposal: the question, the rule, the stance form, and what the viewer may see."""
    return _render_proposal(request, proposal_get_for(request.membership, proposal_id))


@require_POST
@requires(Role.MEMBER)
def proposal_open_view(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """The owner opens a draft."""
    proposal = proposal_get_for(request.membership, proposal_id)
    try:
        proposal_open(acting=request.membership, proposal=proposal)
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Proposal opened. Everyone asked has been told.")
    return redirect(_page(proposal))


@require_POST
@requires(Role.GUEST)
@once_per_submission
def stance_new(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """A participant gives or changes their stance."""
    viewer = request.membership
    proposal = proposal_get_for(viewer, proposal_id)
    detail = proposal_detail_for(viewer=viewer, proposal=proposal)
    form = StanceForm(request.POST, proposal=proposal, options=detail.options, auto_id="s-%s")
    if form.is_valid():
        try:
            receipt = stance_submit(acting=viewer, proposal=proposal, ballot=form.ballot())
        except MeridianError as exc:
            if exc.status_code == 404:
                raise
            if exc.status_code == 409:
                messages.error(request, exc.detail)
                return redirect(_page(proposal))
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_ballot_error(field, problem)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            if receipt.anonymous:
                messages.success(request, "Your stance is in. Nothing links it to you.")
            elif receipt.changed:
                messages.success(
                    request, "Your stance is changed; the earlier one stays in its history."
                )
            else:
                messages.success(request, "Your stance is in.")
            return saved(request, redirect(_page(proposal, "stance")))
    return _render_proposal(request, proposal, stance_form=form, status=422)


@require_POST
@requires(Role.GUEST)
@once_per_submission
def comment_new(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """Add to the discussion; htmx gets the discussion back, others the page."""
    viewer = request.membership
    proposal = proposal_get_for(viewer, proposal_id)
    form = CommentForm(request.POST, auto_id="c-%s")
    if form.is_valid():
        try:
            comment = proposal_comment_add(
                acting=viewer,
                proposal=proposal,
                body=form.cleaned_data["body"],
                urgent=form.cleaned_data.get("urgent", False),
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 422, 429):
                raise
            add_service_errors(form, exc)
        else:
            if request.htmx:
                submitted(request, _page(proposal, f"comment-{comment.pk}"))
                return _render_proposal(
                    request, proposal, template="decisions/detail.html#discussion"
                )
            return saved(request, redirect(_page(proposal, f"comment-{comment.pk}")))
    if request.htmx:
        return _render_proposal(
            request, proposal, comment_form=form, template="decisions/detail.html#discussion"
        )
    return _render_proposal(request, proposal, comment_form=form, status=422)


@requires(Role.MEMBER)
def proposal_close_view(
    request: WorkspaceRequest, workspace: str, proposal_id: int
) -> HttpResponse:
    """The owner closes the proposal before its deadline, with a reason."""
    viewer = request.membership
    proposal = proposal_get_for(viewer, proposal_id)
    if proposal.owner_id != viewer.pk:
        raise PermissionDenied("Only the proposal's owner can close it.")
    if proposal.status != ProposalStatus.OPEN:
        messages.error(request, "Only an open proposal can be closed.")
        return redirect(_page(proposal))
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal_close(acting=viewer, proposal=proposal, reason=form.cleaned_data["reason"])
        except MeridianError as exc:
            if exc.status_code == 409:
                messages.error(request, exc.detail)
                return redirect(_page(proposal))
            add_service_errors(form, exc)
        else:
            messages.success(request, "Closed. Now write the outcome.")
            return redirect(
                reverse(
                    "proposal_outcome", kwargs={"workspace": workspace, "proposal_id": proposal.pk}
                )
            )
    detail = proposal_detail_for(viewer=viewer, proposal=proposal)
    context = {"proposal": proposal, "detail": detail, "form": form}
    return render(request, "decisions/close.html", context, status=_status(request))


@requires(Role.MEMBER)
@once_per_submission
def outcome_view(request: WorkspaceRequest, workspace: str, proposal_id: int) -> HttpResponse:
    """The owner writes the outcome of a closed proposal; it becomes a decision record."""
    viewer = request.membership
    proposal = proposal_get_for(viewer, proposal_id)
    if proposal.owner_id != viewer.pk:
        raise PermissionDenied("Only the proposal's owner writes its outcome.")
    detail = proposal_detail_for(viewer=viewer, proposal=proposal)
    if detail.record is not None:
        return redirect(detail.record.get_absolute_url())
    if not proposal.is_closed:
        messages.error(request, "Close the proposal before writing its outcome.")
        return redirect(_page(proposal))
    form = OutcomeForm(request.POST or None, records=records_in_force_for(viewer=viewer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            supersedes = record_get_for(viewer, data["supersedes"]) if data["supersedes"] else None
            record = outcome_write(
                acting=viewer,
                proposal=proposal,
                statement=data["statement"],
                rationale=data["rationale"],
                expected_effect=data["expected_effect"],
                review_date=data["review_date"],
                supersedes=supersedes,
            )
        except MeridianError as exc:
            if exc.status_code == 409:
                messages.error(request, exc.detail)
                return redirect(_page(proposal))
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Recorded as decision {record.adr_id}.")
            return saved(request, redirect(record.get_absolute_url()))
    context = {"proposal": proposal, "detail": detail, "form": form}
    return render(request, "decisions/outcome.html", context, status=_status(request))


# --- The decision log -----------------------------------------------------------------------------


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def decision_log(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Every decision of the workspace, filtered by team, tag, status, date and participant."""
    viewer = request.membership
    status = request.GET.get("status", "")
    participant = request.GET.get("participant", "")
    filters = RecordFilters(
        team=request.GET.get("team", ""),
        tag=request.GET.get("tag", ""),
        status=status if status in RECORD_STATUSES else "",
        decided_from=_date(request.GET.get("from", "")),
        decided_to=_date(request.GET.get("to", "")),
        participant=int(participant) if participant.isdigit() else None,
        q=request.GET.get("q", "").strip(),
    )
    page = Paginator(record_list_for(viewer=viewer, filters=filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "statuses": RECORD_STATUSES,
        "teams": team_candidates_for(viewer=viewer),
        "tags": tags_in_use_for(viewer=viewer),
        "members": member_choices_for(viewer=viewer),
    }
    return render(request, _partial(request, "decisions/log.html", "record-list"), context)


def _record_context(request: WorkspaceRequest, record: DecisionRecord) -> dict[str, Any]:
    viewer = request.membership
    teams = [(t.slug, t.name) for t in team_candidates_for(viewer=viewer)]
    return {
        "record": record,
        "detail": record_detail_for(viewer=viewer, record=record),
        "pin_form": PinForm(teams=teams, auto_id="p-%s"),
        "can_pin": viewer.has_role(Role.MEMBER) and bool(teams),
    }


@requires(Role.GUEST)
def record_detail(request: WorkspaceRequest, workspace: str, record_id: int) -> HttpResponse:
    """A decision record's permalink: read-only, with what superseded it or what it superseded."""
    record = record_get_for(request.membership, record_id)
    return render(request, "decisions/record.html", _record_context(request, record))


@requires(Role.GUEST)
def record_markdown(request: WorkspaceRequest, workspace: str, record_id: int) -> HttpResponse:
    """The record as an ADR-style Markdown file."""
    record = record_get_for(request.membership, record_id)
    viewer = request.membership
    text = export.record_markdown(
        record_detail_for(viewer=viewer, record=record), zone=viewer.profile.time_zone
    )
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{record.adr_id}.md"'
    return response


@requires(Role.GUEST)
def record_json(request: WorkspaceRequest, workspace: str, record_id: int) -> HttpResponse:
    """The record as a JSON file."""
    record = record_get_for(request.membership, record_id)
    data = export.record_json(record_detail_for(viewer=request.membership, record=record))
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{record.adr_id}.json"'
    return response


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def record_pin(request: WorkspaceRequest, workspace: str, record_id: int) -> HttpResponse:
    """Pin the decision to a team's start-here page."""
    viewer = request.membership
    record = record_get_for(viewer, record_id)
    teams = [(t.slug, t.name) for t in team_candidates_for(viewer=viewer)]
    form = PinForm(request.POST, teams=teams, auto_id="p-%s")
    if form.is_valid():
        try:
            team = team_get_for(viewer, form.cleaned_data["team"])
            pin_add(acting=viewer, team=team, record=record, note=form.cleaned_data["note"])
        except MeridianError as exc:
            if exc.status_code == 404:
                raise
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Pinned to {team.name}'s start-here page.")
            return saved(request, redirect(record.get_absolute_url()))
    context = _record_context(request, record)
    context["pin_form"] = form
    return render(request, "decisions/record.html", context, status=422)


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def brief_pin(request: WorkspaceRequest, workspace: str, team: str) -> HttpResponse:
    """Pin a brief (``brief`` in the form) to the team's start-here page."""
    viewer = request.membership
    found = team_get_for(viewer, team)
    brief_id = request.POST.get("brief", "")
    start_here = reverse("decision_start_here", kwargs={"workspace": workspace, "team": team})
    try:
        brief = brief_get_for(viewer, int(brief_id)) if brief_id.isdigit() else None
        if brief is None:
            raise MeridianError("Choose a brief to pin.")
        pin_add(acting=viewer, team=found, brief=brief, note=request.POST.get("note", ""))
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.detail)
        return redirect(start_here)
    messages.success(request, "Pinned.")
    return saved(request, redirect(start_here))


@require_POST
@requires(Role.MEMBER)
def pin_delete(request: WorkspaceRequest, workspace: str, pin_id: int) -> HttpResponse:
    """Take a pin off its team's start-here page."""
    pin = pin_get_for(request.membership, pin_id)
    team = pin.team
    try:
        pin_remove(acting=request.membership, pin=pin)
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Unpinned.")
    return redirect(
        reverse("decision_start_here", kwargs={"workspace": workspace, "team": team.slug})
    )


@requires(Role.GUEST)
def start_here(request: WorkspaceRequest, workspace: str, team: str) -> HttpResponse:
    """A team's onboarding page: what to read first, oldest foundations first."""
    viewer = request.membership
    found = team_get_for(viewer, team)
    context = {
        "team": found,
        "items": start_here_for(viewer=viewer, team=found),
        "can_pin": viewer.has_role(Role.MEMBER),
        "briefs": recent_briefs_for(viewer=viewer),
    }
    return render(request, "decisions/start_here.html", context)
