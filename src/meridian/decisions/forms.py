"""Forms of the decisions pages; the rules that matter live in the services and the tally."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from meridian.asks.forms import invitees_from_picker, urgent_field
from meridian.asks.people import Invitee
from meridian.briefs.models import Comment
from meridian.decisions.ballots import Ballot
from meridian.decisions.models import (
    DeadlineKind,
    DecisionRecord,
    Kind,
    Option,
    Proposal,
    Rule,
    Visibility,
)
from meridian.decisions.services import Deadline, OptionSpec, options_from_comments
from meridian.decisions.tally import Position

POSITIONS = [
    (Position.AGREE.value, "Agree"),
    (Position.ABSTAIN.value, "Abstain"),
    (Position.OBJECT.value, "Object (give a reason)"),
    (Position.BLOCK.value, "Block (give a reason)"),
]


class ProposalForm(forms.Form):
    """Draft or change a proposal: the question, how positions are gathered, the rule, who, when."""

    title = forms.CharField(max_length=200, label="Question", help_text="What is to be decided?")
    body = forms.CharField(
        required=False,
        label="Context and proposal",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. What is proposed, and what people need to know to take a stance.",
    )
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.CONSENT, label="Kind")
    options = forms.CharField(
        required=False,
        label="Options",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One option per line (not for consent proposals).",
    )
    from_comments = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Use these comments of the brief as options",
        widget=forms.CheckboxSelectMultiple,
    )
    max_choices = forms.IntegerField(
        required=False, min_value=1, label="Multiple choice: at most this many choices"
    )
    score_max = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="Score: the highest score", initial=5
    )
    dot_budget = forms.IntegerField(
        required=False, min_value=1, max_value=1000, label="Dot vote: points per person", initial=10
    )
    rule = forms.ChoiceField(
        choices=Rule.choices,
        initial=Rule.OWNER_DECIDES,
        widget=forms.RadioSelect,
        label="Decision rule",
        help_text="Shown to everyone; it cannot change once the first stance is in.",
    )
    quorum_pct = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Quorum (% of participants, optional)",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.BLIND,
        widget=forms.RadioSelect,
        label="How positions are gathered",
    )
    anonymous = forms.BooleanField(
        required=False,
        label="Anonymous: nobody can ever see who chose what",
        help_text="Who took part is still shown; a stance is final once cast.",
    )
    participants = forms.MultipleChoiceField(
        label="Who is asked",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Choose people or whole teams (hold Ctrl or ⌘ to choose several). You are always asked too.",
    )
    teams = forms.MultipleChoiceField(
        required=False,
        label="Teams this decision concerns",
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="Its record shows on these teams' decision log and start-here page.",
    )
    tags = forms.CharField(
        required=False,
        max_length=500,
        label="Tags",
        help_text="Comma separated, e.g. pricing, hiring.",
    )
    # Ticked in the day-off warning (templates/day_off_warning.html): go ahead despite days off.
    # Its value is the warning's days_off_digest (meridian.asks.forms): that day, those people.
    days_off_ok = forms.CharField(required=False, max_length=64)
    deadline_kind = forms.ChoiceField(
        choices=DeadlineKind.choices,
        initial=DeadlineKind.LOCAL_DAY,
        widget=forms.RadioSelect,
        label="Closes",
    )
    deadline_date = forms.DateField(
        required=False,
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At the end of that day's working hours, wherever each person is.",
    )
    deadline_at = forms.DateTimeField(
        required=False,
        label="Moment",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    # Only when opening a new proposal; its label says how many are left (views._proposal_form).
    urgent = urgent_field()

    def __init__(
        self,
        *args: Any,
        choices: list[Any],
        teams: list[tuple[str, str]],
        zone: str,
        comments: Sequence[Comment] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.comments = {c.pk: c for c in comments}
        self.fields["participants"].choices = choices  # type: ignore[attr-defined]
        self.fields["teams"].choices = teams  # type: ignore[attr-defined]
        self.fields["deadline_at"].help_text = f"In your time zone, {zone}."
        if comments:
            self.fields["from_comments"].choices = [  # type: ignore[attr-defined]
                (c.pk, f"{c.author.profile.display_name}: {c.body[:140]}") for c in comments
            ]
        else:
            del self.fields["from_comments"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("deadline_kind")
        if kind == DeadlineKind.LOCAL_DAY and not data.get("deadline_date"):
            self.add_error("deadline_date", "Choose the day.")
        if kind == DeadlineKind.INSTANT and not data.get("deadline_at"):
            self.add_error("deadline_at", "Choose the date and time.")
        return data

    def option_specs(self) -> list[OptionSpec]:
        typed = [
            OptionSpec(line.strip())
            for line in (self.cleaned_data.get("options") or "").splitlines()
            if line.strip()
        ]
        chosen = [
            self.comments[i]
            for i in self.cleaned_data.get("from_comments") or []
            if i in self.comments
        ]
        return options_from_comments(chosen) + typed

    def invitees(self) -> list[Invitee]:
        return invitees_from_picker(self.cleaned_data.get("participants") or [])

    def everyone_asked(self) -> list[Invitee]:
        """The people and the teams named: a team the proposal concerns asks its members too."""
        return self.invitees() + [
            Invitee(team=slug) for slug in self.cleaned_data.get("teams") or []
        ]

    def tag_list(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]

    def deadline(self) -> Deadline:
        data = self.cleaned_data
        kind = data.get("deadline_kind") or DeadlineKind.LOCAL_DAY
        moment: datetime | None = data.get("deadline_at")
        return Deadline(
            kind=kind,
            # The browser sends wall-clock time; it is the owner's, in their profile's zone.
            at=moment.replace(tzinfo=ZoneInfo(self.zone)) if moment else None,
            day=data.get("deadline_date"),
        )


class StanceForm(forms.Form):
    """One participant's stance, with the fields the proposal's kind needs, options in their order."""

    def __init__(self, *args: Any, proposal: Proposal, options: Sequence[Option], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.options = list(options)
        choices = [(str(o.pk), o.label) for o in self.options]
        kind = proposal.kind
        if kind == Kind.CONSENT:
            self.fields["position"] = forms.ChoiceField(
                choices=POSITIONS, widget=forms.RadioSelect, label="Position"
            )
        elif kind == Kind.SINGLE:
            self.fields["choice"] = forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect, label="Your choice"
            )
        elif kind == Kind.MULTIPLE:
            self.fields["choices"] = forms.MultipleChoiceField(
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                label=f"Your choices (at most {proposal.max_choices})",
            )
        elif kind == Kind.RANKED:
            for rank in range(1, len(self.options) + 1):
                self.fields[f"rank_{rank}"] = forms.ChoiceField(
                    choices=[("", "—"), *choices],
                    required=rank == 1,
                    label=f"Choice {rank}",
                )
        elif kind in (Kind.SCORE, Kind.DOT):
            limit = proposal.score_max if kind == Kind.SCORE else proposal.dot_budget
            for option in self.options:
                attrs = {"inputmode": "numeric", "min": 0}
                if kind == Kind.DOT:
                    attrs["data-dots"] = ""
                self.fields[f"{kind}_{option.pk}"] = forms.IntegerField(
                    required=False,
                    min_value=None,
                    label=option.label,
                    initial=0,
                    widget=forms.NumberInput(attrs={**attrs, "max": limit}),
                )
        self.fields["reason"] = forms.CharField(
            required=False,
            label="Reason",
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=(
                "Required to object or block."
                if kind == Kind.CONSENT
                else "Optional: why you chose this."
            ),
        )

    @property
    def rank_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("rank_")]

    @property
    def number_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(("score_", "dot_"))]

    def ballot(self) -> Ballot:
        data = self.cleaned_data
        kind = self.proposal.kind
        reason = data.get("reason") or ""
        if kind == Kind.CONSENT:
            return Ballot(position=data.get("position"), reason=reason)
        if kind == Kind.SINGLE:
            return Ballot(choice=data.get("choice"), reason=reason)
        if kind == Kind.MULTIPLE:
            return Ballot(choices=data.get("choices") or [], reason=reason)
        if kind == Kind.RANKED:
            ranked = [data[f.name] for f in self.rank_fields if data.get(f.name)]
            return Ballot(ranking=ranked, reason=reason)
        values = {
            name.split("_", 1)[1]: data.get(name) or 0
            for name in self.fields
            if name.startswith(("score_", "dot_"))
        }
        if kind == Kind.SCORE:
            return Ballot(scores=values, reason=reason)
        return Ballot(dots=values, reason=reason)

    def add_ballot_error(self, field: str, message: str) -> None:
        """Put a service error beside the control it is about (the ranking's first select, …)."""
        targets = {
            "ranking": "rank_1",
            "scores": None,
            "dots": None,
        }
        target = targets.get(field, field if field in self.fields else None)
        self.add_error(target, message)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    # A question to the owner, told at once (views._render_proposal says how many are left).
    urgent = urgent_field()


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Why close before the deadline?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    """The outcome the owner writes once the proposal has closed."""

    statement = forms.CharField(
        label="What was decided",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. One clear statement someone can act on.",
    )
    rationale = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. The reasons, including the objections weighed.",
    )
    expected_effect = forms.CharField(
        required=False,
        max_length=500,
        label="Expected effect (optional)",
        help_text="What should change, e.g. “cycle time down 20 %”.",
    )
    review_date = forms.DateField(
        required=False,
        label="Review on (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="You will be reminded to check the effect on that day.",
    )
    supersedes = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Supersedes (optional)"
    )

    def __init__(self, *args: Any, records: Sequence[DecisionRecord], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supersedes"].choices = [("", "— nothing —")] + [  # type: ignore[attr-defined]
            (r.pk, f"{r.adr_id}: {r.title}") for r in records
        ]


class PinForm(forms.Form):
    team = forms.ChoiceField(label="Team")
    note = forms.CharField(required=False, max_length=300, label="Why read it (optional)")

    def __init__(self, *args: Any, teams: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = list(teams)  # type: ignore[attr-defined]
