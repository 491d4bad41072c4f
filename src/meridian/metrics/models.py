"""Metrics: facts written once per event, daily rollups kept from them, custom metrics.

A fact's ``day`` is the date its ``occurred_at`` falls on in the workspace's metrics time zone
(``MetricsSettings``: the first admin's zone, fixed when the first fact is written, until an
admin sets another), so "a day" is the same 24 hours for every
member of the workspace, whatever their own zone.
"""

from django.db import models


class Subject(models.TextChoices):
    """What a rollup row is about: the whole workspace, one member, one project or one team."""

    WORKSPACE = "workspace", "Workspace"
    MEMBER = "member", "Member"
    PROJECT = "project", "Project"
    TEAM = "team", "Team"


class CustomAggregation(models.TextChoices):
    """How a custom metric's values over a period become one number."""

    SUM = "sum", "Sum of the values"
    MEAN = "mean", "Average of the values"
    LEVEL = "level", "Latest total (values are changes of a running total)"


class MetricsSettings(models.Model):
    """A workspace's metrics settings: the time zone whose midnights split the days."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"Metrics of {self.workspace_id} in {self.time_zone}"


class CustomMetric(models.Model):
    """A metric a workspace defines itself; its values are pushed through the API or typed in."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=100)
    unit = models.CharField(max_length=30, blank=True)
    definition = models.TextField(max_length=2000)
    aggregation = models.CharField(
        max_length=10, choices=CustomAggregation.choices, default=CustomAggregation.SUM
    )
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="custom_metric_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class MetricFact(models.Model):
    """One measured event (a task done, a value pushed): written once, the truth rollups sum.

    ``fact_key`` names the fact within its metric (``task:42:done``, ``push:member:7@<time>``),
    so the same event written again replaces its fact instead of counting twice. ``source_kind``
    and ``source_id`` point at the item behind the number, for the drill-down.
    """

    # No index of its own: the unique key and both indexes start with the workspace. Not a
    # database constraint (migration 0008), nor is ``entered_by``: PostgreSQL checked each row
    # by row at commit, a tenth of an insert's server time; facts are written only by
    # ``metrics.services`` for the write's workspace, and deleting a workspace or a member still
    # deletes their facts or empties ``entered_by`` (Django's cascade and SET_NULL).
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    metric = models.CharField(max_length=60)
    fact_key = models.CharField(max_length=200)
    source_kind = models.CharField(max_length=30, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    # Plain ids, not foreign keys: a fact outlives neither nor needs the row (a member who left,
    # a project in an area that may not be installed); the drill-down resolves them.
    member_id = models.BigIntegerField(null=True, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    day = models.DateField()
    value = models.FloatField()
    # ``rollup.bucket_of(value)``, written with the value by the metrics services (never by
    # hand): a rebuild groups facts by it in SQL and so finds the incremental path's buckets.
    bucket = models.IntegerField(default=0)
    note = models.TextField(blank=True)
    # Indexed only where set (``metric_fact_entered_idx``): most facts come from the work, not
    # from someone's hand, and an index entry per fact was a write's cost for nothing.
    entered_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "metric", "fact_key"], name="metric_fact_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "metric", "day"], name="metric_fact_day_idx"),
            models.Index(
                fields=["workspace", "source_kind", "source_id"], name="metric_fact_source_idx"
            ),
            # A member's removal sets their entered facts' ``entered_by`` to NULL through it.
            models.Index(
                fields=["entered_by"],
                condition=models.Q(entered_by__isnull=False),
                name="metric_fact_entered_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.fact_key} = {self.value}"


class MetricRollup(models.Model):
    """The count and sum of one metric's facts for one subject on one day (kept incrementally).

    A row exists only while at least one fact feeds it, so "no row" means "no data".
    """

    # The row's key is its primary key: on SQLite the table is ``WITHOUT ROWID`` (migration
    # 0005), so an upsert walks one B-tree, not a table and its unique index. On PostgreSQL its
    # index takes the subject id second (migration 0008: comparisons end on a bigint rather
    # than going through the texts); every reader gives all of its columns but the day.
    pk = models.CompositePrimaryKey("workspace", "metric", "subject", "subject_id", "day")
    # No index of its own: the key starts with the workspace. Not a database constraint
    # (migration 0006): PostgreSQL checked it row by row at commit, a fifth of a write's server
    # time; the rows are written with their facts, whose own key checks the workspace, and
    # deleting a workspace still deletes them (Django's cascade).
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    metric = models.CharField(max_length=60)
    subject = models.CharField(max_length=10, choices=Subject.choices)
    subject_id = models.BigIntegerField()  # 0 for the workspace itself
    day = models.DateField()
    count = models.BigIntegerField()
    total = models.FloatField()

    def __str__(self) -> str:
        return f"{self.metric} {self.subject}:{self.subject_id} {self.day}"


class HistogramSpan(models.TextChoices):
    """How long a histogram row's stretch is: one day, or the whole month ``day`` starts."""

    DAY = "day", "Day"
    MONTH = "month", "Month"


class MetricHistogram(models.Model):
    """How many of a percentile metric's facts (and their sum) fall in one value bucket, for one
    subject on one day or in one month (kept incrementally, like :class:`MetricRollup`).

    Buckets are 5 % wide on a log scale (``meridian.metrics.rollup.bucket_of``), so a period's
    percentiles are read from O(days × buckets) rows, however many facts there are; a year is
    read from its whole months' rows and the days at its edges. A row exists only while at
    least one fact feeds it.
    """

    # As :class:`MetricRollup`'s: the key is the primary key (``WITHOUT ROWID`` on SQLite; the
    # subject id second in PostgreSQL's index).
    pk = models.CompositePrimaryKey(
        "workspace", "metric", "subject", "subject_id", "span", "day", "bucket"
    )
    # As :class:`MetricRollup`'s: no index of its own, not a database constraint.
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    metric = models.CharField(max_length=60)
    subject = models.CharField(max_length=10, choices=Subject.choices)
    subject_id = models.BigIntegerField()  # 0 for the workspace itself
    span = models.CharField(max_length=5, choices=HistogramSpan.choices)
    day = models.DateField()  # the first of the month for a month's row
    bucket = models.IntegerField()
    count = models.BigIntegerField()
    total = models.FloatField()

    def __str__(self) -> str:
        return (
            f"{self.metric} {self.subject}:{self.subject_id} {self.span} {self.day} #{self.bucket}"
        )
