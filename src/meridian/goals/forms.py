"""The goals pages' forms (no JavaScript): a goal, a key result. Choices come from the
viewer's workspace only; the services check again."""

from typing import Any

from django import forms

from meridian.goals.models import Goal
from meridian.metrics.selectors import metric_list_for
from meridian.work.selectors import project_list_for
from meridian.workspaces.models import Membership, Profile, Team


def _people(viewer: Membership) -> list[tuple[str, str]]:
    return [
        (str(m), name)
        for m, name in Profile.objects.filter(
            workspace_id=viewer.workspace_id, membership__is_active=True
        )
        .order_by("display_name")
        .values_list("membership_id", "display_name")
    ]


def _teams(viewer: Membership) -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in Team.objects.filter(workspace_id=viewer.workspace_id).values_list(
            "pk", "name"
        )
    ]


class GoalForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        required=False,
        help_text="Why this goal matters (Markdown).",
    )
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due date")
    owner = forms.TypedChoiceField(coerce=int)
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    parent = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Supports the goal"
    )

    def __init__(self, *args: Any, viewer: Membership, goal: Goal | None = None, **kw: Any):
        super().__init__(*args, **kw)
        fields: Any = self.fields
        fields["owner"].choices = _people(viewer)
        fields["team"].choices = [("", "No team"), *_teams(viewer)]
        others = Goal.objects.filter(workspace_id=viewer.workspace_id)
        if goal is not None:
            others = others.exclude(pk=goal.pk)
        fields["parent"].choices = [
            ("", "None (a top-level goal)"),
            *((str(pk), title) for pk, title in others.values_list("pk", "title")),
        ]


class KeyResultForm(forms.Form):
    title = forms.CharField(max_length=200)
    metric = forms.ChoiceField(help_text="Its value comes from this metric's daily figures.")
    measured_on = forms.ChoiceField(label="Measured on")
    baseline = forms.FloatField(help_text="Where it starts.")
    target = forms.FloatField(help_text="Where it should be by the due date.")
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Start date")
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due date")

    def __init__(self, *args: Any, viewer: Membership, **kw: Any):
        super().__init__(*args, **kw)
        fields: Any = self.fields
        fields["metric"].choices = [(m.key, m.label) for m in metric_list_for(viewer)]
        fields["measured_on"].choices = [
            ("workspace:0", "The whole workspace"),
            *((f"team:{pk}", f"Team {name}") for pk, name in _teams(viewer)),
            *((f"member:{pk}", name) for pk, name in _people(viewer)),
            *((f"project:{p.pk}", f"Project {p.name}") for p in project_list_for(viewer=viewer)),
        ]

    def subject(self) -> tuple[str, int | None]:
        kind, _, raw = self.cleaned_data["measured_on"].partition(":")
        return kind, (int(raw) or None)
