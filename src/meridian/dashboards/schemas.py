"""The shapes of the dashboards API: a dashboard's charts with their numbers and links."""

from datetime import date
from typing import Literal

from ninja import Field, Schema

DashboardKind = Literal["team", "project", "person"]


class CellOut(Schema):
    value: float | str | None = Field(
        ..., description="A number (null: no data, never 0), or the row's label."
    )
    url: str = Field(..., description="The items behind the number (the metrics drill-down).")
    spark: list[float | None] = Field(
        default_factory=list, description="In the teams table: the weeks before, oldest first."
    )


class ChartOut(Schema):
    slug: str = Field(..., description="The chart's id, also in its CSV and JSON download.")
    title: str
    kind: Literal["series", "percentiles", "histogram", "key_result", "table"]
    unit: str
    metric: str
    description: str
    target: float | None = Field(None, description="A key result's target.")
    baseline: float | None = Field(None, description="A key result's baseline.")
    columns: list[str]
    rows: list[list[CellOut]] = Field(..., description="Each row's first cell is its label.")


class WeekOut(Schema):
    first: date
    last: date


class DashboardOut(Schema):
    kind: Literal["workspace", "team", "project", "person"]
    title: str
    today: date = Field(..., description="Today in the workspace's metric days.")
    time_zone: str = Field(..., description="Whose midnights split the days.")
    weeks: list[WeekOut]
    charts: list[ChartOut] = Field(..., description="One per metric (two for a percentile one).")
    key_results: list[ChartOut] = Field(..., description="Key results measured on the subject.")
    multiples: list[ChartOut] = Field(..., description="Workspace: one metric, per team.")
    table: ChartOut | None = Field(None, description="Workspace: teams × metrics.")
    hidden: list[str] = Field(
        ..., description="Metrics the tracking policy keeps to the person (person dashboards)."
    )
    custom_layout: bool = Field(..., description="The team chose the metrics shown.")


class LayoutIn(Schema):
    metrics: list[str] = Field(..., description="Metric keys, in the order shown.")


class LayoutOut(Schema):
    team_id: int
    metrics: list[str]
    custom: bool = Field(..., description="False: no choice saved, every metric is shown.")
