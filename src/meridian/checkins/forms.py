"""Forms of the check-ins pages: defining a check-in, and answering one."""

from django import forms

from meridian.checkins.models import (
    ANSWER_MAX,
    BLOCKER_MAX,
    DEFAULT_QUESTIONS,
    NAME_MAX,
    Checkin,
)
from meridian.workspaces.models import Membership, Team

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
MOOD_CHOICES = [
    ("", "Rather not say"),
    ("1", "1 — rough"),
    ("2", "2"),
    ("3", "3 — fine"),
    ("4", "4"),
    ("5", "5 — great"),
]


class CheckinForm(forms.Form):
    """A check-in: its team, questions (one per line), weekdays, local time and mood question."""

    name = forms.CharField(max_length=NAME_MAX, label="Name", initial="Daily check-in")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Team")
    questions = forms.CharField(
        required=False,
        label="Questions",
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="\n".join(DEFAULT_QUESTIONS),
        help_text="One per line. Ask what was finished first and what is next last: the answer "
        "page shows yesterday's “next” beside today's “finished”. Everyone can also name a "
        "blocker.",
    )
    weekdays = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Weekdays",
        initial=[0, 1, 2, 3, 4],
        help_text="In each member's own zone; their days off and time off are skipped.",
    )
    ask_time = forms.TimeField(
        required=False,
        label="Local time to ask",
        initial="09:30",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Each member is asked at this time on their own clock, inside their working "
        "hours.",
    )
    ask_mood = forms.BooleanField(
        required=False, label="Also ask for a mood (1–5, private unless the member shares it)"
    )
    archived = forms.BooleanField(required=False, label="Archived (no longer asked)")
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, teams: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def question_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["questions"].splitlines()]


def checkin_initial(checkin: Checkin) -> dict[str, object]:
    return {
        "name": checkin.name,
        "team": checkin.team_id,
        "questions": "\n".join(checkin.questions),
        "weekdays": checkin.weekdays,
        "ask_time": checkin.ask_time,
        "ask_mood": checkin.ask_mood,
        "archived": checkin.archived_at is not None,
    }


class AnswerForm(forms.Form):
    """Answers to a prompt's questions (Markdown), a mood, and a blocker naming a task or person."""

    mood = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=MOOD_CHOICES, label="Mood"
    )
    mood_shared = forms.BooleanField(
        required=False, label="Show my mood to the team (otherwise only I see it)"
    )
    blocker = forms.CharField(
        required=False,
        max_length=BLOCKER_MAX,
        label="Anything blocking you?",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Name the task or the person who can unblock you: they find it in their inbox.",
    )
    # Any id passes the form: the service answers 404 for a task or person not in the workspace.
    blocker_task = forms.IntegerField(required=False, widget=forms.Select, label="Blocked on task")
    blocker_person = forms.IntegerField(
        required=False, widget=forms.Select, label="Blocked on person"
    )

    def __init__(
        self,
        *args: object,
        questions: list[str],
        ask_mood: bool,
        tasks: list[tuple[int, str]],
        people: list[Membership],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        answers = {}
        for n, question in enumerate(questions):
            answers[f"answer_{n}"] = forms.CharField(
                required=False,
                max_length=ANSWER_MAX,
                label=question,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="Markdown." if n == 0 else "",
            )
        self.fields = {**answers, **self.fields}
        self.question_count = len(questions)
        if not ask_mood:
            del self.fields["mood"]
            del self.fields["mood_shared"]
        self.fields["blocker_task"].widget.choices = [("", "No task"), *tasks]
        self.fields["blocker_person"].widget.choices = [
            ("", "Nobody in particular"),
            *((m.pk, m.profile.display_name) for m in people),
        ]

    def answers(self) -> list[str]:
        return [self.cleaned_data.get(f"answer_{n}", "") for n in range(self.question_count)]

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"answer_{n}"] for n in range(self.question_count)]
