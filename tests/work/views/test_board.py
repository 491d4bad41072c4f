"""The board: columns in workflow order, cards in position order, moves (service and page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.core.errors import PermissionDenied, ValidationFailed
from meridian.notifications.models import InboxItem, InboxState
from meridian.work.models import Task, TaskEvent
from meridian.work.services import Due, EditConflict, dependency_add, task_update
from meridian.work.services.board import task_move
from meridian.workspaces.models import Role
from tests import factories
from tests.work.factories import task

pytestmark = pytest.mark.django_db


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def column(project, status: str) -> list[str]:
    return list(
        Task.objects.filter(project=project, status=status)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


@pytest.fixture
def cards(ana, site):
    return [task(ana, site, title) for title in ("One", "Two", "Three")]


# --- task_move ---------------------------------------------------------------------------------


def test_move_into_another_column_between_two_cards_records_the_status_change(ana, site, cards):
    one, two, three = cards
    task_move(actor=ana, task=one, version=1, status="doing")
    task_move(actor=ana, task=two, version=1, status="doing")
    moved = task_move(
        actor=ana, task=three, version=1, status="doing", before_id=one.pk, after_id=two.pk
    )
    assert column(site, "doing") == ["One", "Three", "Two"]
    assert column(site, "todo") == []
    assert moved.version == 2
    event = TaskEvent.objects.filter(task=three).first()
    assert (event.field, event.old, event.new, event.actor) == ("status", "To do", "Doing", ana)


def test_move_to_the_top_and_to_the_bottom_of_its_own_column(ana, site, cards):
    one, two, three = cards
    task_move(actor=ana, task=three, version=1, status="todo", after_id=one.pk)
    assert column(site, "todo") == ["Three", "One", "Two"]
    task_move(actor=ana, task=three, version=2, status="todo", before_id=two.pk)
    assert column(site, "todo") == ["One", "Two", "Three"]
    assert TaskEvent.objects.filter(task=three, field="position").count() == 2


def test_many_moves_into_the_same_gap_keep_the_order(ana, site, cards):
    _, two, three = cards
    task_move(actor=ana, task=two, version=1, status="doing")
    task_move(actor=ana, task=three, version=1, status="doing", before_id=two.pk)
    extra = [task(ana, site, f"Extra {n}") for n in range(60)]
    # Each one lands just below "Two", halving the same gap again and again.
    for card in extra:
        task_move(actor=ana, task=card, version=1, status="doing", before_id=two.pk)
    assert column(site, "doing") == ["Two", *[f"Extra {n}" for n in reversed(range(60))], "Three"]


def test_stale_move_is_a_conflict_with_the_other_change_and_writes_nothing(ana, ben, site, cards):
    one = cards[0]
    task_update(actor=ben, task=one, version=1, changes={"title": "One, renamed"})
    before = TaskEvent.objects.count()
    with pytest.raises(EditConflict) as caught:
        task_move(actor=ana, task=one, version=1, status="done")
    assert caught.value.current.version == 2
    assert [(e.field, e.new) for e in caught.value.changes] == [("title", "One, renamed")]
    one.refresh_from_db()
    assert (one.status, one.version, TaskEvent.objects.count()) == ("todo", 2, before)


def test_move_to_a_status_not_in_the_workflow_is_422_naming_the_allowed_ones(ana, site, cards):
    with pytest.raises(ValidationFailed) as caught:
        task_move(actor=ana, task=cards[0], version=1, status="shipped")
    assert "Done (done)" in caught.value.detail
    cards[0].refresh_from_db()
    assert (cards[0].status, cards[0].version) == ("todo", 1)


def test_neighbour_from_another_column_is_422(ana, site, cards):
    task_move(actor=ana, task=cards[1], version=1, status="doing")
    with pytest.raises(ValidationFailed):
        task_move(actor=ana, task=cards[0], version=1, status="review", before_id=cards[1].pk)


def test_guest_may_not_move_a_card(workspace, site, cards):
    guest = factories.member(workspace, role=Role.GUEST)
    with pytest.raises(PermissionDenied):
        task_move(actor=guest, task=cards[0], version=1, status="done")


def test_moving_to_done_takes_the_task_out_of_the_owners_inbox(clock, ana, site):
    t = task(ana, site, owner=ana, due=Due("working_time", working_minutes=120))
    assert InboxItem.objects.get().state == InboxState.OPEN
    done = task_move(actor=ana, task=t, version=t.version, status="done")
    assert done.is_done and done.completed_at is not None
    assert InboxItem.objects.get().state != InboxState.OPEN


# --- The board page ----------------------------------------------------------------------------


def test_board_shows_one_column_per_status_and_blocked_cards_with_their_blocker(
    client, ana, ben, site, cards
):
    one, two, _ = cards
    task_update(actor=ana, task=one, version=1, changes={"owner": ben})
    dependency_add(actor=ana, blocker=one, blocked=two)
    client.force_login(ana.user)
    body = client.get(url("project_board", ana.workspace, project_id=site.pk)).content.decode()
    for label in ("To do", "Doing", "In review", "Blocked", "Done"):
        assert f'<span class="column-label">{label}</span>' in body
    assert body.index('id="card-' + str(one.pk)) < body.index('id="card-' + str(two.pk))
    assert (
        f'<span class="badge state-blocked">Blocked</span> by <a href="/w/acme/work/tasks/{one.pk}/">'
        f"#{one.pk} One</a> (Ben Kathmandu)"
    ) in body
    assert "vendor/sortablejs/Sortable.min.js" in body and "meridian/board.js" in body


def test_card_titles_are_escaped_on_the_board(client, ana, site):
    task(ana, site, "<img src=x onerror=alert(1)>")
    client.force_login(ana.user)
    body = client.get(url("project_board", ana.workspace, project_id=site.pk)).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_guest_sees_the_board_without_move_controls(client, workspace, site, cards):
    client.force_login(factories.member(workspace, role=Role.GUEST).user)
    body = client.get(url("project_board", workspace, project_id=site.pk)).content.decode()
    assert "One" in body and "Move to…" not in body and "board.js" not in body
    response = client.post(
        url("task_move", workspace, task_id=cards[0].pk), {"status": "done", "version": "1"}
    )
    assert response.status_code == 302  # back to the board, with the refusal as a message
    cards[0].refresh_from_db()
    assert cards[0].status == "todo"


def test_board_query_count_is_the_same_for_one_task_and_a_hundred(client, ana, ben, site):
    client.force_login(ana.user)
    board = url("project_board", ana.workspace, project_id=site.pk)
    first = task(ana, site, "First", owner=ben)
    client.get(board)  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(board).status_code == 200
        return len(queries)

    one = count()
    owners = [ana, ben]
    made = [task(ana, site, f"Task {n}", owner=owners[n % 2]) for n in range(99)]
    for n, t in enumerate(made[:10]):
        dependency_add(actor=ana, blocker=first if n % 2 else made[-1], blocked=t)
    for t in made[:5]:
        task_move(actor=ana, task=t, version=t.version, status="done")
    assert count() == one


# --- The move endpoint -------------------------------------------------------------------------


def test_move_endpoint_answers_json_to_the_board_script(client, ana, site, cards):
    two = cards[1]
    client.force_login(ana.user)
    response = client.post(
        url("task_move", ana.workspace, task_id=two.pk),
        {"status": "doing", "version": "1", "before": "", "after": ""},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "message": "“Two” moved to Doing.",
        "id": two.pk,
        "status": "doing",
        "version": 2,
    }


def test_stale_move_from_the_board_is_409_with_the_current_version(client, ana, ben, site, cards):
    one = cards[0]
    task_move(actor=ben, task=one, version=1, status="review")
    client.force_login(ana.user)
    response = client.post(
        url("task_move", ana.workspace, task_id=one.pk),
        {"status": "doing", "version": "1"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 409
    answer = response.json()
    assert answer["ok"] is False and answer["version"] == 2 and answer["status"] == "review"
    assert answer["message"].startswith(
        "Ben Kathmandu changed “One” since the board was loaded (it is now in In review)"
    )
    one.refresh_from_db()
    assert one.status == "review"


def test_move_without_javascript_is_a_form_that_redirects_back_to_the_board(
    client, ana, site, cards
):
    three = cards[2]
    client.force_login(ana.user)
    response = client.post(
        url("task_move", ana.workspace, task_id=three.pk),
        {"status": "todo", "version": "1", "place": "top"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"/board/#card-{three.pk}")
    assert "“Three” moved to To do." in response.content.decode()
    assert column(site, "todo") == ["Three", "One", "Two"]


def test_incomplete_move_is_422(client, ana, site, cards):
    client.force_login(ana.user)
    response = client.post(
        url("task_move", ana.workspace, task_id=cards[0].pk),
        {"status": "doing"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 422 and "version" in response.json()["message"]


def test_a_long_column_shows_its_first_cards_and_links_the_rest(
    client, monkeypatch, ana, site, cards
):
    monkeypatch.setattr("meridian.work.selectors_views.COLUMN_SHOWN", 2)
    client.force_login(ana.user)
    body = client.get(url("project_board", ana.workspace, project_id=site.pk)).content.decode()
    assert f'id="card-{cards[1].pk}"' in body and f'id="card-{cards[2].pk}"' not in body
    assert '<span class="muted small column-count">3</span>' in body
    assert '1 more<span class="visually-hidden"> To do tasks</span></a> in the task list' in body


def test_a_move_is_in_the_audit_log(ana, site, cards):
    from meridian.core.models import AuditEntry

    task_move(actor=ana, task=cards[0], version=1, status="doing")
    entry = AuditEntry.objects.filter(action="work.task_move").get()
    assert entry.data == {"from": "todo", "to": "doing"}


def test_each_column_shows_its_first_cards_in_board_order_and_done_ones_newest_first(
    client, monkeypatch, ana, site
):
    monkeypatch.setattr("meridian.work.selectors_views.COLUMN_SHOWN", 2)
    monkeypatch.setattr("meridian.work.selectors_views.DONE_SHOWN", 2)
    todo = [task(ana, site, f"Todo {n}") for n in range(3)]
    doing = [task(ana, site, f"Doing {n}") for n in range(3)]
    above = None
    for t in doing:  # each one moved above the one before
        task_move(actor=ana, task=t, version=t.version, status="doing", after_id=above)
        above = t.pk
    done = [task(ana, site, f"Done {n}") for n in range(3)]
    for t in done:
        task_move(actor=ana, task=t, version=t.version, status="done")
    client.force_login(ana.user)
    body = client.get(url("project_board", ana.workspace, project_id=site.pk)).content.decode()

    def shown(cards: list[Task]) -> list[int]:
        return [t.pk for t in cards if f'id="card-{t.pk}"' in body]

    assert shown(todo) == [todo[0].pk, todo[1].pk]
    # The last one moved leads its column.
    assert shown(doing) == [doing[1].pk, doing[2].pk]
    assert body.index(f'id="card-{doing[2].pk}"') < body.index(f'id="card-{doing[1].pk}"')
    # The done column shows its most recently finished cards.
    assert shown(done) == [done[1].pk, done[2].pk]
    assert body.count('<span class="muted small column-count">3</span>') == 3


def test_cards_of_a_status_dropped_from_the_workflow_show_in_the_first_column(client, ana, site):
    kept = task(ana, site, "Kept")
    stray = task(ana, site, "Stray")
    Task.objects.filter(pk=stray.pk).update(status="parked")
    client.force_login(ana.user)
    body = client.get(url("project_board", ana.workspace, project_id=site.pk)).content.decode()
    first = body[: body.index('<span class="column-label">Doing</span>')]
    assert f'id="card-{stray.pk}"' in first and f'id="card-{kept.pk}"' in first
    assert '<span class="muted small column-count">2</span>' in first


def test_show_more_reads_the_next_cards_of_every_open_column(client, monkeypatch, ana, site):
    monkeypatch.setattr("meridian.work.selectors_views.COLUMN_SHOWN", 2)
    made = [task(ana, site, f"Card {n}") for n in range(5)]
    client.force_login(ana.user)
    board = url("project_board", ana.workspace, project_id=site.pk)
    body = client.get(board).content.decode()
    assert f'id="card-{made[2].pk}"' not in body
    assert (
        '<a class="column-more" href="?cards=4#col-1">Show more'
        '<span class="visually-hidden"> To do cards</span></a>'
    ) in body
    assert body.count('class="column-more"') == 1  # only the column with hidden cards
    more = client.get(board + "?cards=4").content.decode()
    assert [f'id="card-{t.pk}"' in more for t in made] == [True, True, True, True, False]
    assert '<span class="muted small column-count">5</span>' in more
    assert 'href="?cards=6#col-1"' in more
    everything = client.get(board + "?cards=6").content.decode()
    assert all(f'id="card-{t.pk}"' in everything for t in made)
    assert 'class="column-more"' not in everything


@pytest.mark.parametrize("cards", ["abc", "1", "-5", "100000", "4.5"])
def test_show_more_refuses_a_number_of_cards_out_of_range(client, monkeypatch, ana, site, cards):
    monkeypatch.setattr("meridian.work.selectors_views.COLUMN_SHOWN", 2)
    client.force_login(ana.user)
    board = url("project_board", ana.workspace, project_id=site.pk)
    response = client.get(board, {"cards": cards})
    assert response.status_code == 422
    assert "cards: a whole number from 2 to 500" in response.content.decode()
