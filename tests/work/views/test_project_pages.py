"""Project pages: list, create with a workflow, edit (workflow editor), and their refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.core.submission import FIELD
from meridian.work.models import Project
from meridian.work.services import project_update
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def workflow_post(rows: list[tuple[str, str, str]], **fields) -> dict:
    """The editor's rows as (key, label, category), in the order given, plus the empty row."""
    data = {"wf-count": str(len(rows) + 1), **fields}
    for n, (key, label, category) in enumerate([*rows, ("", "", "open")]):
        data.update(
            {
                f"wf-{n}-key": key,
                f"wf-{n}-label": label,
                f"wf-{n}-category": category,
                f"wf-{n}-order": str(n + 1),
            }
        )
    return data


DEFAULT_ROWS = [
    ("todo", "To do", "open"),
    ("doing", "Doing", "active"),
    ("review", "In review", "active"),
    ("blocked", "Blocked", "blocked"),
    ("done", "Done", "done"),
]


def test_create_project_with_lead_members_and_a_status_added(client, ana, ben):
    client.force_login(ana.user)
    data = workflow_post(
        [*DEFAULT_ROWS[:2], ("", "QA check", "active"), *DEFAULT_ROWS[2:]],
        name="Office move",
        description="New **office**",
        lead=str(ben.pk),
        members=[str(ana.pk), str(ben.pk)],
        **{FIELD: "b" * 32},
    )
    response = client.post(url("project_create", ana.workspace), data)
    again = client.post(url("project_create", ana.workspace), data)
    made = Project.objects.get()
    assert response.status_code == 302 and again.status_code == 303
    assert (made.name, made.lead) == ("Office move", ben)
    assert [s["label"] for s in made.statuses()] == [
        "To do",
        "Doing",
        "QA check",
        "In review",
        "Blocked",
        "Done",
    ]
    assert made.status("qa_check") == {"key": "qa_check", "label": "QA check", "category": "active"}
    page = client.get(url("project_detail", ana.workspace, project_id=made.pk)).content.decode()
    assert "<strong>office</strong>" in page and "Ben Kathmandu" in page


def test_project_without_a_name_is_422(client, ana):
    client.force_login(ana.user)
    response = client.post(
        url("project_create", ana.workspace), workflow_post(DEFAULT_ROWS, name="")
    )
    assert response.status_code == 422 and not Project.objects.exists()


def test_editor_renames_reorders_and_recategorises(client, ana, site):
    client.force_login(ana.user)
    rows = [
        ("doing", "Working on it", "active"),
        ("todo", "Backlog", "open"),
        ("review", "In review", "active"),
        ("blocked", "Blocked", "blocked"),
        ("done", "Shipped", "done"),
    ]
    response = client.post(
        url("project_edit", ana.workspace, project_id=site.pk),
        workflow_post(rows, name=site.name, version=str(site.version)),
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert [(s["key"], s["label"]) for s in site.statuses()] == [(k, v) for k, v, _ in rows]


def test_dropping_a_status_still_in_use_is_refused_naming_it(client, ana, site):
    task(ana, site, "Half done", status="review")
    client.force_login(ana.user)
    rows = [r for r in DEFAULT_ROWS if r[0] != "review"]
    response = client.post(
        url("project_edit", ana.workspace, project_id=site.pk),
        workflow_post(rows, name="Renamed", version=str(site.version)),
    )
    assert response.status_code == 422
    assert "The status “In review” is still used by 1 task" in response.content.decode()
    site.refresh_from_db()
    assert site.name == "Website relaunch" and site.status("review") is not None


def test_stale_project_save_is_409_and_keeps_what_was_typed(client, ana, ben, site):
    client.force_login(ana.user)
    typed = workflow_post(DEFAULT_ROWS, name="Ana's name", version=str(site.version))
    project_update(actor=ben, project=site, version=site.version, changes={"name": "Ben's name"})
    response = client.post(url("project_edit", ana.workspace, project_id=site.pk), typed)
    assert response.status_code == 409
    assert 'value="Ana&#x27;s name"' in response.content.decode()
    site.refresh_from_db()
    assert site.name == "Ben's name"


def test_project_list_query_count_is_constant(client, ana, ben):
    client.force_login(ana.user)
    address = url("project_list", ana.workspace)
    first = project(ana, "First", lead=ben)
    task(ana, first)
    client.get(address)
    with CaptureQueriesContext(connection) as one:
        client.get(address)
    for n in range(12):
        made = project(ana, f"P{n}", lead=[ana, ben][n % 2])
        task(ana, made)
    with CaptureQueriesContext(connection) as many:
        body = client.get(address).content.decode()
    assert len(many) == len(one) and "P11" in body
