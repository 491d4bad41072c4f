"""Forms of the roles pages: a role and its duties, a holder to assign, a rota."""

from datetime import time

from django import forms

from meridian.roles.models import (
    DUTY_MAX,
    NAME_MAX,
    RESPONSIBILITIES_MAX,
    ROTA_MEMBERS_MAX,
    Cadence,
    Role,
    RotaPeriod,
)
from meridian.roles.services import DutyIn
from meridian.workspaces.models import Membership

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


def parse_duties(text: str) -> tuple[list[DutyIn], list[str]]:
    """Duties written one per line as “weekly: Check the error budget” (no prefix: weekly)."""
    duties: list[DutyIn] = []
    problems: list[str] = []
    for line in text.splitlines():
        line = line.strip().lstrip("-*•").strip()
        if not line:
            continue
        cadence = Cadence.WEEKLY.value
        head, sep, rest = line.partition(":")
        if sep and head.strip().lower() in Cadence.values:
            cadence, line = head.strip().lower(), rest.strip()
        if len(line) > DUTY_MAX:
            problems.append(f"Keep each duty under {DUTY_MAX} characters: “{line[:40]}…”.")
        elif line:
            duties.append(DutyIn(line, cadence))
    return duties, problems


def duties_text(role: Role) -> str:
    return "\n".join(f"{duty.cadence}: {duty.text}" for duty in role.duties.all())


class RoleForm(forms.Form):
    """A role's name, responsibilities (Markdown) and duties (one per line)."""

    name = forms.CharField(max_length=NAME_MAX, label="Name")
    responsibilities = forms.CharField(
        required=False,
        max_length=RESPONSIBILITIES_MAX,
        label="Responsibilities",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="What the holder is responsible for, how to do it, where things are. Markdown.",
    )
    duties = forms.CharField(
        required=False,
        label="Recurring duties",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "One per line, starting with how often: “daily: Triage new tickets”, “weekly: Review "
            "the release checklist”, “monthly: Rotate the keys” (no prefix: weekly)."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    archived = forms.BooleanField(
        required=False, label="Archived (kept for its history; nobody can be assigned)"
    )

    def clean_duties(self) -> list[DutyIn]:
        duties, problems = parse_duties(self.cleaned_data.get("duties") or "")
        if problems:
            raise forms.ValidationError(problems)
        return duties


class AssignForm(forms.Form):
    """Who should (also) hold the role."""

    member = forms.ModelChoiceField(
        queryset=Membership.objects.none(), label="Add a holder", empty_label="Choose a member"
    )

    def __init__(self, *args: object, members: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["member"]
        field.queryset = members  # type: ignore[attr-defined]
        field.label_from_instance = lambda m: m.profile.display_name  # type: ignore[attr-defined]


class RotaForm(forms.Form):
    """A rota: members in turn order (one select per place) and when turns change."""

    period = forms.ChoiceField(choices=RotaPeriod.choices, label="Turns change", initial="weekly")
    weekday = forms.TypedChoiceField(
        choices=WEEKDAY_CHOICES, coerce=int, label="On (weekly)", initial=0
    )
    every_days = forms.IntegerField(
        min_value=1, max_value=90, label="Every how many days", initial=7, required=False
    )
    at = forms.TimeField(
        label="At (local time)", initial=time(9, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    zone = forms.CharField(
        max_length=64,
        label="Time zone of the change",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    starts_on = forms.DateField(label="Starting on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self, *args: object, members: list[Membership] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "—")] + [(str(m.pk), m.profile.display_name) for m in members or []]
        for i in range(ROTA_MEMBERS_MAX):
            self.fields[f"member_{i}"] = forms.ChoiceField(
                choices=choices, required=False, label=f"Turn {i + 1}"
            )

    @property
    def member_fields(self) -> list[forms.BoundField]:
        return [self[f"member_{i}"] for i in range(ROTA_MEMBERS_MAX)]

    def member_ids(self) -> list[int]:
        return [
            int(self.cleaned_data[f"member_{i}"])
            for i in range(ROTA_MEMBERS_MAX)
            if self.cleaned_data.get(f"member_{i}")
        ]
