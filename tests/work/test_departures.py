"""A member leaves: their tasks stay theirs, marked "Left the workspace" wherever they show, are
listed for admins at the top of the readiness page, and can still be handed over."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.handovers.kinds import HOLDER_LEFT, handover_kinds
from meridian.handovers.models import HandoverState
from meridian.handovers.services import handover_acknowledge, handover_start
from meridian.work.models import Task, TaskFollower
from meridian.work.services import dependency_add, task_follow
from meridian.workspaces.services import member_deactivate
from tests.api.support import bearer, get
from tests.briefs.factories import person
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db

LEFT = "Left the workspace"


@pytest.fixture
def gone(ana, ben, admin, site):
    """Ben owns a task and follows another, then leaves."""
    owned = task(ana, site, title="Renew the certificates", owner=ben)
    followed = task(ana, site, title="Write the copy", owner=ana)
    task_follow(actor=ben, task=followed)
    member_deactivate(acting=admin, member=ben)
    return owned


def url(member, name, **kw):
    return reverse(name, kwargs={"workspace": member.workspace.slug, **kw})


def test_the_task_stays_with_the_member_who_left_and_their_follower_rows_go(gone, ben):
    assert Task.objects.get(pk=gone.pk).owner_id == ben.pk
    assert not TaskFollower.objects.filter(membership=ben).exists()


def test_the_task_page_board_list_and_project_say_the_owner_left(gone, ana, client, site):
    client.force_login(ana.user)
    pages = [
        url(ana, "task_detail", task_id=gone.pk),
        url(ana, "project_board", project_id=site.pk),
        url(ana, "task_list"),
        url(ana, "project_detail", project_id=site.pk),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert html.count(LEFT) == 1, page


def test_an_owner_who_is_still_a_member_shows_no_left_badge(ana, ben, site, client):
    t = task(ana, site, title="Renew the certificates", owner=ben)
    client.force_login(ana.user)
    assert LEFT not in client.get(url(ana, "task_detail", task_id=t.pk)).content.decode()


def test_the_task_api_says_the_owner_left_as_the_pages_do(gone, ana, ben, site, client):
    stays = task(ana, site, title="Stay on it", owner=ana)
    blocked = task(ana, site, title="After the certificates", owner=ana)
    dependency_add(actor=ana, blocker=gone, blocked=blocked)
    headers = bearer(ana)

    listed = {t["title"]: t for t in get(client, "/tasks", headers).json()["items"]}
    one = get(client, f"/tasks/{gone.pk}", headers).json()
    other = get(client, f"/tasks/{blocked.pk}", headers).json()

    assert listed["Renew the certificates"]["owner_left"] is True
    assert listed["Renew the certificates"]["owner"]["id"] == ben.pk
    assert listed[stays.title]["owner_left"] is False
    assert one["owner_left"] is True and other["owner_left"] is False
    # A task that names it (its blocker here) says so too.
    assert other["blockers"][0]["task"]["owner_left"] is True


def test_the_task_readiness_names_the_owner_who_left(gone, ana):
    (found,) = handover_kinds()["task"].readiness(ana.workspace_id, [gone.pk])
    left = next(c for c in found.checks if c.key == HOLDER_LEFT)
    assert (left.ok, left.missing) == (False, "Owned by someone who left")


def test_admins_see_tasks_of_those_who_left_at_the_top_of_the_readiness_page(
    gone, admin, ben, client
):
    client.force_login(admin.user)
    html = client.get(url(admin, "handover_readiness")).content.decode()
    assert "Owned by someone who left" in html
    top = html.index("Owned by someone who left")
    assert html.index("Renew the certificates", top) > top
    everything = url(admin, "handover_everything") + f"?member={ben.pk}"
    assert f'href="{everything}"' in html


def test_members_do_not_see_the_section_of_those_who_left(gone, ana, client):
    client.force_login(ana.user)
    html = client.get(url(ana, "handover_readiness")).content.decode()
    assert "Owned by someone who left" not in html


def test_the_readiness_page_reads_departed_owners_in_constant_queries(
    ana, admin, site, client, workspace
):
    client.force_login(admin.user)

    def leave_with_tasks(n):
        person_ = person(workspace)
        for i in range(n):
            task(ana, site, title=f"Task {i}", owner=person_)
        member_deactivate(acting=admin, member=person_)

    leave_with_tasks(1)
    with CaptureQueriesContext(connection) as one:
        client.get(url(admin, "handover_readiness"))
    leave_with_tasks(4)
    leave_with_tasks(2)
    with CaptureQueriesContext(connection) as many:
        client.get(url(admin, "handover_readiness"))
    assert len(many) == len(one)


def test_an_admin_hands_over_a_task_of_someone_who_left_and_the_receiver_takes_it(
    gone, admin, ana, ben
):
    h = handover_start(
        actor=admin, kind="task", object_id=gone.pk, receiver=ana, note="Ben left.", giver=ben
    )
    handover_acknowledge(actor=ana, handover=h)
    h.refresh_from_db()
    assert h.state == HandoverState.ACKNOWLEDGED
    assert Task.objects.get(pk=gone.pk).owner_id == ana.pk


def test_a_pending_task_handover_from_someone_who_leaves_can_still_be_acknowledged(
    ana, ben, admin, site
):
    t = task(ana, site, title="Renew the certificates", owner=ben)
    h = handover_start(actor=ben, kind="task", object_id=t.pk, receiver=ana, note="Yours.")
    member_deactivate(acting=admin, member=ben)
    handover_acknowledge(actor=ana, handover=h)
    assert Task.objects.get(pk=t.pk).owner_id == ana.pk


def test_a_project_led_by_someone_who_left_is_listed_for_admins(ana, ben, admin, client):
    project(ben, "Infra migration", lead=ben)
    member_deactivate(acting=admin, member=ben)
    client.force_login(admin.user)
    html = client.get(url(admin, "handover_readiness")).content.decode()
    top = html.index("Owned by someone who left")
    assert html.index("Infra migration", top) > top


def test_the_readiness_api_lists_for_admins_what_those_who_left_hold(gone, admin, ana, ben, client):
    body = get(client, "/readiness", bearer(admin)).json()
    (row,) = body["departed"]
    assert row["member"]["id"] == ben.pk
    assert [i["title"] for i in row["at_risk"]] == ["Renew the certificates"]
    assert "holder_left" in [c["key"] for c in row["at_risk"][0]["checks"]]
    assert get(client, "/readiness", bearer(ana)).json()["departed"] == []
