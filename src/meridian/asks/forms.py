"""The picker of people and teams, and the day-off warning, as every asking form uses them.

A form offers ``participant_choices`` in a ``<select multiple>`` and reads the choices back
with ``invitees_from_picker``. Before saving an ask whose deadline is a day, the view shows
who does not work that day (``day_off_shifts_to_confirm``, templates/day_off_warning.html);
the asker agrees to exactly those people and that day by sending ``days_off_digest`` back.
"""

from collections.abc import Callable, Sequence

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from meridian.asks.people import DayOffShift, Invitee
from meridian.core import registry
from meridian.workspaces.models import Membership, Team


def participant_choices(
    members: list[Membership], teams: list[Team], viewer: Membership
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's options: whole teams first, then people, grouped for a <select multiple>."""
    return [
        ("Teams", [(f"team:{t.slug}", f"{t.name} (whole team)") for t in teams]),
        (
            "People",
            [
                (f"member:{m.pk}", f"{m.profile.display_name} — {m.profile.time_zone}")
                for m in members
                if m.pk != viewer.pk
            ],
        ),
    ]


def days_off_digest(shifts: Sequence[DayOffShift]) -> str:
    """What ticking "Keep this day" agrees to: this day, for these people whose deadline moves.

    The warning's checkbox carries it; a send whose day or people differ no longer matches, so
    it is warned again instead of keeping a day nobody agreed to (signed, so it is not guessed).
    """
    days = sorted({s.day.isoformat() for s in shifts})
    people = sorted(s.member.pk for s in shifts)
    value = f"{','.join(days)}|{','.join(map(str, people))}"
    return salted_hmac("meridian.days_off_ok", value, algorithm="sha256").hexdigest()


def day_off_shifts_to_confirm(
    request: HttpRequest, form: forms.Form, find: Callable[[], list[DayOffShift]]
) -> list[DayOffShift]:
    """The day-off warning a brief or proposal form shows before saving: ``find()``'s shifts,
    or none when the form is not sent or not valid, or its author kept this very day for
    these very people (``days_off_ok`` is the digest of these shifts)."""
    if request.method != "POST" or not form.is_valid():
        return []
    shifts = find()
    if shifts and form.cleaned_data.get("days_off_ok") == days_off_digest(shifts):
        return []
    return shifts


def day_off_form_status(request: HttpRequest, shifts: Sequence[DayOffShift]) -> int:
    """A warning to confirm is not an error (200); a form sent back with problems is 422."""
    return 422 if request.method == "POST" and not shifts else 200


def invitees_from_picker(values: Sequence[str], *, required: bool = True) -> list[Invitee]:
    """The picker's chosen values (``team:<slug>``, ``member:<id>``) as invitees; others are
    dropped (a tampered value names nobody, and the service reports who is unknown)."""
    found: list[Invitee] = []
    for value in values:
        kind, _, key = value.partition(":")
        if kind == "team":
            found.append(Invitee(team=key, required=required))
        elif kind == "member" and key.isdigit():
            found.append(Invitee(member_id=int(key), required=required))
    return found


URGENT_LABEL = "Urgent — deliver now, even outside their working hours"
URGENT_HELP = "Use it sparingly: each member has a small weekly budget of urgent notices."


def urgent_field() -> forms.BooleanField:
    """The "urgent" checkbox every asking form offers (a brief, a proposal, a question)."""
    return forms.BooleanField(required=False, label=URGENT_LABEL, help_text=URGENT_HELP)


def offer_urgent[F: forms.Form](form: F, viewer: Membership) -> F:
    """Say on the form's "urgent" field how many the viewer has left this week; without an
    urgent budget (no delivery layer installed) the field goes away."""
    if "urgent" not in form.fields:
        return form
    budget = registry.urgent_left(viewer, timezone.now())
    if budget is None:
        del form.fields["urgent"]
        return form
    left, weekly = budget
    form.fields["urgent"].label = f"{URGENT_LABEL} ({left} of {weekly} left this week)"
    return form
