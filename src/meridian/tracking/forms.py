"""Forms of the tracking pages: a time entry (times in the member's own zone), the policy and
its category rules."""

from datetime import datetime, timedelta
from typing import Any

from django import forms

from meridian.core import registry
from meridian.core.moments import reader_zone
from meridian.tracking import rules
from meridian.tracking.models import RuleField, Visibility


def _aware(value: datetime | None, zone: str) -> datetime | None:
    """A datetime-local value read on the member's own wall clock (the first of a repeated hour)."""
    if value is None:
        return None
    return value.replace(tzinfo=reader_zone(zone))


class EntryForm(forms.Form):
    """A span of time by hand: start, then an end or a duration."""

    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    duration_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=10080, label="Or duration (minutes)"
    )
    note = forms.CharField(required=False, max_length=500)
    tags = forms.CharField(required=False, max_length=800, help_text="Separated by commas.")
    link_kind = forms.ChoiceField(required=False, label="Linked to")
    link_id = forms.IntegerField(required=False, min_value=1, label="Its number")

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        kinds = registry.link_kinds()
        link_kind = self.fields["link_kind"]
        assert isinstance(link_kind, forms.ChoiceField)
        link_kind.choices = [("", "Nothing")] + [
            (k, kinds[k].noun.capitalize()) for k in sorted(kinds)
        ]
        self.fields["start"].help_text = f"Your own time ({reader_zone(zone).key})."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start = _aware(data.get("start"), self.zone)
        end = _aware(data.get("end"), self.zone)
        if start and end is None and data.get("duration_minutes"):
            end = start + timedelta(minutes=data["duration_minutes"])
        if start and end is None and not self.errors:
            self.add_error("end", "Give an end or a duration.")
        data["start"], data["end"] = start, end
        data["tags"] = [t for t in (data.get("tags") or "").split(",") if t.strip()]
        return data


class PolicyForm(forms.Form):
    """What the workspace's agents may share, how long raw slots stay, k, who sees whom."""

    allow_apps = forms.BooleanField(required=False, label="Members may share app names")
    allow_titles = forms.BooleanField(
        required=False, label="Members may share window titles (needs app names)"
    )
    retention_days = forms.IntegerField(
        min_value=1, max_value=3650, label="Keep raw 15-minute slots for (days)"
    )
    min_group_size = forms.IntegerField(
        min_value=2, max_value=1000, label="Smallest group a team report may show (k)"
    )
    individual_visibility = forms.ChoiceField(
        choices=Visibility.choices, label="Who may see a person's individual figures"
    )


class FocusCategoriesForm(forms.Form):
    """Which categories of synced activity count as focus time: one per line."""

    names = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Focus categories",
        help_text="One category per line, as the rules or the agents name it (e.g. Coding). "
        "Leave empty for none.",
    )

    def clean_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["names"].splitlines() if line.strip()]


class CategoryRuleForm(forms.Form):
    """One workspace category rule: where to search, the pattern, and the category it gives."""

    field = forms.ChoiceField(choices=RuleField.choices, label="Search in")
    pattern = forms.CharField(
        max_length=rules.PATTERN_MAX,
        label="Pattern (regular expression)",
        help_text="Searched ignoring case, e.g. <code>zoom|teams|jitsi</code>.",
        strip=False,
    )
    category = forms.CharField(max_length=rules.CATEGORY_MAX, label="Category")
