"""The task list and its saved filters, "my work" and "waiting on others": content, order, queries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meridian.core.errors import ValidationFailed
from meridian.work.models import SavedFilter
from meridian.work.services import Due, comment_add, dependency_add, question_answer, task_update
from meridian.work.services.filters import saved_filter_save
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def titles(response) -> list[str]:
    """Task titles in the order the page lists them (each is a link with "#id title")."""
    import re

    return re.findall(
        r'/work/tasks/\d+/"><span class="muted">#\d+</span> ([^<]+)</a>', response.content.decode()
    )


def queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


# --- The task list -----------------------------------------------------------------------------


@pytest.fixture
def spread(clock, ana, ben, site):
    """Tasks of two owners: overdue, due this week, next month, none; tagged; one blocked."""
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    late = task(ana, site, "Late", owner=ana, due=Due("instant", at=monday + timedelta(hours=1)))
    soon = task(ana, site, "Soon", owner=ben, due=Due("local_day", date=date(2026, 12, 10)))
    later = task(ana, site, "Later", owner=ana, due=Due("local_day", date=date(2027, 1, 14)))
    undated = task(ana, site, "Undated", tags=["design"])
    dependency_add(actor=ana, blocker=soon, blocked=later)
    clock.move_to(monday + timedelta(hours=2))  # "Late" is now overdue
    return late, soon, later, undated


def test_list_filters_by_owner_due_tag_and_blocked(client, ana, ben, spread):
    client.force_login(ana.user)
    base = url("task_list", ana.workspace)
    assert titles(client.get(base)) == ["Late", "Soon", "Later", "Undated"]
    assert titles(client.get(base, {"owner": "me"})) == ["Late", "Later"]
    assert titles(client.get(base, {"owner": str(ben.pk)})) == ["Soon"]
    assert titles(client.get(base, {"owner": "none"})) == ["Undated"]
    assert titles(client.get(base, {"due": "overdue"})) == ["Late"]
    assert titles(client.get(base, {"due": "week"})) == ["Soon"]
    assert titles(client.get(base, {"due": "none"})) == ["Undated"]
    assert titles(client.get(base, {"tag": "design"})) == ["Undated"]
    assert titles(client.get(base, {"blocked": "1"})) == ["Later"]
    assert titles(client.get(base, {"q": "soo"})) == ["Soon"]


def test_list_filters_by_status_and_project_and_shows_done_on_request(client, ana, site):
    other = project(ana, "Office move")
    done = task(ana, site, "Shipped")
    task_update(actor=ana, task=done, version=1, changes={"status": "done"})
    task(ana, other, "Pack boxes", status="doing")
    client.force_login(ana.user)
    base = url("task_list", ana.workspace)
    assert titles(client.get(base)) == ["Pack boxes"]
    assert titles(client.get(base, {"status": "doing"})) == ["Pack boxes"]
    assert titles(client.get(base, {"project": str(site.pk), "state": "all"})) == ["Shipped"]
    assert titles(client.get(base, {"state": "done"})) == ["Shipped"]


def test_list_ignores_nonsense_filters(client, ana, site):
    task(ana, site, "Only")
    client.force_login(ana.user)
    response = client.get(
        url("task_list", ana.workspace), {"owner": "x'; drop", "due": "yesterday", "project": "-1"}
    )
    assert response.status_code == 200 and titles(response) == ["Only"]


def test_htmx_gets_only_the_list(client, ana, site):
    task(ana, site, "Only")
    client.force_login(ana.user)
    response = client.get(url("task_list", ana.workspace), headers={"hx-request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="task-list"') and "<html" not in body


def test_list_query_count_is_the_same_for_one_task_and_many(client, ana, ben, site):
    client.force_login(ana.user)
    address = url("task_list", ana.workspace)
    task(ana, site, "First", owner=ana, tags=["a"])
    client.get(address)
    one = queries(client, address)
    other = project(ana, "Office move")
    for n in range(40):
        made = task(
            ana, other if n % 2 else site, f"T{n}", owner=[ana, ben][n % 2], tags=[f"t{n % 3}", "x"]
        )
        if n % 5 == 0:
            dependency_add(actor=ana, blocker=made, blocked=task(ana, site, f"B{n}"))
    assert queries(client, address) == one
    assert queries(client, address + "?tag=x&due=none") == one


# --- Saved filters -----------------------------------------------------------------------------


def test_saving_a_filter_keeps_the_current_filters_under_my_name_for_it(client, ana, ben, site):
    client.force_login(ana.user)
    response = client.post(
        url("work_filter_save", ana.workspace),
        {"name": "My blocked", "owner": "me", "blocked": "1", "junk": "x"},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get()
    assert (saved.membership, saved.name, saved.query) == (
        ana,
        "My blocked",
        {"owner": "me", "blocked": "1"},
    )
    page = client.get(url("task_list", ana.workspace)).content.decode()
    assert '?owner=me&amp;blocked=1">My blocked</a>' in page
    client.force_login(ben.user)
    assert "My blocked" not in client.get(url("task_list", ana.workspace)).content.decode()


def test_a_second_filter_with_the_same_name_is_422_and_not_saved(client, ana):
    saved_filter_save(actor=ana, name="Mine", query={"owner": "me"})
    client.force_login(ana.user)
    response = client.post(url("work_filter_save", ana.workspace), {"name": "Mine", "due": "week"})
    assert response.status_code == 422
    assert "You already have a filter named “Mine”." in response.content.decode()
    assert SavedFilter.objects.count() == 1
    with pytest.raises(ValidationFailed):
        saved_filter_save(actor=ana, name="  ", query={})


def test_deleting_someone_elses_filter_is_404(client, ana, ben):
    theirs = saved_filter_save(actor=ben, name="Ben's", query={})
    client.force_login(ana.user)
    assert (
        client.post(url("work_filter_delete", ana.workspace, filter_id=theirs.pk)).status_code
        == 404
    )
    assert SavedFilter.objects.count() == 1
    client.force_login(ben.user)
    client.post(url("work_filter_delete", ana.workspace, filter_id=theirs.pk))
    assert not SavedFilter.objects.exists()


# --- My work and waiting on others -------------------------------------------------------------


def test_my_work_orders_by_my_own_deadlines_overdue_first_undated_last(client, ana, spread):
    client.force_login(ana.user)
    response = client.get(url("work_my", ana.workspace))
    assert titles(response) == ["Late", "Later"]
    body = response.content.decode()
    assert body.index("Overdue") < body.index("Late") < body.index("Coming up")
    assert "Europe/Berlin" in body


def test_my_work_shows_working_hours_left_for_near_deadlines(client, clock, ana, site):
    task(ana, site, "Two hours", owner=ana, due=Due("working_time", working_minutes=120))
    client.force_login(ana.user)
    body = client.get(url("work_my", ana.workspace)).content.decode()
    assert "due in 2 h</strong> of your working time" in body


def test_my_work_query_count_is_the_same_for_one_task_and_many(client, ana, ben, site):
    client.force_login(ana.user)
    address = url("work_my", ana.workspace)
    task(ana, site, "First", owner=ana)
    client.get(address)
    one = queries(client, address)
    for n in range(30):
        # Days ahead of whatever today is (a past day is refused).
        day = timezone.now().date() + timedelta(days=30 + n)
        made = task(ana, site, f"T{n}", owner=ana, due=Due("local_day", date=day))
        if n % 4 == 0:
            dependency_add(actor=ana, blocker=task(ana, site, f"B{n}", owner=ben), blocked=made)
    assert queries(client, address) == one


def test_waiting_lists_blockers_others_own_and_my_unanswered_questions(client, ana, ben, site):
    mine = task(ana, site, "Launch", owner=ana)
    theirs = task(ana, site, "Get the domain", owner=ben)
    my_own_blocker = task(ana, site, "Write copy", owner=ana)
    dependency_add(actor=ana, blocker=theirs, blocked=mine)
    dependency_add(actor=ana, blocker=my_own_blocker, blocked=mine)
    asked = comment_add(actor=ana, task=theirs, body="Which registrar?", is_question=True)
    answered = comment_add(actor=ana, task=theirs, body="Which TLD?", is_question=True)
    question_answer(actor=ben, comment=answered, body=".com")
    client.force_login(ana.user)
    body = client.get(url("work_waiting", ana.workspace)).content.decode()
    assert "Get the domain" in body and 'owned by <span class="person">Ben Kathmandu</span>' in body
    assert "Write copy" not in body
    assert "Which registrar?" in body and f"#comment-{asked.pk}" in body
    assert "Which TLD?" not in body


def test_waiting_query_count_is_the_same_for_few_and_many(client, ana, ben, site):
    client.force_login(ana.user)
    address = url("work_waiting", ana.workspace)
    first = task(ana, site, "Mine", owner=ana)
    dependency_add(actor=ana, blocker=task(ana, site, "Theirs", owner=ben), blocked=first)
    client.get(address)
    one = queries(client, address)
    for n in range(15):
        mine = task(ana, site, f"M{n}", owner=ana)
        dependency_add(actor=ana, blocker=task(ana, site, f"X{n}", owner=ben), blocked=mine)
        comment_add(actor=ana, task=mine, body=f"Q{n}?", is_question=True)
    assert queries(client, address) == one


def test_my_work_rows_escape_titles_and_name_project_status_and_blockers(client, ana, site):
    blocker = task(ana, site, "Blocker", owner=ana)
    waiting = task(ana, site, "<script>alert(1)</script>", owner=ana)
    dependency_add(actor=ana, blocker=blocker, blocked=waiting)
    client.force_login(ana.user)
    body = client.get(url("work_my", ana.workspace)).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert (
        f'<span class="block small">{site.name} · To do · '
        '<span class="badge state-blocked">Blocked</span></span>'
    ) in body
    assert f'<span class="block small">{site.name} · To do</span>' in body


# --- Due dates in another year -----------------------------------------------------------------


def test_cards_and_lists_name_the_year_of_a_due_date_in_another_year_of_the_reader(
    client, clock, ana, site
):
    task(
        ana,
        site,
        title="Soon",
        owner=ana,
        due=Due("instant", at=datetime(2026, 12, 10, 16, tzinfo=UTC)),
    )
    later = task(
        ana,
        site,
        title="Later",
        owner=ana,
        due=Due("instant", at=datetime(2027, 1, 4, 16, tzinfo=UTC)),
    )
    client.force_login(ana.user)
    pages = {
        "task list": url("task_list", site.workspace),
        "board": url("project_board", site.workspace, project_id=site.pk),
        "project": url("project_detail", site.workspace, project_id=site.pk),
        "my work": url("work_my", site.workspace),
        "task page": url("task_detail", site.workspace, task_id=later.pk),
    }

    for where, address in pages.items():
        html = client.get(address).content.decode()
        assert "Mon 4 Jan 2027, 17:00 Europe/Berlin" in html, where
        if where != "task page":  # this year's: no year, as before
            assert ">Thu 10 Dec, 17:00 Europe/Berlin<" in html, where


def test_new_years_eve_in_utc_is_next_year_for_a_reader_east_of_it(client, clock, ana, ben, site):
    task(
        ana,
        site,
        title="Eve",
        owner=ana,
        due=Due("instant", at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),
    )
    address = url("task_list", site.workspace)

    client.force_login(ana.user)
    berlin = client.get(address).content.decode()
    client.force_login(ben.user)
    kathmandu = client.get(address).content.decode()

    assert "Fri 1 Jan 2027, 00:30 Europe/Berlin" in berlin
    assert "Fri 1 Jan 2027, 05:15 Asia/Kathmandu" in kathmandu
