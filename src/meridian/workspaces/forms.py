"""Forms of the workspaces pages; validation that matters lives in the services."""

import functools

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from meridian.core.errors import MeridianError
from meridian.core.workingtime import WorkingHoursError, format_hours, parse_hours
from meridian.workspaces.models import TEAM_DESCRIPTION_MAX, TIME_OFF_NOTE_MAX, Role
from meridian.workspaces.services import validate_time_zone

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@functools.cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone a person would pick (Region/City, and UTC), with a readable label."""
    from meridian.workspaces.services import iana_zone_names

    return [(z, z.replace("_", " ")) for z in sorted(iana_zone_names())]


@functools.cache
def zone_options() -> SafeString:
    """The zone picker's <option>s, escaped, built once per process.

    Six hundred options written by the template loop took about half of the profile page's
    time on every view (docs/benchmarks.md); the list only changes with the tz database.
    """
    return format_html_join("", '<option value="{}">{}</option>', zone_choices())


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100, label="Workspace name")
    slug = forms.CharField(
        max_length=50,
        required=False,
        label="Address",
        help_text="Lower-case letters, digits and hyphens. Leave empty to derive it from the name.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text="Admins manage members and settings; guests see but do not create.",
    )


class AcceptInvitationForm(forms.Form):
    """A new person sets their name and password while accepting an invitation."""

    display_name = forms.CharField(
        max_length=100, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password.",
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100, label="Team name")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=TEAM_DESCRIPTION_MAX
    )


class ProfileForm(forms.Form):
    """The profile editor: one text field of intervals per weekday, e.g. “09:00-12:00, 14:00-18:00”."""

    display_name = forms.CharField(
        max_length=100, label="Display name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    title = forms.CharField(
        max_length=100,
        required=False,
        label="Title",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
        help_text="What you do, e.g. “Backend engineer”.",
    )
    time_zone = forms.CharField(
        max_length=64,
        label="Time zone",
        widget=forms.TextInput(
            attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="Where you work from, as Region/City: start typing, e.g. “Kathmandu”.",
    )
    digest_time = forms.TimeField(
        required=False,
        label="Daily digest at",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="When your daily digest arrives, in your time zone.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for i, day in enumerate(WEEKDAYS):
            # Free text keeps split days ("09:00-12:00, 14:00-18:00") one field a phone can edit.
            self.fields[f"hours_{i}"] = forms.CharField(
                required=False,
                label=f"{day} working hours",
                widget=forms.TextInput(
                    attrs={"placeholder": "day off", "autocomplete": "off", "spellcheck": "false"}
                ),
            )
            self.fields[f"focus_{i}"] = forms.CharField(
                required=False,
                label=f"{day} focus time",
                widget=forms.TextInput(
                    attrs={"placeholder": "none", "autocomplete": "off", "spellcheck": "false"}
                ),
            )

    def clean_time_zone(self) -> str:
        # The service checks again on save; checking here too reports a bad zone together with
        # bad hours, instead of one after the other.
        try:
            return validate_time_zone(self.cleaned_data["time_zone"])
        except MeridianError as exc:
            raise forms.ValidationError(exc.detail) from None

    def _week(self, prefix: str) -> dict[str, list[list[int]]]:
        week: dict[str, list[list[int]]] = {}
        for i in range(len(WEEKDAYS)):
            try:
                intervals = parse_hours(self.cleaned_data.get(f"{prefix}_{i}", "") or "")
            except WorkingHoursError as exc:
                self.add_error(f"{prefix}_{i}", str(exc))
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


class TimeOffForm(forms.Form):
    """Days away, as dates of your own calendar (a rota skips you for any turn they touch)."""

    first_day = forms.DateField(
        label="First day away", widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label="Last day away", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        max_length=TIME_OFF_NOTE_MAX,
        required=False,
        label="Note",
        help_text="Optional, seen by you and admins, e.g. “Parental leave”.",
    )
