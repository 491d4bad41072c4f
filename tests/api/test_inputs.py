"""The input gate: NUL characters, numbers beyond 64 bits, bodies that are not objects, chunked bodies.

Each used to be a 500 on one database or the other (or, for a bare string body, silently did the
wrong thing); now each is a 4xx naming the problem, and nothing is written.
"""

import logging

import pytest
from django.test import Client

from meridian.briefs.models import Brief, Comment
from meridian.core.inputs import MAX_ID
from meridian.decisions.models import Proposal
from meridian.workspaces.models import Profile, Team
from tests.api.support import API, bearer, get, problem, send
from tests.briefs.factories import brief, next_week

pytestmark = pytest.mark.django_db

TOO_BIG = MAX_ID + 1


def _title(member) -> str:
    return Profile.objects.get(membership=member).title


@pytest.mark.parametrize(
    "path",
    [
        "/members?q=a%00b",
        "/briefs?q=%00",
        "/decisions?q=%00",
        "/proposals?q=%00",
        "/audit?q=%00",
        "/captions/search?q=%00",
        "/search?q=%00",
    ],
)
def test_nul_in_a_query_filter_is_422_naming_the_parameter(client, admin, path):
    body = problem(get(client, path, bearer(admin)), 422)
    assert list(body["errors"]) == ["q"]
    assert "NUL" in body["detail"]


def test_nul_in_a_path_is_422_not_a_database_error(client, admin):
    body = problem(send(client, "PATCH", "/teams/a%00b", {"name": "X"}, bearer(admin)), 422)
    assert "address" in body["detail"]


def test_nul_in_a_profile_title_is_422_and_the_title_is_unchanged(client, member):
    before = _title(member)
    body = problem(send(client, "PATCH", "/profile", {"title": "CEO\x00"}, bearer(member)), 422)
    assert list(body["errors"]) == ["title"]
    assert _title(member) == before


def test_nul_in_a_team_description_is_422_and_no_team_is_made(client, member):
    body = {"name": "Ops", "description": "We run\x00 things"}
    out = problem(send(client, "POST", "/teams", body, bearer(member)), 422)
    assert list(out["errors"]) == ["description"]
    assert not Team.objects.exists()


def test_nul_in_a_comment_is_422_and_no_comment_is_added(client, admin, member):
    asked = brief(admin, [member], deadline=None)
    path = f"/briefs/{asked.pk}/comments"
    out = problem(send(client, "POST", path, {"body": "ok\x00"}, bearer(member)), 422)
    assert list(out["errors"]) == ["body"]
    assert not Comment.objects.filter(brief=asked).exists()


def test_nul_deep_in_a_body_names_the_nested_field(client, admin, member):
    body = {"title": "X", "questions": ["fine", "bad\x00"], "participants": []}
    out = problem(send(client, "POST", "/briefs", body, bearer(admin)), 422)
    assert list(out["errors"]) == ["questions.1"]
    assert not Brief.objects.exists()


def test_nul_in_a_form_field_of_the_api_is_422(client, admin, member):
    asked = brief(admin, [member], deadline=None)
    response = client.post(
        f"{API}/briefs/{asked.pk}/files",
        data={"note": "a\x00b"},
        headers=bearer(admin),
    )
    assert list(problem(response, 422)["errors"]) == ["note"]


def test_nul_in_a_page_search_is_a_400_page_naming_it(client, admin):
    client.force_login(admin.user)
    response = client.get(f"/w/{admin.workspace.slug}/members/?q=%00")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_participant_id_beyond_64_bits_is_422_naming_it(client, admin):
    body = {"title": "X", "participants": [{"member_id": TOO_BIG}]}
    out = problem(send(client, "POST", "/briefs", body, bearer(admin)), 422)
    assert list(out["errors"]) == ["participants.0.member_id"]
    assert not Brief.objects.exists()


def test_option_comment_id_beyond_64_bits_is_422_naming_it(client, admin, member):
    asked = brief(admin, [member], deadline=None)
    body = {
        "title": "Pick",
        "kind": "choice",
        "brief_id": asked.pk,
        "option_comment_ids": [TOO_BIG],
        "participants": [{"member_id": member.pk}],
        "deadline_kind": "local_day",
        "deadline_date": next_week().isoformat(),
    }
    out = problem(send(client, "POST", "/proposals", body, bearer(admin)), 422)
    assert list(out["errors"]) == ["option_comment_ids.0"]
    assert not Proposal.objects.exists()


def test_participant_filter_beyond_64_bits_is_422(client, admin):
    out = problem(get(client, f"/decisions?participant={TOO_BIG}", bearer(admin)), 422)
    assert list(out["errors"]) == ["participant"]


def test_largest_64_bit_id_is_simply_not_found(client, admin):
    problem(get(client, f"/briefs/{MAX_ID}", bearer(admin)), 404)
    problem(get(client, f"/briefs/{TOO_BIG}", bearer(admin)), 404)


def test_nan_is_not_a_json_number(client, member):
    response = client.patch(
        f"{API}/profile",
        data='{"title": "x", "digest_time": NaN}',
        content_type="application/json",
        headers=bearer(member),
    )
    problem(response, 400)


def test_a_bare_json_string_where_an_object_belongs_is_422_and_changes_nothing(client, member):
    before = _title(member)
    out = problem(send(client, "PATCH", "/profile", "chief executive", bearer(member)), 422)
    assert out["errors"] == {"body": [out["detail"]]}
    assert _title(member) == before


def test_a_json_list_where_an_object_belongs_is_422(client, member):
    problem(send(client, "POST", "/teams", [{"name": "Ops"}], bearer(member)), 422)
    assert not Team.objects.exists()


def test_a_chunked_body_is_refused_with_411_and_nothing_is_made(member):
    client = Client()
    response = client.generic(
        "POST",
        f"{API}/teams",
        data=b"",
        content_type="application/json",
        headers={**bearer(member), "Transfer-Encoding": "chunked"},
    )
    body = problem(response, 411)
    assert "Content-Length" in body["detail"]
    assert not Team.objects.exists()


def test_a_server_error_is_the_json_problem_and_is_logged_with_its_traceback(
    client, member, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("meridian.workspaces.api.team_list_for", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = get(client, "/teams", bearer(member))
    body = problem(response, 500)
    assert "logged" in body["detail"] and "a bug" not in body["detail"]
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info and record.exc_info[0] is RuntimeError


def test_digest_time_with_a_utc_offset_is_422_and_changes_nothing(client, member):
    before = Profile.objects.get(membership=member).digest_time
    body = {"digest_time": "09:00Z"}
    out = problem(send(client, "PATCH", "/profile", body, bearer(member)), 422)
    assert list(out["errors"]) == ["digest_time"]
    assert Profile.objects.get(membership=member).digest_time == before


def test_team_description_over_the_limit_is_422_naming_it(client, member):
    body = {"name": "Ops", "description": "x" * 2001}
    out = problem(send(client, "POST", "/teams", body, bearer(member)), 422)
    assert list(out["errors"]) == ["description"]
    assert not Team.objects.exists()


def test_team_description_at_the_limit_is_kept(client, member):
    body = {"name": "Ops", "description": "x" * 2000}
    response = send(client, "POST", "/teams", body, bearer(member))
    assert response.status_code == 201
    assert len(Team.objects.get().description) == 2000


def test_too_many_form_fields_is_a_400_problem_not_a_server_error(client, admin, member, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    asked = brief(admin, [member], deadline=None)
    fields = {f"f{i}": "x" for i in range(10)}
    response = client.post(f"{API}/briefs/{asked.pk}/files", data=fields, headers=bearer(admin))
    problem(response, 400)
