"""Every work page renders for a member (a quick guard; the behaviour is in the other files)."""

import pytest
from django.urls import reverse

from meridian.work.services import dependency_add
from tests.work.factories import task

pytestmark = pytest.mark.django_db


def test_every_page_renders(client, ana, ben, site):
    first = task(ana, site, "Write the copy", owner=ana)
    second = task(ana, site, "Ship it", owner=ana)
    dependency_add(actor=ana, blocker=first, blocked=second)
    client.force_login(ana.user)
    ws = ana.workspace.slug
    names = [
        ("work_my", {}),
        ("work_waiting", {}),
        ("task_list", {}),
        ("task_create", {}),
        ("task_detail", {"task_id": second.pk}),
        ("task_edit", {"task_id": second.pk}),
        ("project_list", {}),
        ("project_create", {}),
        ("project_detail", {"project_id": site.pk}),
        ("project_board", {"project_id": site.pk}),
        ("project_edit", {"project_id": site.pk}),
    ]
    for name, kwargs in names:
        response = client.get(reverse(name, kwargs={"workspace": ws, **kwargs}))
        assert response.status_code == 200, name
