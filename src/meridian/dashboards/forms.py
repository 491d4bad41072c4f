"""The dashboards pages' form (no JavaScript): which metrics a team's dashboard shows, in
which order. Choices come from the viewer's workspace only; the service checks again."""

from typing import Any

from django import forms

from meridian.metrics.selectors import MetricInfo


class LayoutForm(forms.Form):
    """One "show" box and one position per metric; shown metrics are ordered by position."""

    def __init__(self, *args: Any, metrics: list[MetricInfo], chosen: list[str], **kw: Any):
        super().__init__(*args, **kw)
        self.metrics = metrics
        position = {key: i + 1 for i, key in enumerate(chosen)}
        for i, metric in enumerate(metrics):
            self.fields[f"show_{metric.key}"] = forms.BooleanField(
                required=False, label=f"Show {metric.label}", initial=metric.key in position
            )
            self.fields[f"position_{metric.key}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=99,
                label=f"Position of {metric.label}",
                initial=position.get(metric.key, len(chosen) + i + 1),
            )

    def rows(self) -> list[tuple[MetricInfo, Any, Any]]:
        return [(m, self[f"show_{m.key}"], self[f"position_{m.key}"]) for m in self.metrics]

    def chosen(self) -> list[str]:
        """The shown metrics' keys by position (ties keep the catalogue's order)."""
        data = self.cleaned_data
        shown = [
            (data.get(f"position_{m.key}") or 99, i, m.key)
            for i, m in enumerate(self.metrics)
            if data.get(f"show_{m.key}")
        ]
        return [key for _, _, key in sorted(shown)]
