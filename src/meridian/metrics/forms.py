"""The metrics pages' forms: defining a custom metric, entering a value by hand."""

from datetime import datetime
from typing import Any

from django import forms

from meridian.core.moments import reader_zone
from meridian.metrics.models import CustomAggregation


class CustomMetricForm(forms.Form):
    key = forms.CharField(
        max_length=60,
        help_text="Lowercase letters, digits and underscores; the API names the metric by it.",
    )
    label = forms.CharField(max_length=100)
    unit = forms.CharField(max_length=30, required=False, help_text="e.g. “customers”, “€”, “%”.")
    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Say in plain words what it measures and where its values come from.",
    )
    aggregation = forms.ChoiceField(
        choices=CustomAggregation.choices, label="How a period's values combine"
    )


class ValueForm(forms.Form):
    value = forms.FloatField()
    at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In your own time zone.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Where the number comes from, so a reader can check it.",
    )

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["at"].help_text = f"Your own time ({reader_zone(zone).key})."

    def clean_at(self) -> datetime:
        # The browser sends the wall clock the member typed: it is their zone's, not the server's.
        value: datetime = self.cleaned_data["at"]
        return value.replace(tzinfo=None).replace(tzinfo=reader_zone(self.zone))
