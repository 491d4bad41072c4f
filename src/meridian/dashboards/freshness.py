"""When a dashboard may have changed: a version per workspace, in the database, bumped in the
same transaction as every write that can change one of its dashboards.

Two ways in, and nothing else writes what a dashboard reads:

* :data:`INPUTS` — the models a dashboard reads through the ORM (its title, layout, key
  results, metric definitions and zone, who is in which team, the tracking policy and who
  tracks time, the projects it links to). A ``post_save`` or ``post_delete`` of any of them
  bumps the version (:func:`connect`, from the app's ``ready``); a queryset ``delete()`` sends
  them too (Django fetches the rows when a receiver listens).
* :func:`bump` called by the metrics' maintenance, which writes the rollup and histogram rows
  with its own statements (no signals): ``rollups_apply``, ``histograms_apply``, their
  recomputes.

A test reads every table a dashboard's answer reads (each kind, page and API) and fails when
one is neither an input nor bumped by the maintenance, so a new read cannot be forgotten; and
it walks the writes, checking each one's dashboard is fresh after it.

A new row starts at a random version rather than 1: a workspace deleted and made again under
the same id (SQLite reuses the highest id) never meets its predecessor's cached answers.
"""

import secrets
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

# (app label, model name) of what a dashboard reads through the ORM; with the metrics'
# rollup and histogram tables (bumped by their maintenance) that is all it reads.
INPUTS: tuple[tuple[str, str], ...] = (
    ("workspaces", "Workspace"),  # its slug is in every link
    ("workspaces", "Membership"),  # who may see whose figures; the default metric zone
    ("workspaces", "Profile"),  # a person's dashboard's title; an admin's zone
    ("workspaces", "Team"),
    ("workspaces", "TeamMembership"),  # a team's size against the tracking policy's k
    ("metrics", "CustomMetric"),
    ("metrics", "MetricsSettings"),  # the workspace's metric zone
    ("goals", "Goal"),
    ("goals", "KeyResult"),
    ("dashboards", "TeamDashboard"),
    ("tracking", "TrackingPolicy"),  # its k and who may see individual figures
    ("tracking", "TimeEntry"),  # how many people track time (a workspace's figures)
    ("work", "Project"),  # a project's dashboard's title, the workspace's list of them
)
# Written by the metrics' maintenance, which calls bump() itself.
MAINTAINED: tuple[tuple[str, str], ...] = (
    ("metrics", "MetricRollup"),
    ("metrics", "MetricHistogram"),
)


# DashboardVersion's table (a test checks the name), quoted alike on SQLite and PostgreSQL.
_BUMP = (
    'INSERT INTO "dashboards_dashboardversion" ("workspace_id", "version") VALUES (%s, %s) '
    'ON CONFLICT ("workspace_id") DO UPDATE '
    'SET "version" = "dashboards_dashboardversion"."version" + 1'
)
_BUMP_EXISTING = (
    'UPDATE "dashboards_dashboardversion" SET "version" = "version" + 1 WHERE "workspace_id" = %s'
)
_READ = 'SELECT "version" FROM "dashboards_dashboardversion" WHERE "workspace_id" = %s'


def bump(workspace_id: int, *, create: bool = True) -> None:
    """Mark every dashboard of the workspace changed; one statement, in the caller's
    transaction (rolled back with it). ``create=False`` (a delete) only bumps a row that
    exists: a workspace being deleted has lost its row already, and without a row nothing
    of it is cached (:func:`version_of`)."""
    with connection.cursor() as cursor:
        if create:
            cursor.execute(_BUMP, [workspace_id, secrets.randbits(62)])
        else:
            cursor.execute(_BUMP_EXISTING, [workspace_id])


def version_of(workspace_id: int) -> int | None:
    """The workspace's dashboard version; one small read. None before its first write since
    the cache came: its answers are not cached until a write gives it a version."""
    with connection.cursor() as cursor:
        cursor.execute(_READ, [workspace_id])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _workspace_of(instance: Model) -> int | None:
    if instance._meta.label == "workspaces.Workspace":
        return int(instance.pk)
    found = getattr(instance, "workspace_id", None)
    if found is None and instance._meta.label == "goals.KeyResult":
        from meridian.goals.models import Goal

        found = (
            Goal.objects.filter(pk=instance.goal_id)  # type: ignore[attr-defined]
            .values_list("workspace_id", flat=True)
            .first()
        )
    return int(found) if found is not None else None


def _changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    workspace_id = _workspace_of(instance)
    if workspace_id is None:
        return
    bump(workspace_id, create=kwargs.get("signal") is not post_delete)


def input_models() -> list[type[Model]]:
    return [apps.get_model(label, name) for label, name in INPUTS]


def connect() -> None:
    """Bump on every save and delete of the inputs (called once, from the app's ready)."""
    for model in input_models():
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboards-{model._meta.label}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"dashboards-del-{model._meta.label}"
        )
