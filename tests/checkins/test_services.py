"""Defining, asking, answering, blockers and moods, through the services."""

from datetime import date, time, timedelta

import pytest

from meridian.checkins.models import Blocker, Checkin, CheckinPrompt
from meridian.checkins.services import (
    BlockerIn,
    ask_time_shifts,
    blocker_resolve,
    checkin_create,
    prompt_answer,
)
from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.notifications.models import InboxItem, InboxState
from tests import factories
from tests.checkins.conftest import MONDAY
from tests.checkins.factories import asked, person, team
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


def _open_inbox(member) -> list[str]:
    return list(
        InboxItem.objects.filter(recipient=member, state=InboxState.OPEN)
        .order_by("pk")
        .values_list("cause", flat=True)
    )


def test_a_checkin_without_questions_or_days_names_both_fields(admin, crew):
    with pytest.raises(ValidationFailed) as raised:
        checkin_create(
            acting=admin, team=crew, name="Daily", questions=["  "], weekdays=[], ask_time=None
        )
    assert set(raised.value.errors) == {"questions", "weekdays", "ask_time"}
    assert Checkin.objects.count() == 0


def test_only_admins_and_team_members_define_a_team_checkin(workspace, admin, crew):
    outsider = factories.member(workspace)
    with pytest.raises(PermissionDenied):
        checkin_create(
            acting=outsider, team=crew, name="D", questions=["Q"], weekdays=[0], ask_time=time(9)
        )
    assert Checkin.objects.count() == 0


def test_ask_time_outside_working_hours_warns_naming_who_and_when(workspace, admin, clock):
    early = person(workspace, "Asia/Tokyo", hours={str(d): [[600, 1080]] for d in range(5)})
    early.profile.display_name = "Kei Tokyo"
    early.profile.save(update_fields=["display_name"])
    crew = team(admin, early, person(workspace, "UTC"))
    shifts = ask_time_shifts(team=crew, weekdays=[0], ask_time=time(9, 0), now=MONDAY)
    assert [s.message for s in shifts] == [
        "Kei Tokyo does not work at that time on Mondays: "
        "they will be asked at 10:00 Asia/Tokyo instead."
    ]


def test_asking_twice_for_one_day_makes_one_prompt_and_one_inbox_item(daily, ana, clock):
    asked(daily, ana, DAY, MONDAY)
    asked(daily, ana, DAY, MONDAY + timedelta(minutes=5))
    assert CheckinPrompt.objects.filter(membership=ana).count() == 1
    assert len(_open_inbox(ana)) == 1


def test_the_next_prompt_is_the_deadline_and_takes_the_old_one_out_of_the_inbox(daily, ana, clock):
    first = asked(daily, ana, DAY, MONDAY)
    # Ana in Berlin is next asked on Tuesday at 09:30 her time (08:30 UTC).
    assert first.local_deadline == MONDAY.replace(day=8, hour=8, minute=30)
    second = asked(daily, ana, DAY + timedelta(days=1), MONDAY + timedelta(days=1))
    assert _open_inbox(ana) == [f"checkins.prompt:{second.pk}"]


def test_answering_twice_keeps_one_answer_and_leaves_the_inbox(daily, ana, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    prompt_answer(acting=ana, prompt=prompt, answers=["Shipped *search*", "Tests"])
    prompt_answer(acting=ana, prompt=prompt, answers=["Shipped *search*", "Tests"])
    prompt.refresh_from_db()
    assert CheckinPrompt.objects.filter(membership=ana).count() == 1
    assert prompt.answers_html[0] == "<p>Shipped <em>search</em></p>\n"
    assert _open_inbox(ana) == []


def test_answering_late_is_allowed_until_the_next_prompt(daily, ana, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    prompt_answer(acting=ana, prompt=prompt, answers=["Late"], now=MONDAY + timedelta(hours=20))
    with pytest.raises(ValidationFailed, match="next one"):
        prompt_answer(acting=ana, prompt=prompt, answers=["Later"], now=MONDAY + timedelta(days=1))


def test_answering_someone_elses_prompt_is_not_found(daily, ana, ben, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    with pytest.raises(NotFound):
        prompt_answer(acting=ben, prompt=prompt, answers=["Mine now"])
    prompt.refresh_from_db()
    assert prompt.responded_at is None


def test_an_answer_without_any_text_is_a_field_error(daily, ana, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    with pytest.raises(ValidationFailed) as raised:
        prompt_answer(acting=ana, prompt=prompt, answers=["", " "])
    assert "answers" in raised.value.errors


def test_a_blocker_on_a_task_reaches_its_owner_and_resolving_tells_the_blocked(
    daily, admin, ana, ben, clock
):
    the_task = task(admin, project(admin), title="Approve the budget", owner=ben)
    prompt = asked(daily, ana, DAY, MONDAY)
    prompt_answer(
        acting=ana,
        prompt=prompt,
        answers=["Drafts"],
        blocker=BlockerIn("Waiting for the budget", task_id=the_task.pk),
    )
    blocker = Blocker.objects.get()
    assert _open_inbox(ben)[-1] == f"checkins.blocker:{blocker.pk}"
    blocker_resolve(acting=ben, blocker=blocker, now=MONDAY + timedelta(hours=2))
    blocker.refresh_from_db()
    assert blocker.resolved_by == ben
    assert f"checkins.blocker:{blocker.pk}" not in _open_inbox(ben)
    assert _open_inbox(ana)[-1] == f"checkins.resolved:{blocker.pk}"


def test_a_blocker_naming_a_task_of_another_workspace_is_not_found(
    daily, ana, other_workspace, clock
):
    stranger = factories.admin_of(other_workspace)
    foreign = task(stranger, project(stranger))
    prompt = asked(daily, ana, DAY, MONDAY)
    with pytest.raises(NotFound):
        prompt_answer(
            acting=ana, prompt=prompt, answers=["x"], blocker=BlockerIn("Stuck", foreign.pk)
        )
    assert Blocker.objects.count() == 0
    prompt.refresh_from_db()
    assert prompt.responded_at is None


def test_the_same_blocker_on_later_days_is_one_blocker_seen_twice(daily, ana, ben, clock):
    for n in range(2):
        prompt = asked(daily, ana, DAY + timedelta(days=n), MONDAY + timedelta(days=n))
        prompt_answer(
            acting=ana,
            prompt=prompt,
            answers=["x"],
            blocker=BlockerIn("Need Ben's review", person_id=ben.pk),
            now=MONDAY + timedelta(days=n, hours=1),
        )
    blocker = Blocker.objects.get()
    assert blocker.seen == 2
    assert (
        InboxItem.objects.filter(recipient=ben, cause__startswith="checkins.blocker").count() == 1
    )


def test_only_the_blocked_the_unblocker_or_an_admin_resolve(workspace, daily, ana, ben, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    prompt_answer(
        acting=ana, prompt=prompt, answers=["x"], blocker=BlockerIn("Stuck", person_id=ben.pk)
    )
    with pytest.raises(PermissionDenied):
        blocker_resolve(acting=factories.member(workspace), blocker=Blocker.objects.get())
    assert Blocker.objects.get().resolved_at is None


def test_asking_many_members_at_once_costs_the_same_queries_and_asks_each_once(
    workspace, admin, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meridian.checkins.services import prompts_ask
    from tests.checkins.factories import checkin

    few = [person(workspace, "Europe/Berlin") for _ in range(3)]
    many = [person(workspace, "Europe/Berlin") for _ in range(30)]
    small = checkin(admin, team(admin, *few, name="Few"))
    big = checkin(admin, team(admin, *many, name="Many"))
    counts = []
    for c, members in ((small, few), (big, many)):
        with CaptureQueriesContext(connection) as queries:
            written = prompts_ask(asks=[(c.pk, m.pk) for m in members], local_date=DAY, now=MONDAY)
        counts.append(len(queries))
        assert len(written) == len(members)
    assert counts[0] == counts[1]
    # An overlapping batch (listed at another moment) asks only who was not asked yet.
    late = person(workspace, "Europe/Berlin")
    team_add = [(big.pk, m.pk) for m in many[:5]] + [(big.pk, late.pk)]
    assert [p.membership_id for p in prompts_ask(asks=team_add, local_date=DAY, now=MONDAY)] == [
        late.pk
    ]
    assert CheckinPrompt.objects.filter(checkin=big).count() == 31
    assert InboxItem.objects.filter(cause__startswith="checkins.prompt:").count() == 34
