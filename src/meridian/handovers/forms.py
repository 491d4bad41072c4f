"""Forms of the handovers pages; the rules that matter live in the services."""

from collections.abc import Iterable
from typing import Any

from django import forms

from meridian.workspaces.models import Membership

SPREADS = [
    ("one", "All to one person"),
    ("round_robin", "Spread among several people in turn"),
]


def _choices(members: Iterable[Membership], leave_out: int | None) -> list[tuple[str, str]]:
    return [(str(m.pk), str(m.profile.display_name)) for m in members if m.pk != leave_out]


class HandoverForm(forms.Form):
    """Hand one item to another member, with a note."""

    receiver = forms.ChoiceField(label="Hand over to")
    note = forms.CharField(
        required=False,
        label="Note for them",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. What matters now, what is half-done, whom to ask.",
    )

    def __init__(
        self, *args: Any, members: Iterable[Membership], giver_id: int | None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        field = self.fields["receiver"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a member"), *_choices(members, giver_id)]


class QuestionForm(forms.Form):
    """Ask the other side of a handover, or answer their question."""

    body = forms.CharField(label="Your question", widget=forms.Textarea(attrs={"rows": 3}))


class EverythingForm(forms.Form):
    """Hand everything a member holds to one or several people."""

    receivers = forms.MultipleChoiceField(
        label="Hand over to",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="One person, or several to share the items in turn (hold Ctrl or ⌘).",
    )
    spread = forms.ChoiceField(
        choices=SPREADS, initial="round_robin", widget=forms.RadioSelect, label="How"
    )
    note = forms.CharField(
        required=False,
        label="Note for everyone receiving",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. Why, for how long, and where to find you if at all.",
    )

    def __init__(
        self, *args: Any, members: Iterable[Membership], giver_id: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["receivers"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _choices(members, giver_id)

    def receiver_ids(self) -> list[int]:
        chosen = [int(pk) for pk in self.cleaned_data["receivers"]]
        return chosen[:1] if self.cleaned_data["spread"] == "one" else chosen


def per_item_choices(data: Any, keys: Iterable[str], allowed: set[int]) -> dict[str, int]:
    """The receivers chosen item by item (``to-<kind>:<id>`` fields); blank means "in turn"."""
    chosen: dict[str, int] = {}
    for key in keys:
        value = data.get(f"to-{key}", "")
        if value.isdigit() and int(value) in allowed:
            chosen[key] = int(value)
    return chosen
