"""Briefs through the API: every action, its errors in the one problem format, and tenancy."""

import pytest

from meridian.briefs.models import Brief, BriefLink, BriefParticipant, Comment, CommentRevision
from meridian.briefs.services import Deadline, brief_close
from tests.api.support import bearer, get, problem, send, sign_in
from tests.briefs.factories import brief, comment, next_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(author, kathmandu, new_york):
    return brief(
        author,
        [kathmandu, new_york],
        title="Pricing page rework",
        questions=["Is three plans enough?"],
        deadline=Deadline(day=next_week()),
    )


def test_member_writes_a_brief_with_a_follow_the_sun_deadline(client, author, kathmandu, new_york):
    body = {
        "title": "Office move",
        "body": "We move on the **1st**.",
        "ask_kind": "approval",
        "questions": ["OK?"],
        "participants": [
            {"member_id": kathmandu.pk},
            {"member_id": new_york.pk, "required": False},
        ],
        "deadline_date": next_week().isoformat(),
        "meeting_people": 4,
        "meeting_minutes": 30,
    }
    response = send(client, "POST", "/briefs", body, bearer(author))

    assert response.status_code == 201, response.content
    out = response.json()
    b = Brief.objects.get()
    assert out["id"] == b.pk and out["body_html"] == "<p>We move on the <strong>1st</strong>.</p>\n"
    assert out["completeness"] == {"responded": 0, "required": 1, "seen": 0, "total": 2}
    assert {p["member"]["id"]: p["kind"] for p in out["participants"]} == {
        kathmandu.pk: "required",
        new_york.pk: "optional",
    }
    assert out["respond_by"] is not None and out["status"] == "open"


def test_unknown_participant_is_422_naming_participants_and_nothing_is_written(client, author):
    body = {"title": "X", "participants": [{"member_id": 987654}]}
    out = problem(send(client, "POST", "/briefs", body, bearer(author)), 422)
    assert out["errors"] == {"participants": ["There is no member #987654 in this workspace."]}
    assert not Brief.objects.exists()


def test_participant_naming_neither_member_nor_team_is_422(client, author):
    out = problem(
        send(client, "POST", "/briefs", {"title": "X", "participants": [{}]}, bearer(author)), 422
    )
    assert "participants.0" in out["errors"]
    assert not Brief.objects.exists()


def test_deadline_in_the_past_is_422_naming_the_deadline(client, author, kathmandu):
    body = {
        "title": "X",
        "participants": [{"member_id": kathmandu.pk}],
        "deadline_at": "2020-01-01T12:00:00+00:00",
    }
    out = problem(send(client, "POST", "/briefs", body, bearer(author)), 422)
    assert "has already passed" in out["errors"]["deadline_at"][0]
    assert not Brief.objects.exists()


def test_list_filters_by_scope_and_state(client, author, kathmandu, asked):
    done = brief(author, [kathmandu], title="Done")
    brief_close(acting=author, brief=done, summary="ok")
    mine = get(client, "/briefs?scope=to_answer", bearer(kathmandu)).json()["items"]
    closed = get(client, "/briefs?status=closed", bearer(kathmandu)).json()["items"]
    assert [b["title"] for b in mine] == ["Pricing page rework"]
    assert [(b["title"], b["status"]) for b in closed] == [("Done", "closed")]
    assert mine[0]["required_count"] == 2 and mine[0]["author"]["id"] == author.pk


def test_brief_of_another_workspace_is_404(client, asked, outsider):
    problem(get(client, f"/briefs/{asked.pk}", bearer(outsider)), 404)
    problem(
        send(client, "POST", f"/briefs/{asked.pk}/comments", {"body": "hi"}, bearer(outsider)), 404
    )
    assert not Comment.objects.exists()


def test_author_changes_the_brief_and_removes_its_deadline(client, author, asked):
    body = {"title": "Pricing, take two", "deadline_at": None, "deadline_date": None}
    out = send(client, "PATCH", f"/briefs/{asked.pk}", body, bearer(author)).json()
    assert (out["title"], out["deadline_kind"], out["respond_by"]) == (
        "Pricing, take two",
        "none",
        None,
    )


def test_someone_else_changing_the_brief_is_403(client, asked, kathmandu):
    problem(send(client, "PATCH", f"/briefs/{asked.pk}", {"title": "Mine"}, bearer(kathmandu)), 403)
    asked.refresh_from_db()
    assert asked.title == "Pricing page rework"


def test_seen_is_recorded_for_a_participant(client, asked, kathmandu, author):
    out = send(client, "POST", f"/briefs/{asked.pk}/seen", None, bearer(kathmandu)).json()
    assert out["participant"] is True and out["first_seen_at"] is not None
    assert send(client, "POST", f"/briefs/{asked.pk}/seen", None, bearer(author)).json() == {
        "participant": False,
        "first_seen_at": None,
    }


def test_the_thread_through_the_api(client, asked, author, kathmandu):
    q = send(
        client,
        "POST",
        f"/briefs/{asked.pk}/comments",
        {"body": "Which **plan**?", "is_question": True},
        bearer(kathmandu),
    )
    assert q.status_code == 201
    question = q.json()
    reply = send(
        client,
        "POST",
        f"/briefs/{asked.pk}/comments",
        {"body": "Yearly.", "parent_id": question["id"]},
        bearer(author),
    ).json()
    answered = send(
        client,
        "POST",
        f"/briefs/{asked.pk}/comments/{question['id']}/answer",
        {"answer_id": reply["id"]},
        bearer(author),
    ).json()
    assert answered["answer_id"] == reply["id"] and answered["answered_by_id"] == author.pk
    thread = get(client, f"/briefs/{asked.pk}/comments", bearer(author)).json()["items"]
    assert [(c["body"], c["parent_id"]) for c in thread] == [
        ("Which **plan**?", None),
        ("Yearly.", question["id"]),
    ]
    assert thread[0]["body_html"] == "<p>Which <strong>plan</strong>?</p>\n"


def test_reply_to_a_comment_that_is_not_on_the_brief_is_422_naming_parent_id(
    client, asked, kathmandu
):
    out = problem(
        send(
            client,
            "POST",
            f"/briefs/{asked.pk}/comments",
            {"body": "x", "parent_id": 999999},
            bearer(kathmandu),
        ),
        422,
    )
    assert list(out["errors"]) == ["parent_id"]
    assert not Comment.objects.exists()


def test_comment_on_a_closed_brief_is_409_with_the_reason(client, asked, author, kathmandu):
    brief_close(acting=author, brief=asked, summary="Decided.")
    out = problem(
        send(client, "POST", f"/briefs/{asked.pk}/comments", {"body": "Late"}, bearer(kathmandu)),
        409,
    )
    assert "closed" in out["detail"] and "read-only" in out["detail"]
    assert not Comment.objects.exists()


def test_author_edits_a_comment_and_the_revisions_are_listed(client, asked, kathmandu):
    c = comment(asked, kathmandu, "Frist")
    out = send(
        client, "PATCH", f"/briefs/{asked.pk}/comments/{c.pk}", {"body": "First"}, bearer(kathmandu)
    ).json()
    assert out["body"] == "First" and out["edited_at"] is not None
    revisions = get(
        client, f"/briefs/{asked.pk}/comments/{c.pk}/revisions", bearer(kathmandu)
    ).json()
    assert [r["body"] for r in revisions] == ["Frist"]


def test_editing_someone_elses_comment_is_403_and_keeps_it(client, asked, author, kathmandu):
    c = comment(asked, kathmandu, "Mine")
    problem(
        send(client, "PATCH", f"/briefs/{asked.pk}/comments/{c.pk}", {"body": "x"}, bearer(author)),
        403,
    )
    assert Comment.objects.get().body == "Mine" and not CommentRevision.objects.exists()


def test_participant_responds_through_the_api(client, asked, kathmandu):
    response = send(
        client, "POST", f"/briefs/{asked.pk}/responses", {"body": "Yes."}, bearer(kathmandu)
    )
    assert response.status_code == 201 and response.json()["is_response"] is True
    detail = get(client, f"/briefs/{asked.pk}", bearer(kathmandu)).json()
    assert detail["completeness"]["responded"] == 1


def test_links_through_the_api(client, asked, author, kathmandu):
    other = brief(author, [kathmandu], title="Older")
    made = send(
        client,
        "POST",
        f"/briefs/{asked.pk}/links",
        {"relation": "depends_on", "target_brief_id": other.pk, "note": "first"},
        bearer(kathmandu),
    )
    assert made.status_code == 201
    link = made.json()
    assert (link["target"], link["target_brief_id"], link["relation"]) == (
        "brief",
        other.pk,
        "depends_on",
    )
    assert [x["id"] for x in get(client, f"/briefs/{asked.pk}/links", bearer(author)).json()] == [
        link["id"]
    ]
    gone = send(client, "DELETE", f"/briefs/{asked.pk}/links/{link['id']}", None, bearer(kathmandu))
    assert gone.status_code == 204 and not BriefLink.objects.exists()


def test_link_to_another_workspaces_brief_is_422_naming_it(client, asked, kathmandu, outsider):
    theirs = Brief.objects.create(workspace=outsider.workspace, author=outsider, title="Secret")
    out = problem(
        send(
            client,
            "POST",
            f"/briefs/{asked.pk}/links",
            {"target_brief_id": theirs.pk},
            bearer(kathmandu),
        ),
        422,
    )
    assert list(out["errors"]) == ["target_brief_id"]
    assert "Secret" not in str(out)
    assert not BriefLink.objects.exists()


def test_author_closes_through_the_api_with_a_session(client, asked, author):
    csrf = sign_in(client, author.user)
    out = send(
        client, "POST", f"/briefs/{asked.pk}/close", {"summary": "Three plans."}, csrf
    ).json()
    assert out["status"] == "closed" and out["summary_html"] == "<p>Three plans.</p>\n"
    again = problem(send(client, "POST", f"/briefs/{asked.pk}/close", {"summary": "x"}, csrf), 409)
    assert "read-only" in again["detail"]


def test_closing_without_a_summary_is_422_naming_summary(client, asked, author):
    out = problem(
        send(client, "POST", f"/briefs/{asked.pk}/close", {"summary": " "}, bearer(author)), 422
    )
    assert list(out["errors"]) == ["summary"]
    assert Brief.objects.get().status == "open"


def test_every_brief_operation_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/briefs": {"get", "post"},
        "/api/v1/briefs/{brief_id}": {"get", "patch"},
        "/api/v1/briefs/{brief_id}/seen": {"post"},
        "/api/v1/briefs/{brief_id}/close": {"post"},
        "/api/v1/briefs/{brief_id}/comments": {"get", "post"},
        "/api/v1/briefs/{brief_id}/comments/{comment_id}": {"patch"},
        "/api/v1/briefs/{brief_id}/comments/{comment_id}/revisions": {"get"},
        "/api/v1/briefs/{brief_id}/comments/{comment_id}/answer": {"post"},
        "/api/v1/briefs/{brief_id}/responses": {"post"},
        "/api/v1/briefs/{brief_id}/links": {"get", "post"},
        "/api/v1/briefs/{brief_id}/links/{link_id}": {"delete"},
    }
    assert {p: set(paths[p]) for p in expected} == expected


def test_participants_are_listed_with_their_local_deadlines(client, asked, kathmandu, new_york):
    out = get(client, f"/briefs/{asked.pk}", bearer(kathmandu)).json()
    deadlines = {p["member"]["time_zone"]: p["local_deadline"] for p in out["participants"]}
    assert deadlines["Asia/Kathmandu"].endswith("+05:45")
    assert deadlines["America/New_York"][-6:] in {"-05:00", "-04:00"}
    assert BriefParticipant.objects.count() == 2
