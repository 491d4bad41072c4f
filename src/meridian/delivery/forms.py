"""The notification preferences form: a channel per kind, quiet hours, digest time."""

from typing import Any

from django import forms

from meridian.delivery.models import Channel
from meridian.delivery.selectors import Preferences
from meridian.delivery.services import MAX_URGENT_BUDGET


def field_name(kind: str) -> str:
    return f"channel_{kind}"


class PreferencesForm(forms.Form):
    quiet_hours = forms.CharField(
        required=False,
        max_length=200,
        label="Quiet hours",
        help_text="Every day, in your own time zone, e.g. <code>22:00-07:00</code>. "
        "Only urgent notifications reach you then.",
    )
    digest_time = forms.TimeField(
        required=False,
        label="Daily digest at",
        help_text="Your local time; 09:00 if you leave it empty.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args: Any, preferences: Preferences, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = preferences.kinds
        for choice in preferences.kinds:
            self.fields[field_name(choice.kind)] = forms.ChoiceField(
                label=choice.label,
                choices=Channel.choices,
                initial=choice.channel,
                help_text=choice.description,
                widget=forms.RadioSelect,
            )
        self.initial.setdefault("quiet_hours", preferences.quiet_hours_text)
        self.initial.setdefault("digest_time", preferences.digest_time)

    def channel_fields(self) -> list[forms.BoundField]:
        return [self[field_name(choice.kind)] for choice in self.kinds]

    def channels(self) -> dict[str, str]:
        return {choice.kind: self.cleaned_data[field_name(choice.kind)] for choice in self.kinds}


class UrgentPolicyForm(forms.Form):
    """An admin's weekly urgent budget per member (the service checks the range, as the API)."""

    weekly_budget = forms.IntegerField(
        label="Urgent notifications each member may send a week",
        help_text=(
            f"From 0 (nobody can send urgently) to {MAX_URGENT_BUDGET}. An urgent notification "
            "reaches people at once, even outside their working hours, and names its sender."
        ),
        widget=forms.NumberInput(
            attrs={"min": 0, "max": MAX_URGENT_BUDGET, "inputmode": "numeric"}
        ),
    )
