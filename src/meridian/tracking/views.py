"""Pages of the tracking area: the timer and timesheet, entries, the policy, reports, and the
person's own privacy page (who looked, export, delete)."""

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.moments import in_zone, local_date, moment_text
from meridian.tracking import rules, selectors, services
from meridian.tracking.forms import CategoryRuleForm, EntryForm, FocusCategoriesForm, PolicyForm
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

CHANGED = "timer-changed"


def _day(request: WorkspaceRequest) -> date:
    raw = request.GET.get("day", "")
    try:
        return date.fromisoformat(raw) if raw else _today(request)
    except ValueError:
        return _today(request)


def _today(request: WorkspaceRequest) -> date:
    return local_date(timezone.now(), request.membership.profile.time_zone)


def _home_context(request: WorkspaceRequest, form: EntryForm | None = None) -> dict[str, Any]:
    viewer = request.membership
    day = _day(request)
    days = rules.week_days(day)
    sheet = selectors.timesheet_for(viewer=viewer, days=days)
    most = max(sheet.per_day.values(), default=0) or 1
    return {
        "sheet": sheet,
        "week": [(f"{d:%a} {d.day} {d:%b}", sheet.per_day[d]) for d in days],
        "week_label": f"{days[0].day} {days[0]:%B %Y}",
        "most": most,
        "previous": (days[0] - timedelta(days=7)).isoformat(),
        "next": (days[0] + timedelta(days=7)).isoformat(),
        "running": selectors.timer_for(viewer=viewer),
        "form": form or EntryForm(zone=viewer.profile.time_zone),
        "now": timezone.now(),
    }


@require_safe
@requires(Role.GUEST)
def tracking_home(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The member's timer, their week in their own zone, and a form to add time by hand."""
    return render(request, "tracking/home.html", _home_context(request))


@require_safe
@requires(Role.GUEST)
def timer_badge(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The nav's sign that a timer runs (an htmx fragment)."""
    response = render(
        request,
        "tracking/home.html#timer-badge",
        {"running": selectors.timer_for(viewer=request.membership)},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@requires(Role.GUEST)
def timer_control(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The header's start/stop control, for the page the member is on (an htmx fragment)."""
    here = request.headers.get("HX-Current-URL", "")
    if not url_has_allowed_host_and_scheme(here, {request.get_host()}, request.is_secure()):
        here = ""
    response = render(
        request,
        "tracking/home.html#timer-control",
        {"running": selectors.timer_for(viewer=request.membership), "here": here},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(Role.GUEST)
def timer_toggle(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Start (switching from a running timer) or stop the member's timer."""
    try:
        if request.POST.get("action") == "stop":
            services.timer_stop(acting=request.membership)
        else:
            services.timer_start(acting=request.membership, note=request.POST.get("note", "")[:500])
    except MeridianError as exc:
        messages.error(request, exc.detail)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("tracking_home", kwargs={"workspace": workspace})
    response = redirect(back)
    response["HX-Trigger"] = CHANGED
    return response


@require_POST
@requires(Role.GUEST)
def entry_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Add a time entry by hand; an overlap names the entry it clashes with."""
    form = EntryForm(request.POST, zone=request.membership.profile.time_zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.entry_create(
                acting=request.membership,
                start=data["start"],
                end=data["end"],
                note=data["note"],
                tags=data["tags"],
                link_kind=data["link_kind"],
                link_id=data["link_id"],
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Time entry added.")
            day = local_date(data["start"], request.membership.profile.time_zone)
            return redirect(
                reverse("tracking_home", kwargs={"workspace": workspace}) + f"?day={day}"
            )
    return render(request, "tracking/home.html", _home_context(request, form), status=422)


@require_http_methods(["GET", "POST"])
@requires(Role.GUEST)
def entry_edit(request: WorkspaceRequest, workspace: str, entry_id: int) -> HttpResponse:
    """Change an entry; its earlier versions are listed below the form."""
    viewer = request.membership
    entry = selectors.entry_get_for(viewer, entry_id)
    zone = viewer.profile.time_zone
    if request.method == "POST":
        form = EntryForm(request.POST, zone=zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.entry_update(
                    acting=viewer,
                    entry=entry,
                    start=data["start"],
                    end=data["end"],
                    note=data["note"],
                    tags=data["tags"],
                    link_kind=data["link_kind"],
                    link_id=data["link_id"],
                )
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, "Time entry saved; the earlier version is in its history."
                )
                return redirect("tracking_entry_edit", workspace=workspace, entry_id=entry.pk)
    else:
        form = EntryForm(
            zone=zone,
            initial={
                "start": in_zone(entry.started_at, zone)
                .replace(tzinfo=None)
                .isoformat(timespec="minutes"),
                "end": in_zone(entry.ended_at, zone)
                .replace(tzinfo=None)
                .isoformat(timespec="minutes")
                if entry.ended_at
                else "",
                "note": entry.note,
                "tags": ", ".join(entry.tags),
                "link_kind": entry.link_kind,
                "link_id": entry.link_id,
            },
        )
    revisions = selectors.revisions_for(viewer=viewer, entry=entry).select_related(
        "editor__profile"
    )
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "tracking/entry_edit.html",
        {"entry": entry, "form": form, "revisions": revisions},
        status=status,
    )


@require_POST
@requires(Role.GUEST)
def entry_delete(request: WorkspaceRequest, workspace: str, entry_id: int) -> HttpResponse:
    """Delete one of the member's entries."""
    services.entry_delete(
        acting=request.membership, entry=selectors.entry_get_for(request.membership, entry_id)
    )
    messages.success(request, "Time entry deleted.")
    return redirect("tracking_home", workspace=workspace)


@require_safe
@requires(Role.GUEST)
def timesheet_csv(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The week's entries as CSV, times in the member's own zone (named in the header)."""
    viewer = request.membership
    zone = viewer.profile.time_zone
    days = rules.week_days(_day(request))
    sheet = selectors.timesheet_for(viewer=viewer, days=days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["start", "end", "minutes", "note", "tags", "linked to", "zone"])
    now = timezone.now()
    for e in sheet.entries:
        end = e.ended_at or now
        writer.writerow(
            [
                moment_text(e.started_at, zone, "stamp").rsplit(" ", 1)[0],
                moment_text(e.ended_at, zone, "stamp").rsplit(" ", 1)[0] if e.ended_at else "",
                int((end - e.started_at).total_seconds() // 60),
                _csv_safe(e.note),
                _csv_safe(", ".join(e.tags)),
                _csv_safe(sheet.titles.get((e.link_kind, e.link_id or 0), "")),
                sheet.zone,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="timesheet-{days[0]}.csv"'
    return response


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _policy_page(
    request: WorkspaceRequest,
    form: PolicyForm | None = None,
    rule_form: CategoryRuleForm | None = None,
    failed: tuple[int, CategoryRuleForm] | None = None,
    focus_form: FocusCategoriesForm | None = None,
) -> HttpResponse:
    """The policy page; a form that failed is shown with its errors, answering 422."""
    viewer = request.membership
    current = selectors.policy_for(viewer.workspace_id)
    if viewer.is_admin and form is None:
        form = PolicyForm(
            initial={
                "allow_apps": current.allow_apps,
                "allow_titles": current.allow_titles,
                "retention_days": current.retention_days,
                "min_group_size": current.min_group_size,
                "individual_visibility": current.individual_visibility,
            }
        )
    category_rules = selectors.category_rules(viewer.workspace_id)
    rows = []
    for rule in category_rules:
        edit = None
        if viewer.is_admin:
            edit = (
                failed[1]
                if failed and failed[0] == rule.pk
                else CategoryRuleForm(
                    prefix=f"rule{rule.pk}",
                    initial={
                        "field": rule.field,
                        "pattern": rule.pattern,
                        "category": rule.category,
                    },
                )
            )
        rows.append((rule, edit))
    if viewer.is_admin and rule_form is None:
        rule_form = CategoryRuleForm(prefix="new")
    focus = selectors.focus_categories(viewer.workspace_id)
    if viewer.is_admin and focus_form is None:
        focus_form = FocusCategoriesForm(prefix="focus", initial={"names": "\n".join(focus)})
    return render(
        request,
        "tracking/policy.html",
        {
            "policy": current,
            "form": form,
            "rule_rows": rows,
            "rule_count": len(category_rules),
            "rule_form": rule_form,
            "rule_limit": rules.MAX_CATEGORY_RULES,
            "focus": focus,
            "focus_form": focus_form,
        },
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Role.GUEST)
def policy(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Everyone reads the workspace's tracking policy and category rules; admins change them."""
    if request.method == "GET":
        return _policy_page(request)
    return _policy_save(request, workspace)


@requires(Role.ADMIN)
def _policy_save(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """An admin changes the policy; the page's GET stays open to everyone."""
    viewer = request.membership
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            services.policy_update(acting=viewer, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Tracking policy saved.")
            return redirect("tracking_policy", workspace=workspace)
    return _policy_page(request, form=form)


@require_POST
@requires(Role.ADMIN)
def focus_save(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """An admin sets which categories count as focus time."""
    form = FocusCategoriesForm(request.POST, prefix="focus")
    if form.is_valid():
        try:
            names = services.focus_categories_set(
                acting=request.membership, names=form.cleaned_data["names"]
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            listed = ", ".join(names) if names else "none"
            messages.success(request, f"Focus categories saved: {listed}.")
            return redirect(
                reverse("tracking_policy", kwargs={"workspace": workspace}) + "#focus-heading"
            )
    return _policy_page(request, focus_form=form)


def _rules_url(workspace: str) -> str:
    return reverse("tracking_policy", kwargs={"workspace": workspace}) + "#rules-heading"


@require_POST
@requires(Role.ADMIN)
def rule_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """An admin adds a category rule (last)."""
    viewer = request.membership
    form = CategoryRuleForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            rule = services.category_rule_create(acting=viewer, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Rule added: {rule.field} matching {rule.pattern}.")
            return redirect(_rules_url(workspace))
    return _policy_page(request, rule_form=form)


@require_POST
@requires(Role.ADMIN)
def rule_edit(request: WorkspaceRequest, workspace: str, rule_id: int) -> HttpResponse:
    """An admin changes a category rule."""
    viewer = request.membership
    rule = selectors.category_rule_get(viewer.workspace_id, rule_id)
    form = CategoryRuleForm(request.POST, prefix=f"rule{rule.pk}")
    if form.is_valid():
        try:
            services.category_rule_update(acting=viewer, rule_id=rule.pk, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Rule {rule.position} saved.")
            return redirect(_rules_url(workspace))
    return _policy_page(request, failed=(rule.pk, form))


@require_POST
@requires(Role.ADMIN)
def rule_move(request: WorkspaceRequest, workspace: str, rule_id: int) -> HttpResponse:
    """An admin moves a rule one place up or down (the buttons send the new position)."""
    viewer = request.membership
    rule = selectors.category_rule_get(viewer.workspace_id, rule_id)
    try:
        position = int(request.POST.get("position", ""))
    except ValueError:
        position = 0
    if position < 1:
        messages.error(request, "Choose where to move the rule.")
        return redirect(_rules_url(workspace))
    services.category_rule_move(acting=viewer, rule_id=rule.pk, position=position)
    return redirect(_rules_url(workspace))


@require_POST
@requires(Role.ADMIN)
def rule_delete(request: WorkspaceRequest, workspace: str, rule_id: int) -> HttpResponse:
    """An admin removes a category rule."""
    viewer = request.membership
    rule = selectors.category_rule_get(viewer.workspace_id, rule_id)
    services.category_rule_delete(acting=viewer, rule_id=rule.pk)
    messages.success(request, f"Rule removed: {rule.field} matching {rule.pattern}.")
    return redirect(_rules_url(workspace))


def _range(request: WorkspaceRequest) -> tuple[date, date]:
    today = _today(request)
    try:
        last = date.fromisoformat(request.GET.get("last", "")) if request.GET.get("last") else today
        first = (
            date.fromisoformat(request.GET["first"])
            if request.GET.get("first")
            else last - timedelta(days=6)
        )
    except ValueError:
        first, last = today - timedelta(days=6), today
    if last < first or (last - first).days > 366:
        first, last = last - timedelta(days=6), last
    return first, last


@require_safe
@requires(Role.GUEST)
def reports(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """My time by project, task, category and day, and a team's time (respecting k)."""
    viewer = request.membership
    first, last = _range(request)
    mine = selectors.personal_report(subject=viewer, first=first, last=last)
    team_slug = request.GET.get("team", "")
    team: Any = None
    refusal = ""
    if viewer.has_role(Role.MEMBER) and "team" in request.GET:
        try:
            team = selectors.team_report(viewer=viewer, team=team_slug, first=first, last=last)
        except MeridianError as exc:
            refusal = exc.detail
    return render(
        request,
        "tracking/reports.html",
        {
            "report": mine,
            "subject": viewer,
            "own": True,
            "first": first,
            "last": last,
            "team": team,
            "team_slug": team_slug,
            "refusal": refusal,
            "teams": selectors.team_choices(viewer=viewer),
        },
    )


@require_safe
@requires(Role.GUEST)
def member_report(request: WorkspaceRequest, workspace: str, member_id: int) -> HttpResponse:
    """Someone's individual figures, if the policy lets the viewer see them; the read is logged."""
    viewer = request.membership
    subject = selectors.subject_get_for(viewer, member_id)
    first, last = _range(request)
    report = selectors.personal_report(subject=subject, first=first, last=last)
    services.access_record(viewer=viewer, subject=subject, what=f"report {first} to {last}")
    return render(
        request,
        "tracking/reports.html",
        {
            "report": report,
            "subject": subject,
            "own": subject.pk == viewer.pk,
            "first": first,
            "last": last,
        },
    )


@require_safe
@requires(Role.GUEST)
def privacy(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Who read my figures and when; export and delete my tracking data."""
    log = selectors.access_log_for(viewer=request.membership)[:200]
    return render(
        request,
        "tracking/privacy.html",
        {"log": log, "confirmation": services.CONFIRMATION},
    )


@require_safe
@requires(Role.GUEST)
def export(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """All my tracking data as a JSON download."""
    data = selectors.export_for(viewer=request.membership)
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-tracking-data.json"'
    return response


@require_POST
@requires(Role.GUEST)
def delete(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Delete all my tracking data once I typed the confirmation."""
    try:
        counts = services.tracking_data_delete(
            acting=request.membership, confirmation=request.POST.get("confirmation", "")
        )
    except MeridianError as exc:
        messages.error(request, exc.detail)
        return redirect("tracking_privacy", workspace=workspace)
    messages.success(request, f"Deleted all your tracking data ({sum(counts.values())} records).")
    return redirect("tracking_privacy", workspace=workspace)
