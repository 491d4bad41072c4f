"""Forms of the workspaces pages; validation that matters lives in the services."""

import zoneinfo

from django import forms

from meridian.core.workingtime import WorkingHoursError, format_hours, parse_hours
from meridian.workspaces.models import Role

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def zone_choices() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones())]


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100, label="Workspace name")
    slug = forms.CharField(
        max_length=50,
        required=False,
        label="Address",
        help_text="Lower-case letters, digits and hyphens. Leave empty to derive it from the name.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class AcceptInvitationForm(forms.Form):
    """A new person sets their name and password while accepting an invitation."""

    display_name = forms.CharField(max_length=100, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ProfileForm(forms.Form):
    """The profile editor: one text field of intervals per weekday, e.g. “09:00-12:00, 14:00-18:00”."""

    display_name = forms.CharField(max_length=100)
    title = forms.CharField(max_length=100, required=False)
    time_zone = forms.CharField(
        max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        help_text="Your IANA time zone, e.g. Europe/Berlin.",
    )
    digest_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="When your daily digest arrives, in your time zone.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for i, day in enumerate(WEEKDAYS):
            self.fields[f"hours_{i}"] = forms.CharField(
                required=False,
                label=day,
                widget=forms.TextInput(
                    attrs={"placeholder": "09:00-17:00", "inputmode": "numeric"}
                ),
            )
            self.fields[f"focus_{i}"] = forms.CharField(
                required=False,
                label=f"Focus on {day}",
                widget=forms.TextInput(attrs={"placeholder": "e.g. 09:00-11:00"}),
            )

    def _week(self, prefix: str) -> dict[str, list[list[int]]]:
        week: dict[str, list[list[int]]] = {}
        for i, day in enumerate(WEEKDAYS):
            try:
                intervals = parse_hours(self.cleaned_data.get(f"{prefix}_{i}", "") or "")
            except WorkingHoursError as exc:
                self.add_error(f"{prefix}_{i}", f"{day}: {exc}")
                continue
            if intervals:
                week[str(i)] = [[a, b] for a, b in intervals]
        return week

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        data["working_hours"] = self._week("hours")
        data["focus_blocks"] = self._week("focus")
        return data

    @staticmethod
    def initial_for(profile: object) -> dict[str, object]:
        initial: dict[str, object] = {
            "display_name": profile.display_name,  # type: ignore[attr-defined]
            "title": profile.title,  # type: ignore[attr-defined]
            "time_zone": profile.time_zone,  # type: ignore[attr-defined]
            "digest_time": profile.digest_time,  # type: ignore[attr-defined]
        }
        for i in range(7):
            hours = profile.working_hours.get(str(i), [])  # type: ignore[attr-defined]
            focus = profile.focus_blocks.get(str(i), [])  # type: ignore[attr-defined]
            initial[f"hours_{i}"] = format_hours([tuple(x) for x in hours])
            initial[f"focus_{i}"] = format_hours([tuple(x) for x in focus])
        return initial
