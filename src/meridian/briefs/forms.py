"""Forms of the briefs pages; the rules that matter live in the services."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from meridian.asks.forms import invitees_from_picker, urgent_field
from meridian.asks.people import Invitee
from meridian.briefs.models import AskKind, LinkRelation
from meridian.briefs.services import Deadline, Meeting

DEADLINE_CHOICES = [
    ("none", "No deadline"),
    ("day", "End of a day, in each person's own time zone"),
    ("instant", "A moment (your time)"),
]


class BriefForm(forms.Form):
    """Write or change a brief: the walkthrough, the ask, who is asked and by when."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        required=False,
        label="Walkthrough",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. What happened, what you propose, what the others need to know.",
    )
    ask_kind = forms.ChoiceField(choices=AskKind.choices, label="What you need", initial="feedback")
    questions = forms.CharField(
        required=False,
        label="Questions to answer",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One question per line.",
    )
    required = forms.MultipleChoiceField(
        required=False,
        label="Who must respond",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Choose people or whole teams (hold Ctrl or ⌘ to choose several).",
    )
    optional = forms.MultipleChoiceField(
        required=False,
        label="Who may respond (optional)",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    deadline_kind = forms.ChoiceField(
        choices=DEADLINE_CHOICES, initial="day", widget=forms.RadioSelect, label="Respond by"
    )
    deadline_date = forms.DateField(
        required=False,
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Due at the end of that day's working hours, wherever each person is.",
    )
    deadline_at = forms.DateTimeField(
        required=False,
        label="Moment",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    # Ticked in the day-off warning (templates/day_off_warning.html): send despite days off.
    # Its value is the warning's days_off_digest (meridian.asks.forms), so it agrees to that day for those people only.
    days_off_ok = forms.CharField(required=False, max_length=64)
    meeting_people = forms.IntegerField(
        required=False, min_value=1, label="People in the meeting this replaces"
    )
    # Only when writing a brief; its label says how many the author has left (views.brief_new).
    urgent = urgent_field()
    meeting_minutes = forms.IntegerField(
        required=False, min_value=1, label="Minutes the meeting would take"
    )

    def __init__(self, *args: Any, choices: list[Any], zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["required"].choices = choices  # type: ignore[attr-defined]
        self.fields["optional"].choices = choices  # type: ignore[attr-defined]
        self.fields["deadline_at"].help_text = f"In your time zone, {zone}."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("deadline_kind")
        if kind == "day" and not data.get("deadline_date"):
            self.add_error("deadline_date", "Choose the day.")
        if kind == "instant" and not data.get("deadline_at"):
            self.add_error("deadline_at", "Choose the date and time.")
        return data

    def invitees(self) -> list[Invitee]:
        data = self.cleaned_data
        return invitees_from_picker(data.get("required") or [], required=True) + (
            invitees_from_picker(data.get("optional") or [], required=False)
        )

    def deadline(self) -> Deadline:
        data = self.cleaned_data
        if data.get("deadline_kind") == "day":
            return Deadline(day=data["deadline_date"])
        if data.get("deadline_kind") == "instant":
            moment: datetime = data["deadline_at"]
            # The browser sends wall-clock time; it is the author's, in their profile's zone.
            return Deadline(at=moment.replace(tzinfo=ZoneInfo(self.zone)))
        return Deadline()

    def meeting(self) -> Meeting:
        return Meeting(
            self.cleaned_data.get("meeting_people"), self.cleaned_data.get("meeting_minutes")
        )

    def question_list(self) -> list[str]:
        return [q for q in (self.cleaned_data.get("questions") or "").splitlines() if q.strip()]


def parse_moment(text: str) -> float | None:
    """Read "1:05", "65" or "65.5" as seconds into a recording (None for empty text)."""
    text = text.strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) > 3 or not all(parts):
        raise ValueError(text)
    seconds = 0.0
    for part in parts[:-1]:
        if not part.isdigit():
            raise ValueError(text)
        seconds = seconds * 60 + int(part)
    return seconds * 60 + float(parts[-1]) if len(parts) > 1 else float(parts[-1])


class CommentForm(forms.Form):
    """Add to the thread: a comment, a question, a reply, optionally pinned to a moment."""

    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown; mention people with @ and the first part of their email, e.g. @ada.",
    )
    at = forms.CharField(
        required=False,
        label="Pin to moment",
        max_length=12,
        widget=forms.TextInput(attrs={"placeholder": "m:ss", "inputmode": "decimal"}),
        help_text="Optional: a moment in the recording, e.g. 1:05.",
    )
    is_question = forms.BooleanField(required=False, label="This is a question")
    # Only for a question: the brief's author is told at once (views._render_brief says how
    # many the viewer has left).
    urgent = urgent_field()
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    answers_parent = forms.BooleanField(required=False, label="This answers the question")

    def clean_at(self) -> float | None:
        try:
            return parse_moment(self.cleaned_data.get("at") or "")
        except ValueError:
            raise forms.ValidationError("Write the moment as minutes:seconds, e.g. 1:05.") from None


class ResponseForm(forms.Form):
    """A participant's response to the brief's ask."""

    body = forms.CharField(
        label="Your response",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown. Answer the questions above; this marks you as having responded.",
    )


class CommentEditForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 6}))


class LinkForm(forms.Form):
    """Relate another brief, a web address or a decision record to this brief."""

    relation = forms.ChoiceField(choices=LinkRelation.choices, initial=LinkRelation.CONTEXT)
    target_brief = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Another brief"
    )
    url = forms.CharField(required=False, max_length=2000, label="or a web address")
    # The menu offers the latest records; whether an id is one of the workspace's records is
    # the service's to say (so any record can be linked, and the refusal names the id).
    target_record = forms.IntegerField(
        required=False, min_value=1, label="or a decision", widget=forms.Select
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        briefs: list[Any],
        decisions: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_brief"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (b.pk, b.title) for b in briefs
        ]
        if decisions:
            menu = self.fields["target_record"].widget
            menu.choices = [("", "—"), *decisions]
        else:
            # Nothing to choose (no records yet, or no area registered decisions): no menu.
            del self.fields["target_record"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [
            name
            for name in ("target_brief", "url", "target_record")
            if name in self.fields and str(data.get(name) or "").strip()
        ]
        choose = (
            "Choose a brief, a decision or give a web address."
            if "target_record" in self.fields
            else "Choose a brief or give a web address."
        )
        if not chosen and not self.errors:
            raise forms.ValidationError(choose)
        if len(chosen) > 1:
            raise forms.ValidationError(f"Link one thing at a time. {choose[:-1]}, not several.")
        return data

    def target(self) -> str:
        """What the form links: brief, decision or url."""
        data = self.cleaned_data
        if data.get("target_brief"):
            return "brief"
        return "decision" if data.get("target_record") else "url"


class FileLinkForm(forms.Form):
    """Attach a file to this brief as related material (sent as multipart/form-data)."""

    file = forms.FileField(label="File")
    relation = forms.ChoiceField(choices=LinkRelation.choices, initial=LinkRelation.CONTEXT)
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, limit: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_text = f"Any kind of file up to {limit}; it is offered as a download."
        self.fields["file"].help_text = help_text
        self.fields["file"].error_messages["empty"] = (
            "The file is empty; choose a file that has something in it."
        )


class CloseForm(forms.Form):
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. What was learned or agreed, for whoever reads this brief later.",
    )
