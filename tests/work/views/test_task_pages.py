"""The task pages through Django's test client: create, edit (409), the page's forms, access."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from meridian.core.submission import FIELD
from meridian.work.models import Dependency, Task, TaskComment, TaskEvent, TaskLink
from meridian.work.services import Due, comment_add, dependency_add, task_update
from meridian.workspaces.models import Role
from tests import factories
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def signed_in(client, member):
    client.force_login(member.user)
    return client


def create_post(project_id: int, **overrides) -> dict:
    data = {
        "project": str(project_id),
        "title": "Write the launch post",
        "description": "For the **blog**.",
        "criteria": "Reviewed by legal\n[x] Draft written",
        "owner": "",
        "followers": [],
        "status": "",
        "due_kind": "none",
        "due_date": "",
        "due_hours": "",
        "due_at": "",
        "estimate_hours": "1.5",
        "tags": "launch, blog",
        "parent": "",
    }
    data.update(overrides)
    return data


def edit_post(t: Task, **overrides) -> dict:
    data = create_post(
        t.project_id,
        title=t.title,
        description=t.description,
        criteria="",
        tags="",
        estimate_hours="",
        status=t.status,
        version=str(t.version),
    )
    del data["project"]
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, ana, site):
    t = task(ana, site)
    response = client.get(url("task_detail", ana.workspace, task_id=t.pk))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_member_of_another_workspace_gets_404_everywhere_and_changes_nothing(
    client, ana, site, outsider
):
    t = task(ana, site)
    signed_in(client, outsider)
    ws = ana.workspace
    assert client.get(url("task_detail", ws, task_id=t.pk)).status_code == 404
    assert client.get(url("task_edit", ws, task_id=t.pk)).status_code == 404
    assert client.get(url("project_board", ws, project_id=site.pk)).status_code == 404
    # Outsider's own workspace with the foreign ids: 404 as well.
    own = outsider.workspace
    assert client.get(url("task_detail", own, task_id=t.pk)).status_code == 404
    assert client.get(url("project_detail", own, project_id=site.pk)).status_code == 404
    response = client.post(url("task_comment_new", own, task_id=t.pk), {"body": "Hi"})
    assert response.status_code == 404
    response = client.post(
        url("task_move", own, task_id=t.pk), {"status": "done", "version": t.version}
    )
    assert response.status_code == 404
    t.refresh_from_db()
    assert t.status == "todo" and not TaskComment.objects.exists()


def test_guest_reads_a_task_but_cannot_open_its_edit_form(client, ana, site, workspace):
    t = task(ana, site, title="Order the banners")
    guest = factories.member(workspace, role=Role.GUEST)
    signed_in(client, guest)
    page = client.get(url("task_detail", workspace, task_id=t.pk))
    assert page.status_code == 200 and "Order the banners" in page.content.decode()
    assert ">Edit</a>" not in page.content.decode()
    assert "Add to the discussion" not in page.content.decode()
    assert client.get(url("task_edit", workspace, task_id=t.pk)).status_code == 403


# --- Creating ----------------------------------------------------------------------------------


def test_create_form_makes_the_task_with_everything_typed(client, ana, ben, site):
    signed_in(client, ana)
    data = create_post(site.pk, owner=str(ben.pk), followers=[str(ana.pk)])
    response = client.post(url("task_create", ana.workspace), data)
    t = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("task_detail", ana.workspace, task_id=t.pk)
    assert t.title == "Write the launch post" and t.owner == ben and t.status == "todo"
    assert t.criteria == [
        {"text": "Reviewed by legal", "done": False},
        {"text": "Draft written", "done": True},
    ]
    assert t.estimate_minutes == 90
    assert sorted(t.tags.values_list("name", flat=True)) == ["blog", "launch"]
    assert list(t.followers.all()) == [ana]


def test_a_status_not_in_the_workflow_is_a_form_error_naming_the_allowed_ones(client, ana, site):
    signed_in(client, ana)
    response = client.post(
        url("task_create", ana.workspace), create_post(site.pk, status="shipped")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "is not a status of Website relaunch" in body and "In review (review)" in body
    assert 'value="Write the launch post"' in body  # what was typed stays
    assert not Task.objects.exists()


def test_due_kind_without_its_value_is_a_form_error(client, ana, site):
    signed_in(client, ana)
    response = client.post(
        url("task_create", ana.workspace), create_post(site.pk, due_kind="local_day")
    )
    assert response.status_code == 422
    assert "Choose the day." in response.content.decode()
    assert not Task.objects.exists()


def test_due_moment_is_read_in_the_writers_own_zone(client, clock, ana, site):
    signed_in(client, ana)  # Europe/Berlin: 18:00 there is 17:00 UTC in December
    data = create_post(site.pk, due_kind="instant", due_at="2026-12-09T18:00")
    client.post(url("task_create", ana.workspace), data)
    assert Task.objects.get().due_at == datetime(2026, 12, 9, 17, 0, tzinfo=UTC)


def test_double_submitted_create_makes_one_task(client, ana, site):
    signed_in(client, ana)
    data = create_post(site.pk, **{FIELD: "a" * 32})
    first = client.post(url("task_create", ana.workspace), data)
    second = client.post(url("task_create", ana.workspace), data)
    assert Task.objects.count() == 1
    assert first.status_code == 302 and second.status_code == 303
    assert second["Location"] == first["Location"]


def test_task_page_shows_due_in_the_readers_zone_with_the_zone_named(client, clock, ana, ben, site):
    t = task(ana, site, owner=ana, due=Due("instant", at=datetime(2026, 12, 9, 17, 0, tzinfo=UTC)))
    signed_in(client, ben)  # Asia/Kathmandu, UTC+5:45
    body = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "22:45 Asia/Kathmandu" in body
    signed_in(client, ana)
    body = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "18:00 Europe/Berlin" in body
    # For the owner, how much of their own working time is left (Mon 9:00 → Wed 18:00 Berlin).
    assert "Due in <strong>24 h</strong> of your working time" in body


# --- Editing, and two people editing at once ---------------------------------------------------


def test_edit_saves_the_changes_into_the_timeline(client, ana, site):
    t = task(ana, site, title="Draft")
    signed_in(client, ana)
    response = client.post(
        url("task_edit", ana.workspace, task_id=t.pk), edit_post(t, title="Final", status="doing")
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.title, t.status, t.version) == ("Final", "doing", 2)
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "<del>Draft</del> → <ins>Final</ins>" in page
    assert "<del>To do</del> → <ins>Doing</ins>" in page


def test_stale_save_is_409_showing_the_other_change_and_keeping_what_was_typed(
    client, ana, ben, site
):
    t = task(ana, site, title="Draft")
    signed_in(client, ana)
    typed = edit_post(t, title="Ana's title", description="Ana's careful text")
    task_update(actor=ben, task=t, version=1, changes={"title": "Ben's title"})
    response = client.post(url("task_edit", ana.workspace, task_id=t.pk), typed)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this task while you were editing" in body
    assert "Ben Kathmandu" in body and "Ben&#x27;s title" in body  # their change, by them
    assert "Ana&#x27;s careful text" in body and 'value="Ana&#x27;s title"' in body
    assert 'name="version" value="2"' in body  # saving again now is a deliberate choice
    t.refresh_from_db()
    assert (t.title, t.description, t.version) == ("Ben's title", "", 2)
    # Saving again from that page replaces it, knowingly.
    again = client.post(url("task_edit", ana.workspace, task_id=t.pk), {**typed, "version": "2"})
    assert again.status_code == 302
    t.refresh_from_db()
    assert t.title == "Ana's title"


# --- The page's forms --------------------------------------------------------------------------


def test_ticking_criteria_saves_them_and_a_stale_tick_changes_nothing(client, ana, ben, site):
    t = task(ana, site, criteria=[{"text": "Copy"}, {"text": "Images"}])
    signed_in(client, ana)
    client.post(url("task_criteria", ana.workspace, task_id=t.pk), {"done": ["1"], "version": "1"})
    t.refresh_from_db()
    assert [c["done"] for c in t.criteria] == [False, True] and t.version == 2
    response = client.post(
        url("task_criteria", ana.workspace, task_id=t.pk),
        {"done": ["0"], "version": "1"},
        follow=True,
    )
    assert "Tick the criteria again" in response.content.decode()
    t.refresh_from_db()
    assert [c["done"] for c in t.criteria] == [False, True]


def test_follow_and_unfollow(client, ana, ben, site):
    t = task(ana, site)
    signed_in(client, ben)
    client.post(url("task_follow", ana.workspace, task_id=t.pk))
    assert list(t.followers.all()) == [ben]
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "Unfollow" in page
    client.post(url("task_follow", ana.workspace, task_id=t.pk), {"action": "unfollow"})
    assert not t.followers.exists()


def test_blocked_task_shows_its_blocker_and_owner_until_the_blocker_is_done(client, ana, ben, site):
    blocker = task(ana, site, "Get the domain", owner=ben)
    blocked = task(ana, site, "Launch", owner=ana)
    signed_in(client, ana)
    response = client.post(
        url("task_dependency_new", ana.workspace, task_id=blocked.pk),
        {"direction": "blocked_by", "other": str(blocker.pk)},
    )
    assert response.status_code == 302
    page = client.get(url("task_detail", ana.workspace, task_id=blocked.pk)).content.decode()
    assert 'state-blocked">Blocked</span>' in page
    assert "Get the domain" in page and "owned by Ben Kathmandu" in page
    assert "added a blocker: <strong>Get the domain</strong>" in page  # the timeline
    task_update(actor=ben, task=blocker, version=blocker.version, changes={"status": "done"})
    page = client.get(url("task_detail", ana.workspace, task_id=blocked.pk)).content.decode()
    assert 'state-blocked">Blocked</span>' not in page


def test_dependency_cycle_is_refused_on_the_page_naming_it(client, ana, site):
    a, b = task(ana, site, "Alpha"), task(ana, site, "Beta")
    dependency_add(actor=ana, blocker=a, blocked=b)
    signed_in(client, ana)
    response = client.post(
        url("task_dependency_new", ana.workspace, task_id=a.pk),
        {"direction": "blocked_by", "other": str(b.pk)},
    )
    assert response.status_code == 422
    assert "a cycle of blocking tasks: Beta → Alpha → Beta." in response.content.decode()
    assert Dependency.objects.count() == 1


def test_dependency_on_a_task_of_another_workspace_is_a_field_error(client, ana, site, outsider):
    theirs = task(outsider, project(outsider, "Theirs"))
    signed_in(client, ana)
    response = client.post(
        url("task_dependency_new", ana.workspace, task_id=task(ana, site).pk),
        {"direction": "blocks", "other": str(theirs.pk)},
    )
    assert response.status_code == 422
    assert f"There is no task #{theirs.pk} in this workspace." in response.content.decode()
    assert not Dependency.objects.exists()


def test_question_is_shown_unanswered_then_answered(client, ana, ben, site):
    t = task(ana, site, owner=ana)
    signed_in(client, ben)
    response = client.post(
        url("task_comment_new", ana.workspace, task_id=t.pk),
        {"body": "Which **font**? <script>x()</script>", "is_question": "on"},
    )
    question = TaskComment.objects.get()
    assert response["Location"].endswith(f"#comment-{question.pk}")
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "Unanswered question" in page and "<strong>font</strong>" in page
    assert f'<a href="#comment-{question.pk}">Which font?' in page  # the side list: plain text
    assert "<script>x()" not in page
    signed_in(client, ana)
    client.post(
        url("task_answer", ana.workspace, task_id=t.pk, comment_id=question.pk),
        {"body": "Inter."},
    )
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "Answered by Ana Berlin" in page and "Unanswered question" not in page


def test_empty_comment_is_422_and_writes_nothing(client, ana, site):
    t = task(ana, site)
    signed_in(client, ana)
    response = client.post(url("task_comment_new", ana.workspace, task_id=t.pk), {"body": ""})
    assert response.status_code == 422
    assert not TaskComment.objects.exists()


def test_linking_another_task_shows_it_with_its_title(client, ana, site):
    t, other = task(ana, site, "Write"), task(ana, site, "Print the flyers")
    signed_in(client, ana)
    response = client.post(
        url("task_link_new", ana.workspace, task_id=t.pk),
        {"kind": "task", "target_id": str(other.pk), "note": "same fonts"},
    )
    assert response.status_code == 302
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert f'href="{url("task_detail", ana.workspace, task_id=other.pk)}">Print the flyers' in page
    missing = client.post(
        url("task_link_new", ana.workspace, task_id=t.pk), {"kind": "task", "target_id": "999999"}
    )
    assert missing.status_code == 422 and TaskLink.objects.count() == 1


def test_thread_and_timeline_show_who_and_when_in_the_readers_zone(client, clock, ana, ben, site):
    t = task(ana, site, owner=ana)
    comment_add(actor=ben, task=t, body="Looks good")
    signed_in(client, ana)
    page = client.get(url("task_detail", ana.workspace, task_id=t.pk)).content.decode()
    assert "Looks good" in page
    assert "created the task" in page and "09:00 Europe/Berlin" in page
    assert TaskEvent.objects.filter(task=t, field="created").exists()


def test_choosing_another_project_brings_its_statuses(client, ana, site):
    other = project(
        ana,
        "Office move",
        workflow=[
            {"key": "packing", "label": "Packing", "category": "open"},
            {"key": "moved", "label": "Moved", "category": "done"},
        ],
    )
    signed_in(client, ana)
    form = client.get(url("task_create", ana.workspace)).content.decode()
    assert 'hx-get="/w/acme/work/tasks/new/"' in form and 'hx-select="#id_status"' in form
    body = client.get(
        url("task_create", ana.workspace),
        {"project": str(other.pk)},
        headers={"hx-request": "true"},
    ).content.decode()
    assert '<option value="packing">Packing</option>' in body
    assert '<option value="doing">' not in body


def test_htmx_comment_gets_the_thread_back_with_the_comment_or_the_error(client, ana, site):
    t = task(ana, site)
    signed_in(client, ana)
    address = url("task_comment_new", ana.workspace, task_id=t.pk)
    ok = client.post(address, {"body": "On it."}, headers={"hx-request": "true"})
    body = ok.content.decode()
    assert ok.status_code == 200 and body.lstrip().startswith('<section id="thread"')
    assert "On it." in body and "<html" not in body
    empty = client.post(address, {"body": ""}, headers={"hx-request": "true"})
    assert "This field is required." in empty.content.decode()
    assert TaskComment.objects.count() == 1
