"""The work API: projects, tasks, the timeline, conflicts, dependencies, the thread, links and
files, every error in the one problem format, tenancy, and constant query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.work.models import Dependency, Project, Task, TaskComment, TaskFile
from meridian.work.services import Due, dependency_add, task_update
from meridian.workspaces.models import Role
from tests import factories
from tests.api.support import API, bearer, get, problem, send, sign_in
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def test_member_creates_a_project_with_the_default_workflow(client, ana, ben):
    body = {"name": "Launch", "description": "*Go*", "lead_id": ben.pk, "member_ids": [ana.pk]}
    response = send(client, "POST", "/projects", body, bearer(ana))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["lead"]["display_name"] == "Ben Kathmandu" and out["member_ids"] == sorted(
        [ana.pk, ben.pk]
    )
    assert [s["key"] for s in out["workflow"]] == ["todo", "doing", "review", "blocked", "done"]
    assert out["description_html"] == "<p><em>Go</em></p>\n"


def test_project_patch_with_a_stale_version_is_409(client, ana, site):
    headers = bearer(ana)
    ok = send(client, "PATCH", f"/projects/{site.pk}", {"version": 1, "name": "Relaunch"}, headers)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    problem(
        send(client, "PATCH", f"/projects/{site.pk}", {"version": 1, "name": "X"}, headers), 409
    )
    assert Project.objects.get().name == "Relaunch"


def test_create_task_with_a_follow_the_sun_due_date_and_read_it_back(client, clock, ana, ben, site):
    body = {
        "project_id": site.pk,
        "title": "Translate the FAQ",
        "description": "Nepali first.",
        "criteria": [{"text": "Reviewed by a native speaker"}],
        "owner_id": ben.pk,
        "due_date": "2026-12-09",
        "estimate_minutes": 120,
        "tags": ["i18n"],
    }
    response = send(client, "POST", "/tasks", body, bearer(ana))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "todo" and out["status_label"] == "To do" and out["version"] == 1
    assert out["due_kind"] == "local_day" and out["due_by"] == "2026-12-09T11:15:00Z"
    assert out["owner"]["id"] == ben.pk and out["tags"] == ["i18n"]
    assert out["criteria"] == [{"text": "Reviewed by a native speaker", "done": False}]
    again = get(client, f"/tasks/{out['id']}", bearer(ben)).json()
    assert again == out


def test_status_outside_the_workflow_is_422_and_nothing_is_written(client, ana, site):
    body = {"project_id": site.pk, "title": "X", "status": "shipped"}
    out = problem(send(client, "POST", "/tasks", body, bearer(ana)), 422)
    assert "use one of: To do (todo)" in out["errors"]["status"][0]
    assert not Task.objects.exists()


def test_a_double_submitted_create_with_one_idempotency_key_makes_one_task(client, ana, site):
    headers = bearer(ana) | {"Idempotency-Key": "task-create-1"}
    body = {"project_id": site.pk, "title": "Once"}
    first = send(client, "POST", "/tasks", body, headers)
    again = send(client, "POST", "/tasks", body, headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


def test_guest_reads_but_may_not_create(client, workspace, ana, site):
    guest = factories.member(workspace, role=Role.GUEST)
    t = task(ana, site)
    headers = sign_in(client, guest.user) | {"X-Meridian-Workspace": workspace.slug}
    assert get(client, f"/tasks/{t.pk}", headers).status_code == 200
    problem(send(client, "POST", "/tasks", {"project_id": site.pk, "title": "X"}, headers), 403)
    assert Task.objects.count() == 1


def test_another_workspaces_task_and_project_are_404(client, ana, site, outsider):
    t = task(ana, site)
    problem(get(client, f"/tasks/{t.pk}", bearer(outsider)), 404)
    problem(get(client, f"/projects/{site.pk}", bearer(outsider)), 404)
    out = problem(
        send(client, "POST", "/tasks", {"project_id": site.pk, "title": "X"}, bearer(outsider)), 422
    )
    assert list(out["errors"]) == ["project_id"]


def test_patch_on_an_old_version_is_409_showing_the_other_change_and_writes_nothing(
    client, ana, ben, site
):
    t = task(ana, site)
    task_update(actor=ben, task=t, version=1, changes={"status": "doing"})
    response = send(
        client, "PATCH", f"/tasks/{t.pk}", {"version": 1, "status": "review"}, bearer(ana)
    )
    assert response.status_code == 409
    out = response.json()
    assert "Ben Kathmandu" in out["detail"]
    assert out["current"]["status"] == "doing" and out["current"]["version"] == 2
    assert [(c["field"], c["old"], c["new"], c["actor"]["id"]) for c in out["changes"]] == [
        ("status", "To do", "Doing", ben.pk)
    ]
    assert Task.objects.get().status == "doing"


def test_patch_records_the_timeline_which_the_api_lists_newest_first(client, ana, ben, site):
    t = task(ana, site)
    response = send(
        client,
        "PATCH",
        f"/tasks/{t.pk}",
        {"version": 1, "owner_id": ben.pk, "title": "New"},
        bearer(ana),
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    events = get(client, f"/tasks/{t.pk}/timeline", bearer(ana)).json()["items"]
    assert {(e["field"], e["old"], e["new"]) for e in events[:2]} == {
        ("owner", "", "Ben Kathmandu"),
        ("title", "Write the copy", "New"),
    }
    assert events[-1]["field"] == "created"


def test_task_list_filters_and_keeps_a_constant_query_count(client, clock, ana, ben, site):
    headers = bearer(ana)
    first = task(ana, site, title="Blocker", owner=ben, tags=["x"])
    blocked = task(
        ana, site, title="Blocked", owner=ana, due=Due("local_day", date=date(2026, 12, 8))
    )
    dependency_add(actor=ana, blocker=first, blocked=blocked)

    def ids(query: str) -> list[int]:
        return [row["id"] for row in get(client, f"/tasks?{query}", headers).json()["items"]]

    assert ids("blocked=true") == [blocked.pk]
    assert ids(f"owner={ben.pk}") == [first.pk]
    assert ids("owner=me") == [blocked.pk]
    assert ids("tag=x") == [first.pk]
    assert ids("due=week") == [blocked.pk] and ids("due=none") == [first.pk]
    problem(get(client, "/tasks?due=someday", headers), 422)
    assert list(problem(get(client, f"/tasks?owner={2**70}", headers), 422)["errors"]) == ["owner"]
    assert list(problem(get(client, f"/tasks?project={2**70}", headers), 422)["errors"]) == [
        "project"
    ]

    with CaptureQueriesContext(connection) as few:
        assert len(get(client, "/tasks", headers).json()["items"]) == 2
    for n in range(28):
        task(
            ana,
            project(ana, f"P{n}") if n % 5 == 0 else site,
            title=f"T{n}",
            owner=ben,
            tags=[f"t{n}"],
        )
    with CaptureQueriesContext(connection) as many:
        assert len(get(client, "/tasks", headers).json()["items"]) == 30
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]


def test_task_detail_keeps_a_constant_query_count(client, ana, ben, site):
    headers = bearer(ana)

    def busy(title: str, n: int) -> Task:
        t = task(ana, site, title=title)
        for i in range(n):
            other = task(ana, site, title=f"{title} blocker {i}", owner=ben)
            dependency_add(actor=ana, blocker=other, blocked=t)
            task(ana, site, title=f"{title} sub {i}", parent=t, owner=ben)
            send(
                client,
                "POST",
                f"/tasks/{t.pk}/comments",
                {"body": f"c{i}", "is_question": True},
                headers,
            )
            send(
                client,
                "POST",
                f"/tasks/{t.pk}/links",
                {"kind": "task", "target_id": other.pk},
                headers,
            )
        return t

    one, five = busy("One", 1), busy("Five", 5)
    get(client, f"/tasks/{one.pk}", headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        get(client, f"/tasks/{one.pk}", headers)
    with CaptureQueriesContext(connection) as many:
        out = get(client, f"/tasks/{five.pk}", headers).json()
    assert (
        len(out["blockers"]) == 5
        and len(out["subtasks"]) == 5
        and len(out["open_question_ids"]) == 5
    )
    assert out["is_blocked"] and out["blockers"][0]["task"]["owner"]["id"] == ben.pk
    assert len(out["links"]) == 5 and out["links"][0]["url"].startswith("/w/")
    assert len(many) == len(few)


def test_dependency_cycle_is_422_naming_it(client, ana, site):
    a, b = task(ana, site, title="A"), task(ana, site, title="B")
    headers = bearer(ana)
    ok = send(client, "POST", f"/tasks/{b.pk}/dependencies", {"blocker_id": a.pk}, headers)
    assert ok.status_code == 201 and ok.json()["task"]["title"] == "A"
    out = problem(
        send(client, "POST", f"/tasks/{a.pk}/dependencies", {"blocker_id": b.pk}, headers), 422
    )
    assert out["errors"]["blocker"] == ["That would make a cycle of blocking tasks: B → A → B."]
    dep = Dependency.objects.get()
    assert (
        send(client, "DELETE", f"/tasks/{b.pk}/dependencies/{dep.pk}", None, headers).status_code
        == 204
    )
    assert not Dependency.objects.exists()


def test_question_answer_and_mention_through_the_api(client, ana, ben, site):
    t = task(ana, site, owner=ana)
    handle = ana.user.email.split("@")[0]
    q = send(
        client,
        "POST",
        f"/tasks/{t.pk}/comments",
        {"body": f"@{handle} why?", "is_question": True},
        bearer(ben),
    )
    assert q.status_code == 201 and 'class="mention"' in q.json()["body_html"]
    qid = q.json()["id"]
    assert get(client, f"/tasks/{t.pk}", bearer(ana)).json()["open_question_ids"] == [qid]
    answered = send(
        client, "POST", f"/tasks/{t.pk}/comments/{qid}/answer", {"body": "Because."}, bearer(ana)
    )
    assert answered.status_code == 200 and answered.json()["answered_by"]["id"] == ana.pk
    problem(
        send(client, "POST", f"/tasks/{t.pk}/comments/{qid}/answer", {"body": "x"}, bearer(ana)),
        409,
    )
    thread = get(client, f"/tasks/{t.pk}/comments", bearer(ana)).json()["items"]
    assert [(c["body"], c["parent_id"]) for c in thread] == [
        (f"@{handle} why?", None),
        ("Because.", qid),
    ]
    assert TaskComment.objects.count() == 2


def test_files_attach_download_as_attachment_and_remove(client, ana, site, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    t = task(ana, site)
    headers = bearer(ana)
    from django.core.files.uploadedfile import SimpleUploadedFile

    up = client.post(
        f"{API}/tasks/{t.pk}/files",
        {
            "file": SimpleUploadedFile(
                "page.html", b"<script>alert(1)</script>", content_type="text/html"
            )
        },
        headers=headers,
    )
    assert up.status_code == 201, up.content
    fid = up.json()["id"]
    down = get(client, f"/tasks/{t.pk}/files/{fid}", headers)
    assert down["Content-Type"] == "application/octet-stream"
    assert down["Content-Disposition"].startswith("attachment;")
    assert send(client, "DELETE", f"/tasks/{t.pk}/files/{fid}", None, headers).status_code == 204
    assert not TaskFile.objects.exists()


def test_follow_and_unfollow(client, ana, ben, site):
    t = task(ana, site)
    assert send(client, "POST", f"/tasks/{t.pk}/follow", None, bearer(ben)).json() == {
        "following": True
    }
    assert [f["id"] for f in get(client, f"/tasks/{t.pk}", bearer(ben)).json()["followers"]] == [
        ben.pk
    ]
    assert send(client, "DELETE", f"/tasks/{t.pk}/follow", None, bearer(ben)).json() == {
        "following": False
    }


def test_a_file_over_the_limit_is_413_naming_it_and_nothing_is_stored(
    client, ana, site, settings, tmp_path
):
    settings.ATTACHMENT_MAX_BYTES = 10
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    t = task(ana, site)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"{API}/tasks/{t.pk}/files",
        {"file": SimpleUploadedFile("big.txt", b"x" * 200)},
        headers=bearer(ana),
    )
    out = problem(response, 413)
    assert "10 bytes" in out["errors"]["file"][0]
    assert not TaskFile.objects.exists() and list(tmp_path.rglob("*")) == []


def test_project_list_keeps_a_constant_query_count(client, ana, ben, site):
    headers = bearer(ana)
    get(client, "/projects", headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert len(get(client, "/projects", headers).json()["items"]) == 1
    for n in range(12):
        project(ana, f"P{n}", lead=ben, member_ids=[ana.pk, ben.pk])
    with CaptureQueriesContext(connection) as many:
        assert len(get(client, "/projects", headers).json()["items"]) == 13
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]


def test_timeline_and_thread_lists_keep_a_constant_query_count(client, ana, ben, site):
    t = task(ana, site)
    headers = bearer(ana)
    get(client, f"/tasks/{t.pk}/timeline", headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        get(client, f"/tasks/{t.pk}/timeline", headers)
        get(client, f"/tasks/{t.pk}/comments", headers)
    for n in range(10):
        who = ana if n % 2 else ben
        t = task_update(actor=who, task=t, version=t.version, changes={"title": f"Title {n}"})
        send(client, "POST", f"/tasks/{t.pk}/comments", {"body": f"c{n}"}, bearer(who))
    with CaptureQueriesContext(connection) as many:
        assert len(get(client, f"/tasks/{t.pk}/timeline", headers).json()["items"]) == 11
        assert len(get(client, f"/tasks/{t.pk}/comments", headers).json()["items"]) == 10
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]
