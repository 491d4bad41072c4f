"""Pages of the briefs area: the list, writing a brief, the brief with its thread, closing."""

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from meridian.asks.deadlines import week_of
from meridian.asks.forms import (
    day_off_form_status,
    day_off_shifts_to_confirm,
    days_off_digest,
    offer_urgent,
    participant_choices,
)
from meridian.briefs import files
from meridian.briefs.access import brief_get_for, comment_get_for, link_get_for
from meridian.briefs.forms import (
    BriefForm,
    CloseForm,
    CommentEditForm,
    CommentForm,
    FileLinkForm,
    LinkForm,
    ResponseForm,
)
from meridian.briefs.models import Brief, LinkRelation, LinkTarget
from meridian.briefs.selectors import (
    SCOPES,
    STATUSES,
    BriefDetail,
    BriefFilters,
    brief_detail_for,
    brief_list_for,
    linkable_briefs_for,
    linkable_targets_for,
    revision_list_for,
    sync_hours_saved_for,
)
from meridian.briefs.services import (
    DayOffShift,
    brief_check_editable,
    brief_close,
    brief_create,
    brief_day_off_shifts,
    brief_mark_seen,
    brief_send,
    brief_update,
    comment_add,
    comment_edit,
    file_link_add,
    link_add,
    link_remove,
    question_answer,
    respond,
)
from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, saved, submitted
from meridian.core.timebounds import in_zone
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role
from meridian.workspaces.selectors import member_choices_for, team_list_for

BRIEFS_PER_PAGE = 25


def _status(request: WorkspaceRequest) -> int:
    """A form that comes back to the person after a POST had problems: 422, else 200."""
    return 422 if request.method == "POST" else 200


def _brief_page(brief: Brief, anchor: str = "") -> str:
    url = reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})
    return f"{url}#{anchor}" if anchor else url


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def brief_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's briefs: open, overdue and closed, narrowed to what concerns you."""
    scope = request.GET.get("scope", "all")
    status = request.GET.get("status", "")
    filters = BriefFilters(
        scope=scope if scope in SCOPES else "all",
        status=status if status in STATUSES else "",
        q=request.GET.get("q", "").strip(),
    )
    viewer = request.membership
    page = Paginator(brief_list_for(viewer=viewer, filters=filters), BRIEFS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "scopes": SCOPES,
        "statuses": STATUSES,
        "hours_saved": sync_hours_saved_for(viewer=viewer),
    }
    template = "briefs/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#brief-list"
    return render(request, template, context)


def _brief_form(request: WorkspaceRequest, data: Any = None, initial: Any = None) -> BriefForm:
    viewer = request.membership
    members = list(member_choices_for(viewer=viewer))
    choices = participant_choices(members, list(team_list_for(viewer=viewer)), viewer)
    form = BriefForm(data, initial=initial, choices=choices, zone=viewer.profile.time_zone)
    offer_urgent(form, viewer)
    return form


def _day_off_shifts(
    request: WorkspaceRequest, form: BriefForm, brief: Brief | None = None
) -> list[DayOffShift]:
    """Whose deadline day is a day off, to warn before sending (none once the author agreed).

    Editing a brief without changing its day warns only about people newly asked: the others
    were shown (and kept) when it was sent.
    """
    return day_off_shifts_to_confirm(
        request,
        form,
        lambda: brief_day_off_shifts(
            acting=request.membership,
            participants=form.invitees(),
            deadline=form.deadline(),
            brief=brief,
        ),
    )


@requires(Role.MEMBER)
@once_per_submission
def brief_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Write a brief instead of calling a meeting."""
    form = _brief_form(request, request.POST or None)
    shifts = _day_off_shifts(request, form)
    if request.method == "POST" and form.is_valid() and not shifts:
        try:
            brief = brief_create(
                author=request.membership,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                ask_kind=form.cleaned_data["ask_kind"],
                questions=form.question_list(),
                participants=form.invitees(),
                deadline=form.deadline(),
                meeting=form.meeting(),
                urgent=form.cleaned_data["urgent"],
                draft=bool(request.POST.get("draft")),
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            if brief.is_draft:
                messages.success(
                    request,
                    "Saved as a draft: only you can see it. Record the walkthrough, then send.",
                )
            else:
                messages.success(request, "Brief sent. Everyone you asked has been told.")
            return saved(request, redirect(_brief_page(brief)))
    context = {
        "form": form,
        "brief": None,
        "day_off_shifts": shifts,
        "day_off_digest": days_off_digest(shifts),
    }
    return render(request, "briefs/form.html", context, status=day_off_form_status(request, shifts))


@requires(Role.MEMBER)
def brief_edit(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """The author changes the brief while it is open."""
    brief = brief_get_for(request.membership, brief_id)
    brief_check_editable(acting=request.membership, brief=brief)
    detail = brief_detail_for(viewer=request.membership, brief=brief)
    initial = {
        "title": brief.title,
        "body": brief.body,
        "ask_kind": brief.ask_kind,
        "questions": "\n".join(brief.questions),
        "required": [
            f"member:{r.member.pk}" for r in detail.participants if r.participant.is_required
        ],
        "optional": [
            f"member:{r.member.pk}" for r in detail.participants if not r.participant.is_required
        ],
        "deadline_kind": {"local_day": "day", "instant": "instant"}.get(
            brief.deadline_kind, "none"
        ),
        "deadline_date": brief.deadline_date,
        "deadline_at": (
            in_zone(brief.deadline_at, _zone(request)).replace(tzinfo=None)
            if brief.deadline_at
            else None
        ),
        "meeting_people": brief.meeting_people,
        "meeting_minutes": brief.meeting_minutes,
    }
    form = _brief_form(request, request.POST or None, initial=initial)
    shifts = _day_off_shifts(request, form, brief)
    if request.method == "POST" and form.is_valid() and not shifts:
        try:
            brief_update(
                acting=request.membership,
                brief=brief,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                ask_kind=form.cleaned_data["ask_kind"],
                questions=form.question_list(),
                participants=form.invitees(),
                deadline=form.deadline(),
                meeting=form.meeting(),
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Brief saved.")
            return redirect(_brief_page(brief))
    context = {
        "form": form,
        "brief": brief,
        "day_off_shifts": shifts,
        "day_off_digest": days_off_digest(shifts),
    }
    return render(request, "briefs/form.html", context, status=day_off_form_status(request, shifts))


def _zone(request: WorkspaceRequest) -> ZoneInfo:
    return week_of(request.membership.profile.time_zone, {}).zone


def _render_brief(
    request: WorkspaceRequest,
    brief: Brief,
    *,
    comment_form: CommentForm | None = None,
    response_form: ResponseForm | None = None,
    link_form: LinkForm | None = None,
    file_form: FileLinkForm | None = None,
    reply_to: int | None = None,
    reply_form: CommentForm | None = None,
    status: int = 200,
    template: str = "briefs/detail.html",
    detail: BriefDetail | None = None,
) -> HttpResponse:
    viewer = request.membership
    detail = detail or brief_detail_for(viewer=viewer, brief=brief)
    comment_form = comment_form or CommentForm(auto_id="c-%s")
    if brief.author_id == viewer.pk:
        # A question asks the brief's author: their own has nobody to reach urgently.
        comment_form.fields.pop("urgent", None)
    else:
        offer_urgent(comment_form, viewer)
    context = {
        "brief": brief,
        "detail": detail,
        "comment_form": comment_form,
        "response_form": response_form or ResponseForm(auto_id="r-%s"),
        "link_form": link_form or _link_form(request, brief),
        "file_form": file_form or _file_form(),
        "reply_to": reply_to,
        "reply_form": reply_form,
        "is_author": brief.author_id == viewer.pk,
        "now": detail.now,
        "comments_url": reverse(
            "brief_comment_new", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk}
        ),
        "can_take_part": brief.is_open and (viewer.has_role(Role.MEMBER) or detail.me is not None),
    }
    return render(request, template, context, status=status)


def _is_page_view(request: WorkspaceRequest) -> bool:
    """Whether a person is opening the page in their browser, rather than something fetching it.

    A same-origin image in a comment (``![x](/w/acme/briefs/5/)``) makes the browser GET the
    brief as an image: Fetch Metadata tells such requests (and prefetches, frames and htmx
    swaps) apart from a navigation. Browsers without it send neither header.
    """
    headers = request.headers
    purpose = headers.get("Sec-Purpose", "") + headers.get("Purpose", "")
    return (
        request.method == "GET"
        and headers.get("Sec-Fetch-Dest", "document") == "document"
        and headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        and "prefetch" not in purpose.lower()
        and not request.htmx
    )


@requires(Role.GUEST)
def brief_detail(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """The brief: its walkthrough and ask, the thread, who is with it, related material."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    detail = brief_detail_for(viewer=viewer, brief=brief)
    # Only a participant's first visit writes (and reads the brief again to show it as seen);
    # only a real visit counts, not the page fetched as an image or by a script.
    if (
        brief.is_open
        and detail.me is not None
        and detail.me.first_seen_at is None
        and _is_page_view(request)
    ):
        brief_mark_seen(acting=viewer, brief=brief)
        detail = brief_detail_for(viewer=viewer, brief=brief)
    reply = request.GET.get("reply", "")
    return _render_brief(
        request, brief, detail=detail, reply_to=int(reply) if reply.isdigit() else None
    )


@require_POST
@requires(Role.GUEST)
@once_per_submission
def comment_new(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """Add a comment, a question or a reply; htmx gets the thread back, others the page."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    parent_id = request.POST.get("parent") or None
    form = CommentForm(request.POST, auto_id=f"reply-{parent_id}-%s" if parent_id else "c-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            parent = comment_get_for(viewer, brief, data["parent"]) if data["parent"] else None
            comment = comment_add(
                acting=viewer,
                brief=brief,
                body=data["body"],
                parent=parent,
                at_seconds=data["at"],
                is_question=data["is_question"],
                answers_parent=data["answers_parent"],
                urgent=data.get("urgent", False),
            )
        except MeridianError as exc:
            if exc.status_code not in (422, 400, 429):
                raise
            add_service_errors(form, exc)
        else:
            if request.htmx:
                submitted(request, _brief_page(brief, f"comment-{comment.pk}"))
                return _render_brief(request, brief, template="briefs/detail.html#thread")
            return saved(request, redirect(_brief_page(brief, f"comment-{comment.pk}")))
    reply_to = int(parent_id) if parent_id and parent_id.isdigit() else None
    if request.htmx:
        # htmx swaps only successful answers: the thread comes back with the form's errors.
        return _render_brief(
            request, brief, comment_form=form, template="briefs/detail.html#thread"
        )
    return _render_brief(
        request,
        brief,
        comment_form=None if reply_to else form,
        reply_to=reply_to,
        reply_form=form if reply_to else None,
        status=422,
    )


@require_POST
@requires(Role.GUEST)
@once_per_submission
def response_new(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """A participant responds to the ask."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    form = ResponseForm(request.POST, auto_id="r-%s")
    if form.is_valid():
        try:
            comment = respond(acting=viewer, brief=brief, body=form.cleaned_data["body"])
        except MeridianError as exc:
            if exc.status_code not in (422, 400, 429):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, "Thank you — your response is in.")
            return saved(request, redirect(_brief_page(brief, f"comment-{comment.pk}")))
    return _render_brief(request, brief, response_form=form, status=422)


@require_POST
@requires(Role.GUEST)
def answer_mark(
    request: WorkspaceRequest, workspace: str, brief_id: int, comment_id: int
) -> HttpResponse:
    """Mark a question answered, optionally by one of its replies."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    question = comment_get_for(viewer, brief, comment_id)
    answer_id = request.POST.get("answer", "")
    try:
        answer = comment_get_for(viewer, brief, int(answer_id)) if answer_id.isdigit() else None
        question_answer(acting=viewer, question=question, answer=answer)
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Question marked answered.")
    return redirect(_brief_page(brief, f"comment-{question.pk}"))


@requires(Role.GUEST)
def comment_change(
    request: WorkspaceRequest, workspace: str, brief_id: int, comment_id: int
) -> HttpResponse:
    """Edit your comment; its earlier text is kept and listed here."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    comment = comment_get_for(viewer, brief, comment_id)
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            comment_edit(acting=viewer, comment=comment, body=form.cleaned_data["body"])
        except MeridianError as exc:
            if exc.status_code not in (422, 400, 429):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, "Comment saved; its earlier text is kept in its history.")
            return redirect(_brief_page(brief, f"comment-{comment.pk}"))
    context = {
        "brief": brief,
        "comment": comment,
        "form": form,
        "revisions": revision_list_for(viewer=viewer, comment=comment),
        "can_edit": comment.author_id == viewer.pk and brief.is_open,
    }
    return render(request, "briefs/comment_edit.html", context, status=_status(request))


def _link_form(request: WorkspaceRequest, brief: Brief, data: Any = None) -> LinkForm:
    viewer = request.membership
    return LinkForm(
        data,
        auto_id="l-%s",
        briefs=linkable_briefs_for(viewer=viewer, brief=brief),
        decisions=linkable_targets_for(viewer=viewer, kind=LinkTarget.DECISION),
    )


@require_POST
@requires(Role.GUEST)
@once_per_submission
def link_new(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """Relate another brief, a web address or a decision record to this one."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    form = _link_form(request, brief, request.POST)
    if form.is_valid():
        data, target = form.cleaned_data, form.target()
        try:
            link_add(
                acting=viewer,
                brief=brief,
                relation=data["relation"],
                target=target,
                target_brief=(
                    brief_get_for(viewer, data["target_brief"]) if target == "brief" else None
                ),
                url=data["url"] if target == "url" else "",
                target_id=data.get("target_record") if target == "decision" else None,
                note=data["note"],
            )
        except MeridianError as exc:
            if exc.status_code not in (422, 400, 429):
                raise
            add_service_errors(form, exc, fields={"target_id": "target_record"})
        else:
            messages.success(request, "Link added.")
            return saved(request, redirect(_brief_page(brief, "links")))
    return _render_brief(request, brief, link_form=form, status=422)


def _file_form(data: Any = None, uploaded: Any = None) -> FileLinkForm:
    return FileLinkForm(data, uploaded, auto_id="f-%s", limit=files.limit_label())


@csrf_exempt  # the size is checked before the body is read; csrf_protect runs right after
@require_POST
@requires(Role.GUEST)
def file_link_new(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """Attach a file as related material; one over the limit is refused before it is read."""
    brief = brief_get_for(request.membership, brief_id)
    if files.body_too_large(request):
        # The body stays unread: the form comes back empty, with the limit beside the file.
        form = _file_form({"relation": LinkRelation.CONTEXT}, {})
        form.errors["file"] = form.error_class([files.too_large().detail])
        return _render_brief(request, brief, file_form=form, status=413)
    files.stream_uploads_to_disk(request)
    return _file_link_form(request, brief)


@csrf_protect
@once_per_submission
def _file_link_form(request: WorkspaceRequest, brief: Brief) -> HttpResponse:
    viewer = request.membership
    form = _file_form(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            file_link_add(
                acting=viewer,
                brief=brief,
                file=data["file"],
                relation=data["relation"],
                note=data["note"],
            )
        except MeridianError as exc:
            if exc.status_code not in (422, 413, 400):
                raise
            status = exc.status_code
            add_service_errors(form, exc)
        else:
            messages.success(request, "File attached.")
            return saved(request, redirect(_brief_page(brief, "links")))
    return _render_brief(request, brief, file_form=form, status=status)


@require_safe
@requires(Role.GUEST)
def link_file(
    request: WorkspaceRequest, workspace: str, brief_id: int, link_id: int
) -> FileResponse:
    """The file attached by a link, as a download, to members of the workspace only."""
    brief = brief_get_for(request.membership, brief_id)
    return files.attachment_response(link_get_for(request.membership, brief, link_id))


@require_POST
@requires(Role.GUEST)
def link_delete(
    request: WorkspaceRequest, workspace: str, brief_id: int, link_id: int
) -> HttpResponse:
    """Take a link off the brief."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    link = link_get_for(viewer, brief, link_id)
    try:
        link_remove(acting=viewer, link=link)
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Link removed.")
    return redirect(_brief_page(brief, "links"))


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def brief_send_view(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """The author sends their draft; with its recording still processing, it goes out when ready."""
    brief = brief_get_for(request.membership, brief_id)
    try:
        result = brief_send(acting=request.membership, brief=brief)
    except MeridianError as exc:
        if exc.status_code not in (422, 400, 429):
            raise
        messages.error(request, f"Not sent: {exc.detail}")
        return redirect(_brief_page(brief))
    if result.waiting:
        messages.success(
            request, "The recording is still processing: the brief goes out as soon as it is ready."
        )
    else:
        messages.success(request, "Brief sent. Everyone you asked has been told.")
    return redirect(_brief_page(brief))


@requires(Role.MEMBER)
def brief_close_view(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """The author closes the brief with a summary of what was learned or agreed."""
    viewer = request.membership
    brief = brief_get_for(viewer, brief_id)
    brief_check_editable(acting=viewer, brief=brief)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            brief_close(acting=viewer, brief=brief, summary=form.cleaned_data["summary"])
        except MeridianError as exc:
            if exc.status_code not in (422, 400, 429):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, "Brief closed. It stays here, read-only, for reference.")
            return redirect(_brief_page(brief))
    detail = brief_detail_for(viewer=viewer, brief=brief)
    return render(
        request,
        "briefs/close.html",
        {"brief": brief, "detail": detail, "form": form},
        status=_status(request),
    )
