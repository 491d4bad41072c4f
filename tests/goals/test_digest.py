"""The weekly goal status in members' digests: their teams' goals and the workspace's, once a
week (the first digest sent in it), written by the goals area through the registry; and for a
member with no digest that week, a digest with only that summary at their digest time on the
week's first working day, unless they turned it off (frozen clock, local SMTP server)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.core.scheduler import tick
from meridian.delivery.emails import digest_message
from meridian.delivery.models import Digest
from meridian.delivery.rules import WEEKLY_KIND
from meridian.delivery.services import delivery_preferences_update
from meridian.workspaces.models import Membership
from meridian.workspaces.services import profile_update, team_add_member, team_create
from tests.core.test_email import smtp_inbox  # noqa: F401  (the local SMTP server fixture)
from tests.delivery.support import delivery_jobs
from tests.delivery.test_services import plain
from tests.goals.conftest import NOW, a_goal, a_key_result, push_daily
from tests.support import IMMEDIATE_TASKS

pytestmark = pytest.mark.django_db

THURSDAY = NOW.date()


def body(digest):
    message = digest_message(digest, [])
    return message.body, message.alternatives[0][0]


def test_the_first_digest_of_the_week_tells_each_team_goals_status(ada, bo, signups):
    design = team_create(acting=ada, name="Design")
    other = team_create(acting=ada, name="Sales")
    team_add_member(acting=ada, team=design, member=bo)
    goal = a_goal(ada, title="Grow <fast>", team_id=design.pk)
    a_key_result(ada, goal)
    a_key_result(ada, goal, title="Nothing yet", target=5.0)
    push_daily(ada, signups, 10)
    a_goal(ada, title="Sell more", team_id=other.pk)
    a_goal(ada, title="Be kind")
    digest = Digest.objects.create(workspace=ada.workspace, recipient=bo, local_date=THURSDAY)
    text, html = body(digest)
    assert "Goals this week — Team Design" in text
    assert "Grow <fast> (due 30 November 2026): " in text
    assert "Goals this week — The whole workspace" in text
    assert "Be kind (due 30 November 2026): no key results yet" in text
    assert "Sell more" not in text  # not Bo's team
    assert "Grow &lt;fast&gt;" in html and "<fast>" not in html
    assert f"/goals/{goal.pk}/" in html


def test_later_digests_of_the_same_week_carry_no_goal_status(ada, bo, signups):
    a_goal(ada, title="Be kind")
    monday = THURSDAY - timedelta(days=THURSDAY.weekday())
    Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=monday, emailed_at=NOW - timedelta(3)
    )
    digest = Digest.objects.create(workspace=ada.workspace, recipient=bo, local_date=THURSDAY)
    assert "Goals this week" not in body(digest)[0]
    next_monday = Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=monday + timedelta(days=7)
    )
    assert "Goals this week" in body(next_monday)[0]


def test_a_workspace_without_goals_adds_nothing(ada, bo):
    digest = Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=date(2026, 11, 5)
    )
    assert "Goals" not in body(digest)[0]


def test_a_batch_of_digests_reads_the_goals_once_whatever_its_size(ada, bo, signups):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meridian.delivery.emails import weekly_sections
    from tests.briefs.factories import person

    design = team_create(acting=ada, name="Design")
    people = [bo] + [person(ada.workspace, display_name=f"P{n}") for n in range(3)]
    for member in people:
        team_add_member(acting=ada, team=design, member=member)
    a_key_result(ada, a_goal(ada, title="Grow", team_id=design.pk))
    digests = [
        Digest.objects.create(workspace=ada.workspace, recipient=m, local_date=THURSDAY)
        for m in people
    ]
    with CaptureQueriesContext(connection) as one:
        alone = weekly_sections(digests[:1])
    with CaptureQueriesContext(connection) as three:
        batch = weekly_sections(digests[1:])
    assert len(three) == len(one)
    assert alone[digests[0].pk][0].title == "Goals this week — Team Design"
    assert all(batch[d.pk][0].lines[0].text.startswith("Grow") for d in digests[1:])


# --- The weekly summary on its own: every member, once a week, inside their working hours ----

# Monday 9 November 2026, 09:00 in Kathmandu (UTC+5:45, Bo's zone) and in Berlin (UTC+1, Ada's).
MONDAY_0900_KATHMANDU = datetime(2026, 11, 9, 3, 15, tzinfo=UTC)
MONDAY_0900_BERLIN = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
def mail(settings, smtp_inbox):  # noqa: F811
    settings.TASKS = IMMEDIATE_TASKS
    return smtp_inbox


def weekly_tick(capture, clock, now):
    clock.move_to(now)
    with capture(execute=True):
        return tick(now, jobs=delivery_jobs())


def subjects(mail):
    return [(to, message["Subject"]) for to, message in mail.received]


def test_a_member_without_notifications_gets_the_goals_status_once_a_week_at_nine(
    ada, bo, signups, mail, clock, django_capture_on_commit_callbacks
):
    design = team_create(acting=ada, name="Design")
    team_add_member(acting=ada, team=design, member=bo)
    a_key_result(ada, a_goal(ada, title="Grow <fast>", team_id=design.pk))
    push_daily(ada, signups, 10)
    capture = django_capture_on_commit_callbacks

    weekly_tick(capture, clock, MONDAY_0900_KATHMANDU - timedelta(minutes=1))
    assert mail.received == []  # 08:59 in Kathmandu: not yet
    weekly_tick(capture, clock, MONDAY_0900_KATHMANDU)
    assert subjects(mail) == [([bo.user.email], "[Acme] Your weekly summary")]
    text = plain(mail.received[0][1])
    assert "Your weekly summary, Monday 9 November" in text
    assert "Goals this week — Team Design" in text and "Grow <fast> (due 30 November" in text
    # Ada (Berlin) is in no team with a goal and the workspace has none of its own: nothing to
    # tell her, so no email at her nine o'clock, nor later in the week.
    weekly_tick(capture, clock, MONDAY_0900_BERLIN)
    weekly_tick(capture, clock, MONDAY_0900_BERLIN + timedelta(days=2))
    assert [to for to, _ in mail.received] == [[bo.user.email]]
    digest = Digest.objects.get()
    assert digest.weekly_only and digest.recipient == bo and digest.emailed_at is not None
    # Next week, again once.
    weekly_tick(capture, clock, MONDAY_0900_KATHMANDU + timedelta(days=7))
    weekly_tick(capture, clock, MONDAY_0900_KATHMANDU + timedelta(days=7, hours=2))
    assert [to for to, _ in mail.received] == [[bo.user.email]] * 2


def test_the_weekly_summary_waits_for_the_first_working_day_of_the_week(
    ada, bo, signups, mail, clock, django_capture_on_commit_callbacks
):
    a_goal(ada, title="Be kind")  # the workspace's own goal: everyone hears of it
    profile_update(acting=bo, member=bo, working_hours={"2": [[600, 1020]], "3": [[600, 1020]]})
    capture = django_capture_on_commit_callbacks

    def to_bo():
        return [message for to, message in mail.received if to == [bo.user.email]]

    weekly_tick(capture, clock, MONDAY_0900_BERLIN)
    assert [ada.user.email] in [to for to, _ in mail.received] and not to_bo()
    # Bo works from Wednesday 10:00 (Kathmandu): his digest time (9:00) moves to then.
    wednesday_1000 = MONDAY_0900_KATHMANDU + timedelta(days=2, hours=1)
    weekly_tick(capture, clock, wednesday_1000 - timedelta(minutes=1))
    assert not to_bo()
    weekly_tick(capture, clock, wednesday_1000)
    [message] = to_bo()
    assert "Be kind (due 30 November 2026): no key results yet" in plain(message)


def test_who_turned_the_weekly_summary_off_or_had_a_digest_this_week_gets_none(
    ada, bo, signups, mail, clock, django_capture_on_commit_callbacks
):
    a_goal(ada, title="Be kind")
    owner = Membership.objects.exclude(pk__in=[ada.pk, bo.pk]).select_related("user").get()
    delivery_preferences_update(acting=bo, channels={WEEKLY_KIND: "inbox"})
    Digest.objects.create(
        workspace=ada.workspace,
        recipient=ada,
        local_date=date(2026, 11, 9),
        item_count=1,
        emailed_at=MONDAY_0900_BERLIN - timedelta(hours=1),
    )
    capture = django_capture_on_commit_callbacks
    weekly_tick(capture, clock, MONDAY_0900_BERLIN)
    weekly_tick(capture, clock, MONDAY_0900_BERLIN + timedelta(days=3))
    # Only the workspace's third member (its creator, in UTC) hears of the workspace's goal.
    assert [to for to, _ in mail.received] == [[owner.user.email]]
    assert list(Digest.objects.filter(weekly_only=True).values_list("recipient", flat=True)) == [
        owner.pk
    ]
    # Bo's ordinary digests carry no goals either, while he keeps it off.
    ordinary = Digest.objects.create(workspace=ada.workspace, recipient=bo, local_date=THURSDAY)
    assert "Goals this week" not in body(ordinary)[0]


def test_the_weekly_summary_is_a_choice_on_the_preferences_page(client, bo):
    client.force_login(bo.user)
    page = client.get(f"/w/{bo.workspace.slug}/profile/notifications/").content.decode()
    assert "Weekly summary (goals&#x27; status)" in page or "Weekly summary (goals' status)" in page
