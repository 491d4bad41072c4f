"""The shapes of the metrics API: the catalogue, custom metrics, pushed values, drill-down."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

SubjectName = Literal["workspace", "member", "project", "team"]


class PeriodValueOut(Schema):
    days: int = Field(..., description="The period: this many days of the workspace ending today.")
    first: date
    last: date
    value: float | None = Field(
        None, description="The metric's value; null is no data (never 0). Null for percentiles."
    )
    median: float | None = Field(None, description="For percentile metrics: the median.")
    p85: float | None = Field(None, description="For percentile metrics: the 85th percentile.")
    facts: int = Field(..., description="How many facts fed the value.")


class MetricOut(Schema):
    key: str
    label: str
    definition: str = Field(..., description="What the metric means, in plain words.")
    formula: str
    unit: str
    sources: str = Field(..., description="Which facts feed it.")
    aggregation: Literal["sum", "mean", "level", "percentiles"]
    area: str
    custom: bool
    values: list[PeriodValueOut] = Field(default_factory=list)


class CustomMetricIn(Schema):
    key: str = Field(..., max_length=60, description="Lowercase letters, digits, underscores.")
    label: str = Field(..., max_length=100)
    definition: str = Field(..., max_length=2000)
    unit: str = Field("", max_length=30)
    aggregation: Literal["sum", "mean", "level"] = "sum"


class ValueIn(Schema):
    at: datetime = Field(..., description="When the value holds (an instant with an offset).")
    value: float = Field(..., description="A finite number.")
    subject: SubjectName = "workspace"
    subject_id: int | None = Field(None, ge=1, description="The member, project or team id.")
    note: str = Field("", max_length=2000)


class ValueOut(Schema):
    metric: str
    at: datetime
    value: float
    subject: SubjectName
    subject_id: int | None
    note: str
    created: bool = Field(
        ...,
        description="False when the same metric, subject and time was "
        "pushed before: the value replaced the earlier one.",
    )


class ItemOut(Schema):
    occurred_at: datetime
    value: float
    title: str
    url: str = Field(..., description="The item's page, when its area links it.")
    kind: str = Field(..., description="The item's kind (task…); empty for pushed values.")
    id: int | None
    member: str
    note: str


class ItemsOut(Schema):
    metric: str
    first: date
    last: date
    total: int = Field(..., description="How many facts fall in the period.")
    items: list[ItemOut] = Field(..., description="The newest facts (at most 200).")


class MetricsSettingsIn(Schema):
    time_zone: str = Field(..., max_length=64, description="An IANA zone, e.g. Europe/Berlin.")


class MetricsSettingsOut(Schema):
    time_zone: str = Field(..., description="Whose midnights split the workspace's metric days.")
