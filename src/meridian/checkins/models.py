"""Check-ins: asynchronous standups asked at each member's own local time.

A ``Checkin`` belongs to a team and says what to ask, on which weekdays and at which local
time. The scheduler (meridian.checkins.schedule) writes one ``CheckinPrompt`` per member and
local working day, exactly once; the member answers it until their next prompt. A
``Blocker`` is what someone is stuck on, naming a task or a person; the same blocker raised on
several days is one row, open until resolved.
"""

from django.db import models

from meridian.asks.models import Participation

NAME_MAX = 100
QUESTION_MAX = 200
QUESTIONS_MAX = 10
ANSWER_MAX = 5000
BLOCKER_MAX = 1000
DEFAULT_QUESTIONS = ["What did you finish?", "What's next?"]


class Checkin(models.Model):
    """A team's recurring check-in: its questions, weekdays and the local time to ask."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="checkins"
    )
    team = models.ForeignKey("workspaces.Team", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=NAME_MAX)
    # The questions in order; by convention the first asks what was finished, the last what is
    # next (the answer page shows the last prompt's "next" beside today's "finished").
    questions = models.JSONField(default=list)
    ask_mood = models.BooleanField(default=False)
    # Weekdays to ask on, 0 = Monday, in each member's own zone.
    weekdays = models.JSONField(default=list)
    ask_time = models.TimeField()
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def ask_time_text(self) -> str:
        """The local time to ask, as the clock shows it ("09:30"); a wall time, not a moment."""
        return f"{self.ask_time:%H:%M}"


class CheckinPrompt(Participation):
    """One member asked one check-in on one of their local working days, and their answer.

    ``local_deadline`` (from Participation) is when their next prompt is due: answering late
    is allowed until then.
    """

    checkin = models.ForeignKey(Checkin, on_delete=models.CASCADE, related_name="prompts")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="checkin_prompts"
    )
    local_date = models.DateField()
    asked_at = models.DateTimeField()
    # One answer per question, as written (Markdown) and rendered.
    answers = models.JSONField(default=list, blank=True)
    answers_html = models.JSONField(default=list, blank=True)
    mood = models.PositiveSmallIntegerField(null=True, blank=True)
    mood_shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["-local_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin", "membership", "local_date"], name="checkin_prompt_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="checkin_mood_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["checkin", "local_date"], name="checkin_prompt_day")]

    def __str__(self) -> str:
        return f"{self.checkin} for member {self.membership_id} on {self.local_date}"

    def pairs(self) -> list[tuple[str, str]]:
        """(question, answer HTML) for each question answered."""
        html = list(self.answers_html or [])
        return [(q, h) for q, h in zip(self.checkin.questions, html, strict=False) if h]


class Blocker(models.Model):
    """Something a member is stuck on, naming the task or the person who can unblock them.

    Raised again on a later day (same member, same task or person) it stays one row: ``seen``
    counts the check-ins that mentioned it.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    checkin = models.ForeignKey(Checkin, on_delete=models.CASCADE, related_name="blockers")
    raised_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="checkin_blockers"
    )
    first_prompt = models.ForeignKey(CheckinPrompt, on_delete=models.CASCADE, related_name="+")
    last_prompt = models.ForeignKey(CheckinPrompt, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    text_html = models.TextField(blank=True)
    # A task of the work area (through the link registry; 0 none) or a person, or neither.
    task_id = models.PositiveIntegerField(null=True, blank=True)
    person = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "id"]
        indexes = [models.Index(fields=["checkin", "resolved_at"], name="checkin_blocker_open")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
