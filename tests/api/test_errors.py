"""Bad input gets a JSON problem that names it, with a 4xx status, and changes nothing."""

import json

import pytest
from django.conf import settings

from meridian.accounts.models import ApiToken
from meridian.core.models import AuditEntry
from meridian.workspaces.models import Profile, Team
from tests.api.support import API, bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


def _team_body(size: int) -> str:
    """A well-formed JSON team of exactly ``size`` bytes (padded with JSON whitespace)."""
    shell = json.dumps({"name": "Big", "description": "A team."})
    return shell[:-1] + " " * (size - len(shell)) + "}"


def _oversized_team() -> str:
    """A well-formed JSON body one byte over the configured request size limit."""
    return _team_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


def test_malformed_json_is_400_naming_json_and_creates_nothing(client, member):
    response = client.post(
        f"{API}/teams",
        data='{"name": "Half',
        content_type="application/json",
        headers=bearer(member),
    )
    body = problem(response, 400)
    assert "not valid JSON" in body["detail"]
    assert list(body["errors"]) == ["body"]
    assert not Team.objects.exists()


def test_malformed_json_on_patch_changes_nothing(client, member):
    before = Profile.objects.filter(membership=member).values().get()
    response = client.patch(
        f"{API}/profile",
        data="{time_zone: UTC}",
        content_type="application/json",
        headers=bearer(member),
    )
    problem(response, 400)
    assert Profile.objects.filter(membership=member).values().get() == before


def test_body_that_is_not_utf8_is_400(client, member):
    response = client.post(
        f"{API}/teams", data=b"\xff\xfe{}", content_type="application/json", headers=bearer(member)
    )
    assert "not valid JSON" in problem(response, 400)["detail"]


def test_json_that_is_not_an_object_is_422(client, member):
    problem(send(client, "POST", "/teams", ["Platform"], bearer(member)), 422)
    assert not Team.objects.exists()


def test_missing_required_field_is_422_naming_the_field(client, member):
    body = problem(send(client, "POST", "/teams", {}, bearer(member)), 422)
    assert body["detail"].startswith("name:")
    assert list(body["errors"]) == ["name"]


def test_field_of_the_wrong_type_is_422_naming_the_field(client, member):
    body = problem(send(client, "POST", "/teams", {"name": ["a"]}, bearer(member)), 422)
    assert list(body["errors"]) == ["name"]


def test_oversized_body_is_413_naming_the_limit_and_creates_nothing(client, member):
    headers = bearer(member)
    audits = AuditEntry.objects.count()
    response = client.post(
        f"{API}/teams", data=_oversized_team(), content_type="application/json", headers=headers
    )
    body = problem(response, 413)
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes" in body["detail"]
    assert (Team.objects.count(), AuditEntry.objects.count()) == (0, audits)


def test_oversized_body_through_a_session_is_413(browser, member):
    csrf = sign_in(browser, member.user)
    response = browser.post(
        f"{API}/teams", data=_oversized_team(), content_type="application/json", headers=csrf
    )
    problem(response, 413)
    assert not Team.objects.exists()


def test_oversized_form_body_is_413_even_while_csrf_is_checked(browser, member):
    csrf = sign_in(browser, member.user)
    form = "name=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = browser.post(
        f"{API}/tokens",
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers=csrf,
    )
    problem(response, 413)
    assert not ApiToken.objects.exists()


def test_body_exactly_at_the_limit_is_accepted(client, member):
    body = _team_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = client.post(
        f"{API}/teams", data=body, content_type="application/json", headers=bearer(member)
    )
    assert response.status_code == 201


def test_unknown_api_path_is_a_json_404(client, member):
    body = problem(get(client, "/nowhere", bearer(member)), 404)
    assert "/nowhere" in body["detail"]


def test_wrong_method_is_a_json_405_listing_the_allowed_ones(client, member):
    response = send(client, "DELETE", "/members", headers=bearer(member))
    body = problem(response, 405)
    assert response["Allow"] == "GET"
    assert "DELETE" in body["detail"]


def test_service_refusal_keeps_the_problem_shape(client, admin):
    response = send(client, "PUT", f"/members/{admin.pk}/role", {"role": "member"}, bearer(admin))
    assert problem(response, 409)["errors"] == {}


def test_api_root_is_a_json_404_pointing_to_the_document(client):
    body = problem(client.get(f"{API}/"), 404)
    assert "/api/v1/openapi.json" in body["detail"]


def test_query_parameter_of_the_wrong_type_is_422_naming_it(client, admin):
    body = problem(get(client, "/audit?since=yesterday", bearer(admin)), 422)
    assert list(body["errors"]) == ["since"]
