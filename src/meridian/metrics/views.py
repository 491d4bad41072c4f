"""The metrics pages: the catalogue, the items behind a number, defining a metric, entering a
value by hand. Thin: parse, access helper, service or selector, render."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from meridian.core.errors import MeridianError, NotFound
from meridian.core.forms import add_service_errors
from meridian.metrics import selectors, services
from meridian.metrics.forms import CustomMetricForm, ValueForm
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

DAY_CHOICES = (7, 30, 90, 365)


@require_safe
@requires(Role.GUEST)
def catalogue(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Every metric: what it means, how it is computed, and its value for the workspace."""
    viewer = request.membership
    metrics = selectors.metric_list_for(viewer)
    periods = [selectors.last_days(days, viewer.workspace_id) for days in selectors.PERIODS]
    values = [selectors.values_for(viewer, metrics, period) for period in periods]
    rows = [
        {"metric": m, "values": [(p, v[m.key]) for p, v in zip(periods, values, strict=True)]}
        for m in metrics
    ]
    return render(
        request,
        "metrics/catalogue.html",
        {"rows": rows, "periods": periods, "zone": services.zone_of(viewer.workspace_id)},
    )


def _range(request: WorkspaceRequest) -> selectors.Period | None:
    """``?first=…&last=…`` (the workspace's days, both included, at most a year), if valid."""
    try:
        first = date.fromisoformat(request.GET.get("first", ""))
        last = date.fromisoformat(request.GET.get("last", ""))
    except ValueError:
        return None
    if last < first or (last - first).days >= 366:
        return None
    return selectors.Period(first, last, (last - first).days + 1)


def _subject(request: WorkspaceRequest) -> tuple[str, int | None]:
    """``?subject=team&subject_id=4``; ids of another workspace match none of this one's facts."""
    subject = request.GET.get("subject", "workspace")
    raw = request.GET.get("subject_id", "")
    if subject in ("member", "project", "team") and raw.isdigit():
        return subject, int(raw)
    return "workspace", None


@require_safe
@requires(Role.GUEST)
def drilldown(request: WorkspaceRequest, workspace: str, key: str) -> HttpResponse:
    """The items behind a metric's number over the last few days, each linking to its page."""
    viewer = request.membership
    try:
        metric = selectors.metric_get_for(viewer, key)
    except NotFound:
        raise Http404 from None
    days = int(request.GET["days"]) if request.GET.get("days", "") in map(str, DAY_CHOICES) else 7
    ranged = _range(request)
    period = ranged or selectors.last_days(days, viewer.workspace_id)
    subject, subject_id = _subject(request)
    try:
        subject_label = selectors.subject_label_for(viewer, subject, subject_id)
    except NotFound:
        raise Http404 from None
    value = selectors.values_for(viewer, [metric], period, subject=subject, subject_id=subject_id)[
        metric.key
    ]
    items, total = selectors.items_for(
        viewer, metric, period, subject=subject, subject_id=subject_id
    )
    return render(
        request,
        "metrics/items.html",
        {
            "metric": metric,
            "period": period,
            "ranged": ranged is not None,
            "subject": subject,
            "subject_label": subject_label,
            "value": value,
            "items": items,
            "total": total,
            "day_choices": DAY_CHOICES,
            "zone": services.zone_of(viewer.workspace_id),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Role.ADMIN)
def custom_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """An admin defines a metric of the workspace's own."""
    form = CustomMetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            metric = services.custom_metric_create(acting=request.membership, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Metric “{metric.label}” defined.")
            return redirect("metrics_items", workspace=workspace, key=metric.key)
    status = 422 if request.method == "POST" else 200
    return render(request, "metrics/custom_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def value_new(request: WorkspaceRequest, workspace: str, key: str) -> HttpResponse:
    """Enter a custom metric's value by hand, with a note saying where it comes from."""
    viewer = request.membership
    try:
        metric = services.custom_metric_for(viewer, key)
    except NotFound:
        raise Http404 from None
    form = ValueForm(request.POST or None, zone=viewer.profile.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.value_push(
                acting=viewer, metric=metric, at=data["at"], value=data["value"], note=data["note"]
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Value of “{metric.label}” saved.")
            return redirect("metrics_items", workspace=workspace, key=metric.key)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "metrics/value_new.html", {"metric": metric, "form": form}, status=status
    )
