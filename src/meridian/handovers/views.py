"""Pages of the handovers area: my handovers, handing one item over, its packet with the
question thread, handing over everything, a batch's progress, and the readiness page."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from meridian.core.errors import MeridianError, NotFound
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, saved
from meridian.handovers.access import batch_get_for, handover_get_for, question_get_for
from meridian.handovers.forms import EverythingForm, HandoverForm, QuestionForm, per_item_choices
from meridian.handovers.kinds import handover_kinds
from meridian.handovers.models import Handover, HandoverState
from meridian.handovers.selectors import (
    DIRECTIONS,
    STATES,
    HandoverFilters,
    handover_detail_for,
    handover_list_for,
    owned_items_for,
    packets_for,
    pending_handovers,
    readiness_for,
)
from meridian.handovers.services import (
    bulk_assign,
    handover_acknowledge,
    handover_acknowledge_batch,
    handover_answer,
    handover_ask,
    handover_bulk_start,
    handover_cancel,
    handover_start,
    kind_get,
)
from meridian.workspaces.access import WorkspaceRequest, member_get_for, requires
from meridian.workspaces.models import Role
from meridian.workspaces.selectors import member_choices_for

PER_PAGE = 25


def _page(handover: Handover, anchor: str = "") -> str:
    url = reverse(
        "handover_detail",
        kwargs={"workspace": handover.workspace.slug, "handover_id": handover.pk},
    )
    return f"{url}#{anchor}" if anchor else url


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def handover_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Handovers to me and from me, with their state and open questions."""
    direction = request.GET.get("direction", "all")
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    filters = HandoverFilters(
        direction=direction if direction in DIRECTIONS else "all",
        state=state if state in STATES else "",
        kind=kind if kind in handover_kinds() else "",
        batch=_int(request.GET.get("batch")),
    )
    rows = handover_list_for(viewer=request.membership, filters=filters)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    waiting = 0
    if filters.batch is not None:
        waiting = rows.filter(
            receiver_id=request.membership.pk, state=HandoverState.PENDING
        ).count()
    context = {
        "waiting_in_batch": waiting,
        "page": page,
        "filters": filters,
        "directions": DIRECTIONS,
        "states": STATES,
        "kinds": {k: v.noun for k, v in handover_kinds().items()},
    }
    template = "handovers/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#handover-list"
    return render(request, template, context)


@requires(Role.MEMBER)
@once_per_submission
def handover_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Hand one item over: the packet the receiver will read, then who and a note."""
    viewer = request.membership
    source = request.POST if request.method == "POST" else request.GET
    kind_name = source.get("kind", "")
    object_id = _int(source.get("id"))
    handable = kind_get(kind_name)
    if object_id is None:
        raise NotFound(f"No such {handable.noun} in this workspace.")
    label = handable.titles(viewer.workspace_id, [object_id]).get(object_id)
    if label is None:
        raise NotFound(f"No such {handable.noun} in this workspace.")
    owners = handable.owners(viewer.workspace_id, [object_id]).get(object_id, [])
    giver_id = viewer.pk if viewer.pk in owners else (owners[0] if owners else None)
    members = list(member_choices_for(viewer=viewer))
    form = HandoverForm(request.POST or None, members=members, giver_id=giver_id)
    if request.method == "POST" and form.is_valid():
        try:
            handover = handover_start(
                actor=viewer,
                kind=kind_name,
                object_id=object_id,
                receiver=int(form.cleaned_data["receiver"]),
                note=form.cleaned_data["note"],
            )
        except MeridianError as exc:
            if exc.status_code == 404:
                raise
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Handed over. {handover.receiver.profile.display_name} has been told."
            )
            handover.workspace = viewer.workspace
            return saved(request, redirect(_page(handover)))
    context = {
        "form": form,
        "kind": handable,
        "object_id": object_id,
        "label": label,
        "item_url": handable.url(viewer.workspace.slug, object_id),
        "packet": handable.packet(viewer, object_id),
        "pending": pending_handovers(viewer.workspace_id, kind_name, [object_id]).get(object_id),
        "holder": next((m for m in members if m.pk == giver_id), None),
        "may_hand_over": viewer.pk in owners or viewer.is_admin,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "handovers/new.html", context, status=status)


def _render_detail(
    request: WorkspaceRequest, handover: Handover, status: int = 200, **extra: Any
) -> HttpResponse:
    detail = handover_detail_for(viewer=request.membership, handover=handover)
    context = {
        "handover": handover,
        "detail": detail,
        "packet": detail.packet,
        "question_form": extra.pop("question_form", None) or QuestionForm(auto_id="q-%s"),
        **extra,
    }
    return render(request, "handovers/detail.html", context, status=status)


@requires(Role.GUEST)
def handover_detail(request: WorkspaceRequest, workspace: str, handover_id: int) -> HttpResponse:
    """The handover packet: the note, who → whom, the item assembled now, the questions."""
    return _render_detail(request, handover_get_for(request.membership, handover_id))


@require_POST
@requires(Role.GUEST)
def acknowledge(request: WorkspaceRequest, workspace: str, handover_id: int) -> HttpResponse:
    """The receiver takes the item over."""
    handover = handover_get_for(request.membership, handover_id)
    handover_acknowledge(actor=request.membership, handover=handover)
    messages.success(request, f"It is yours now: {handover.object_label}.")
    return redirect(_page(handover))


@require_POST
@requires(Role.GUEST)
def cancel(request: WorkspaceRequest, workspace: str, handover_id: int) -> HttpResponse:
    """The giver takes the handover back."""
    handover = handover_get_for(request.membership, handover_id)
    handover_cancel(actor=request.membership, handover=handover)
    messages.success(request, "Handover cancelled; the item stays where it was.")
    return redirect(_page(handover))


@require_POST
@requires(Role.GUEST)
@once_per_submission
def question_new(request: WorkspaceRequest, workspace: str, handover_id: int) -> HttpResponse:
    """Ask the other side a question on the handover."""
    handover = handover_get_for(request.membership, handover_id)
    form = QuestionForm(request.POST, auto_id="q-%s")
    if form.is_valid():
        try:
            question = handover_ask(
                actor=request.membership, handover=handover, body=form.cleaned_data["body"]
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc)
        else:
            return saved(request, redirect(_page(handover, f"comment-{question.pk}")))
    return _render_detail(request, handover, status=422, question_form=form)


@require_POST
@requires(Role.GUEST)
@once_per_submission
def answer_new(
    request: WorkspaceRequest, workspace: str, handover_id: int, question_id: int
) -> HttpResponse:
    """Answer a question on the handover."""
    handover = handover_get_for(request.membership, handover_id)
    question = question_get_for(request.membership, handover, question_id)
    form = QuestionForm(request.POST, auto_id=f"a{question_id}-%s")
    if form.is_valid():
        try:
            answer = handover_answer(
                actor=request.membership,
                handover=handover,
                question=question,
                body=form.cleaned_data["body"],
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc)
        else:
            return saved(request, redirect(_page(handover, f"comment-{answer.pk}")))
    return _render_detail(request, handover, status=422, answer_form=form, answer_to=question.pk)


def _previews(viewer: Any, free: list[Any]) -> list[tuple[Any, Any]]:
    packets = packets_for(viewer=viewer, items=free)
    return [(item, packets[item.key]) for item in free if item.key in packets]


@requires(Role.MEMBER)
@once_per_submission
def handover_everything(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Hand everything a member holds to one or several people (admins: for any member)."""
    viewer = request.membership
    member_id = _int(request.GET.get("member"))
    member = viewer
    if member_id is not None and member_id != viewer.pk:
        member = member_get_for(viewer, member_id)
        if not viewer.is_admin:
            raise NotFound("No such member in this workspace.")
    members = list(member_choices_for(viewer=viewer))
    items = owned_items_for(viewer=viewer, member=member)
    free = [item for item in items if item.pending is None]
    form = EverythingForm(request.POST or None, members=members, giver_id=member.pk)
    if request.method == "POST" and form.is_valid():
        chosen = set(request.POST.getlist("item"))
        picked = [item for item in free if item.key in chosen]
        allowed = {m.pk for m in members}
        per_item = per_item_choices(request.POST, [i.key for i in picked], allowed)
        plan = bulk_assign([(i.kind, i.object_id) for i in picked], form.receiver_ids(), per_item)
        try:
            batch = handover_bulk_start(
                actor=viewer, member=member, assignments=plan, note=form.cleaned_data["note"]
            )
        except MeridianError as exc:
            if exc.status_code == 404:
                raise
            add_service_errors(form, exc, {"items": "__all__"})
        else:
            url = reverse("handover_batch", kwargs={"workspace": workspace, "batch_id": batch.pk})
            return saved(request, redirect(url))
    context = {
        "form": form,
        "member": member,
        "items": items,
        "free": free,
        "previews": _previews(viewer, free),
        "members": [m for m in members if m.pk != member.pk],
        "people": members if viewer.is_admin else [],
        "checked": set(request.POST.getlist("item")) if request.method == "POST" else None,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "handovers/everything.html", context, status=status)


@require_POST
@requires(Role.GUEST)
def batch_acknowledge(request: WorkspaceRequest, workspace: str, batch_id: int) -> HttpResponse:
    """The receiver takes over every item of a batch waiting for them."""
    batch = batch_get_for(request.membership, batch_id)
    n = handover_acknowledge_batch(actor=request.membership, batch=batch)
    messages.success(request, f"{n} item{'s' if n != 1 else ''} are yours now.")
    return redirect(
        reverse("handover_list", kwargs={"workspace": workspace}) + f"?batch={batch.pk}"
    )


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def batch_status(request: WorkspaceRequest, workspace: str, batch_id: int) -> HttpResponse:
    """A "hand over everything" batch: its progress bar while it runs, then its handovers."""
    batch = batch_get_for(request.membership, batch_id)
    template = "handovers/batch.html"
    if request.htmx:
        template += "#batch-progress"
    return render(request, template, {"batch": batch})


@requires(Role.GUEST)
def readiness(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """What would stall if this person were away tomorrow (everyone sees it)."""
    viewer = request.membership
    member_id = _int(request.GET.get("member"))
    kind = request.GET.get("kind", "")
    report = readiness_for(
        viewer=viewer, member_id=member_id, kind=kind if kind in handover_kinds() else None
    )
    context = {
        "report": report,
        "members": member_choices_for(viewer=viewer),
        "member_id": member_id,
        "kind": kind,
        "kinds": report.nouns,
        "pending_state": HandoverState.PENDING,
    }
    return render(request, "handovers/readiness.html", context)
