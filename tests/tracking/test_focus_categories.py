"""Focus categories: admins say which categories of synced activity count as focus (the policy
page and the API); everyone reads them; bad input names the field and writes nothing."""

import pytest
from django.urls import reverse

from meridian.tracking.models import FocusCategory
from tests.api.support import bearer, get, problem, send

pytestmark = pytest.mark.django_db


def url(workspace, name: str) -> str:
    return reverse(name, kwargs={"workspace": workspace.slug})


def names(workspace) -> list[str]:
    return list(
        FocusCategory.objects.filter(workspace=workspace)
        .order_by("name")
        .values_list("name", flat=True)
    )


def test_admins_set_focus_categories_on_the_policy_page_and_members_read_them(
    client, workspace, admin, member
):
    client.force_login(admin.user)
    response = client.post(url(workspace, "tracking_focus"), {"focus-names": "Coding\n\nWriting\n"})
    assert response.status_code == 302 and response["Location"].endswith("#focus-heading")
    assert names(workspace) == ["Coding", "Writing"]
    client.force_login(member.user)
    page = client.get(url(workspace, "tracking_policy")).content.decode()
    assert "<li>Coding</li>" in page and "Save the focus categories" not in page
    assert client.post(url(workspace, "tracking_focus"), {"focus-names": "X"}).status_code == 403
    assert names(workspace) == ["Coding", "Writing"]


def test_a_category_name_too_long_is_refused_beside_the_field(client, workspace, admin):
    client.force_login(admin.user)
    response = client.post(url(workspace, "tracking_focus"), {"focus-names": "x" * 101})
    assert response.status_code == 422
    assert "at most 100 characters" in response.content.decode()
    assert names(workspace) == []


def test_focus_categories_through_the_api(client, workspace, admin, member):
    assert get(client, "/activity/focus-categories", bearer(member)).json() == {"names": []}
    body = {"names": ["Writing", "Coding", "coding"]}
    answer = send(client, "PUT", "/activity/focus-categories", body, bearer(admin))
    assert answer.status_code == 200 and answer.json() == {"names": ["Coding", "Writing"]}
    refused = send(client, "PUT", "/activity/focus-categories", {"names": ["Deep"]}, bearer(member))
    assert refused.status_code == 403
    too_many = {"names": [f"C{i}" for i in range(51)]}
    errors = problem(
        send(client, "PUT", "/activity/focus-categories", too_many, bearer(admin)), 422
    )
    assert "names" in errors["errors"]
    assert get(client, "/activity/focus-categories", bearer(member)).json() == {
        "names": ["Coding", "Writing"]
    }
