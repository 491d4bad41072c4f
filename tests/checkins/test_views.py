"""The check-ins pages: define (field errors, the working-hours warning), answer (Markdown, the
last "next", double submit, someone else's prompt), the team's day, week, history, blockers."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.checkins.models import Blocker, Checkin, CheckinPrompt
from meridian.checkins.services import BlockerIn, prompt_answer
from meridian.core import registry
from meridian.workspaces.models import Membership
from meridian.workspaces.services import team_add_member
from tests import factories
from tests.checkins.conftest import MONDAY
from tests.checkins.factories import asked, checkin, person, team
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


def url(name, ws, **kw):
    return reverse(name, kwargs={"workspace": ws.slug, **kw})


def signed_in(client, m):
    client.force_login(m.user)
    return client


def test_defining_without_questions_or_days_shows_both_field_errors(client, admin, crew, clock):
    signed_in(client, admin)
    response = client.post(
        url("checkin_new", admin.workspace),
        {"name": "Daily", "team": crew.pk, "questions": "", "ask_time": "09:30"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Ask at least one question." in page
    assert "Choose at least one weekday." in page
    assert Checkin.objects.count() == 0


def test_a_time_outside_working_hours_warns_then_saves_when_confirmed(
    client, workspace, admin, clock
):
    late = person(workspace, "Asia/Tokyo", display_name="Kei Tokyo")
    crew = team(admin, late)
    signed_in(client, admin)
    form = {
        "name": "Daily",
        "team": crew.pk,
        "questions": "Done?\nNext?",
        "weekdays": ["0"],
        "ask_time": "07:00",
    }
    first = client.post(url("checkin_new", workspace), form)
    assert first.status_code == 200
    assert "Kei Tokyo does not work at that time on Mondays: they will be asked at 09:00" in (
        first.content.decode()
    )
    assert Checkin.objects.count() == 0
    second = client.post(url("checkin_new", workspace), {**form, "confirmed": "on"})
    assert second.status_code == 302
    assert Checkin.objects.get().questions == ["Done?", "Next?"]


def test_the_answer_page_shows_the_last_next_and_saves_markdown_once(client, daily, ana, clock):
    yesterday = asked(daily, ana, DAY - timedelta(days=3), MONDAY - timedelta(days=3))
    prompt_answer(
        acting=ana, prompt=yesterday, answers=["Old", "Ship the **importer**"],
        now=MONDAY - timedelta(days=3),
    )  # fmt: skip
    prompt = asked(daily, ana, DAY, MONDAY)
    signed_in(client, ana)
    page = client.get(url("checkin_answer", ana.workspace, prompt_id=prompt.pk)).content.decode()
    assert "Ship the <strong>importer</strong>" in page
    form = {"answer_0": "Shipped the importer", "answer_1": "<script>x</script>"}
    for _ in range(2):
        response = client.post(url("checkin_answer", ana.workspace, prompt_id=prompt.pk), form)
        assert response.status_code == 302
    assert CheckinPrompt.objects.filter(local_date=DAY, responded_at__isnull=False).count() == 1
    team_page = client.get(url("checkin_team", ana.workspace, checkin_id=daily.pk))
    html = team_page.content.decode()
    assert "Shipped the importer" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_someone_elses_prompt_is_not_found(client, daily, ana, ben, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    signed_in(client, ben)
    answer_url = url("checkin_answer", ana.workspace, prompt_id=prompt.pk)
    assert client.get(answer_url).status_code == 404
    assert client.post(answer_url, {"answer_0": "mine"}).status_code == 404
    prompt.refresh_from_db()
    assert prompt.responded_at is None


def test_another_workspaces_checkin_and_blocker_are_not_found(client, daily, ana, outsider, clock):
    prompt = asked(daily, ana, DAY, MONDAY)
    prompt_answer(acting=ana, prompt=prompt, answers=["x"], blocker=BlockerIn("Stuck"))
    signed_in(client, outsider)
    ws = outsider.workspace
    assert client.get(url("checkin_team", ws, checkin_id=daily.pk)).status_code == 404
    blocker = Blocker.objects.get()
    assert client.get(url("checkin_blocker", ws, blocker_id=blocker.pk)).status_code == 404
    assert client.post(url("checkin_blocker_resolve", ws, blocker_id=blocker.pk)).status_code == 404
    assert Blocker.objects.get().resolved_at is None


def test_a_blocker_on_another_workspaces_task_is_not_found(
    client, daily, ana, other_workspace, clock
):
    stranger = factories.admin_of(other_workspace)
    foreign = task(stranger, project(stranger), title="Secret")
    prompt = asked(daily, ana, DAY, MONDAY)
    signed_in(client, ana)
    response = client.post(
        url("checkin_answer", ana.workspace, prompt_id=prompt.pk),
        {"answer_0": "x", "blocker": "Stuck", "blocker_task": foreign.pk},
    )
    assert response.status_code == 404
    assert Blocker.objects.count() == 0


def test_the_team_page_shows_answers_who_has_not_answered_and_open_blockers(
    client, admin, daily, ana, ben, clock
):
    the_task = task(admin, project(admin), title="Approve the budget", owner=admin)
    prompt_answer(
        acting=ana,
        prompt=asked(daily, ana, DAY, MONDAY),
        answers=["Finished the draft"],
        blocker=BlockerIn("Need the budget approved", task_id=the_task.pk),
        now=MONDAY,
    )
    asked(daily, ben, DAY, MONDAY)
    signed_in(client, admin)
    html = client.get(url("checkin_team", admin.workspace, checkin_id=daily.pk)).content.decode()
    assert "Finished the draft" in html
    waiting = html.split('id="waiting-heading"')[1].split("</section>")[0]
    assert "Ben London" in waiting and "Ana Berlin" not in waiting
    blockers = html.split('id="blockers-heading"')[1].split("</section>")[0]
    assert "Need the budget approved" in blockers and "Approve the budget" in blockers


def test_the_team_page_costs_the_same_queries_with_more_members_and_answers(
    client, workspace, admin, clock
):
    people = [person(workspace) for _ in range(2)]
    crew = team(admin, *people)
    daily = checkin(admin, crew)
    signed_in(client, admin)

    def queries() -> int:
        for m in crew.team_memberships.values_list("membership_id", flat=True):
            member = Membership.objects.select_related("workspace", "profile").get(pk=m)
            if not CheckinPrompt.objects.filter(membership=member, local_date=DAY).exists():
                prompt = asked(daily, member, DAY, MONDAY)
                prompt_answer(acting=member, prompt=prompt, answers=["x"], blocker=BlockerIn("b"))
        with CaptureQueriesContext(connection) as ctx:
            client.get(url("checkin_team", workspace, checkin_id=daily.pk))
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(5):
        team_add_member(acting=admin, team=crew, member=person(workspace))
    assert queries() == few


def test_moods_are_private_and_the_team_average_needs_k_people(client, workspace, admin, clock):
    people = [person(workspace, display_name=f"P{n}") for n in range(5)]
    daily = checkin(admin, team(admin, *people), ask_mood=True)
    for n, member in enumerate(people[:4]):
        prompt_answer(
            acting=member, prompt=asked(daily, member, DAY, MONDAY), answers=["x"], mood=n + 1,
            mood_shared=(n == 0),
        )  # fmt: skip
    signed_in(client, admin)
    page = lambda: client.get(url("checkin_team", workspace, checkin_id=daily.pk)).content.decode()  # noqa: E731
    html = page()
    assert "shown only when at least 5 people" in html
    assert "P0: 1 of 5" in html  # shared
    assert "Mood: 2 of 5" not in html and "Mood: 3 of 5" not in html
    prompt_answer(
        acting=people[4], prompt=asked(daily, people[4], DAY, MONDAY), answers=["x"], mood=5
    )
    assert "Team average: <strong>3.0</strong> of 5, from 5 people" in page()


def test_week_view_and_history_show_each_member(client, daily, ana, ben, clock):
    prompt_answer(acting=ana, prompt=asked(daily, ana, DAY, MONDAY), answers=["Week one"])
    signed_in(client, ben)
    week = client.get(url("checkin_week", ana.workspace, checkin_id=daily.pk) + "?week=2026-12-09")
    html = week.content.decode()
    assert "Answered" in html and "Ben London" in html
    history = client.get(
        url("checkin_person", ana.workspace, checkin_id=daily.pk, member_id=ana.pk)
    ).content.decode()
    assert "Week one" in history


def test_the_nav_has_check_ins(client, member):
    labels = [entry.label for entry in registry.nav_entries()]
    assert "Check-ins" in labels


def test_archiving_a_checkin_takes_it_off_the_list_and_stops_asking(
    client, admin, daily, ana, clock
):
    from meridian.core.scheduler import registered_jobs, tick

    signed_in(client, admin)
    form = {
        "name": "Daily check-in",
        "questions": "Done?",
        "weekdays": ["0", "1", "2", "3", "4"],
        "ask_time": "09:30",
        "archived": "on",
        "confirmed": "on",
    }
    response = client.post(url("checkin_edit", admin.workspace, checkin_id=daily.pk), form)
    assert response.status_code == 302
    listing = client.get(url("checkin_list", admin.workspace)).content.decode()
    assert "0 check-ins" in listing and f"checkins/{daily.pk}/" not in listing
    jobs = [job for job in registered_jobs() if job.name == "checkins.ask"]
    assert tick(MONDAY, jobs=jobs).ran == []
    assert CheckinPrompt.objects.count() == 0


def test_the_blocker_picker_finds_any_task_of_the_workspace_by_title(
    client, workspace, admin, daily, ana, ben, other_workspace, clock
):
    work = project(admin)
    budget = task(admin, work, title="Approve the staging budget", owner=admin)
    for n in range(55):  # the picker's list shows the latest 50: the budget is not among them
        task(admin, work, title=f"Chore {n}")
    stranger = factories.admin_of(other_workspace)
    task(stranger, project(stranger), title="Approve the foreign budget")
    prompt = asked(daily, ana, DAY, MONDAY)
    signed_in(client, ana)
    page = client.get(url("checkin_answer", workspace, prompt_id=prompt.pk)).content.decode()
    assert "Approve the staging budget" not in page
    assert 'hx-get="' + url("checkin_task_options", workspace, prompt_id=prompt.pk) in page

    options = url("checkin_task_options", workspace, prompt_id=prompt.pk)
    found = client.get(options, {"task_q": "budget"}, headers={"HX-Request": "true"})
    html = found.content.decode()
    assert f'<option value="{budget.pk}">Approve the staging budget</option>' in html
    assert "foreign" not in html  # another workspace's task is never offered
    nothing = client.get(options, {"task_q": "zebra"}).content.decode()
    assert "No task matches “zebra”" in nothing

    # Chosen from the search, it is accepted and reaches the task's owner.
    response = client.post(
        url("checkin_answer", workspace, prompt_id=prompt.pk),
        {
            "answer_0": "Drafted it",
            "answer_1": "",
            "blocker": "Need the budget",
            "blocker_task": budget.pk,
        },
    )
    assert response.status_code == 302
    assert Blocker.objects.get().task_id == budget.pk
    # Someone else's prompt has no picker for them.
    signed_in(client, ben)
    assert client.get(options, {"task_q": "budget"}).status_code == 404
