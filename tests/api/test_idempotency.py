"""The Idempotency-Key header on API creates: a retry replays the first answer, never creates twice."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import multipartparser
from django.test import Client
from django.utils import timezone

from meridian import api as api_module
from meridian.accounts.models import ApiToken
from meridian.briefs.models import Brief, BriefLink
from meridian.core.models import IdempotencyKey
from meridian.workspaces.models import Team
from tests import factories
from tests.api.support import API, bearer, problem, send, sign_in
from tests.briefs.factories import brief, next_week, person
from tests.support import IMMEDIATE_TASKS


def new_brief(*asked, title: str = "Office move") -> dict:
    return {
        "title": title,
        "body": "We move on the 1st.",
        "ask_kind": "fyi",
        "participants": [{"member_id": m.pk} for m in asked],
        "deadline_date": next_week().isoformat(),
    }


def with_key(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


@pytest.fixture
def mail_on_commit(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE_TASKS
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_answer_and_create_once(
    client, workspace, mailoutbox, mail_on_commit
):
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), '"5f0c9d2e-brief-1"')
    with mail_on_commit():
        first = send(client, "POST", "/briefs", new_brief(asked), headers)
    with mail_on_commit():
        again = send(client, "POST", "/briefs", new_brief(asked), headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Brief.objects.count() == 1
    assert [m.to for m in mailoutbox] == [[asked.user.email]]


@pytest.mark.django_db
def test_a_quoted_key_and_the_bare_key_are_the_same_key(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = bearer(author)
    send(client, "POST", "/briefs", new_brief(asked), with_key(headers, '"key-0001"'))
    again = send(client, "POST", "/briefs", new_brief(asked), with_key(headers, "key-0001"))
    assert again["Idempotent-Replayed"] == "true" and Brief.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_naming_the_header(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), "key-0002")
    send(client, "POST", "/briefs", new_brief(asked), headers)
    other = send(client, "POST", "/briefs", new_brief(asked, title="Other"), headers)
    body = problem(other, 422)
    assert "already used for a different request" in body["detail"]
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert list(Brief.objects.values_list("title", flat=True)) == ["Office move"]


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_422(client, workspace):
    headers = with_key(bearer(factories.admin_of(workspace)), "key-0003")
    assert send(client, "POST", "/teams", {"name": "Ops"}, headers).status_code == 201
    elsewhere = problem(send(client, "POST", "/briefs", {"name": "Ops"}, headers), 422)
    assert "already used for a different request" in elsewhere["detail"]
    assert list(Team.objects.values_list("name", flat=True)) == ["Ops"]
    assert not Brief.objects.exists()


@pytest.mark.django_db
def test_a_malformed_key_is_400_naming_the_header_and_nothing_is_created(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), "has spaces in it")
    body = problem(send(client, "POST", "/briefs", new_brief(asked), headers), 400)
    assert body["errors"] == {"Idempotency-Key": [body["detail"]]}
    assert not Brief.objects.exists() and not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_failed_create_keeps_nothing_so_the_corrected_retry_may_use_the_key(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), "key-0004")
    refused = send(client, "POST", "/briefs", new_brief(), headers)
    assert refused.status_code == 422 and not Brief.objects.exists()
    assert send(client, "POST", "/briefs", new_brief(asked), headers).status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_one_token_so_another_member_creates_their_own(client, workspace):
    first, second, asked = person(workspace), person(workspace), person(workspace)
    for who in (first, second):
        response = send(client, "POST", "/briefs", new_brief(asked), with_key(bearer(who), "k-1"))
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Brief.objects.count() == 2


@pytest.mark.django_db
def test_a_key_from_an_unknown_token_is_401_and_claims_nothing(client, workspace):
    headers = {"Authorization": "Bearer mer_nope", "Idempotency-Key": "key-0005"}
    assert problem(send(client, "POST", "/briefs", new_brief(), headers), 401)
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_signed_in_browser_gets_the_same_replay(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = with_key(sign_in(client, author.user), "key-0006")
    first = send(client, "POST", "/briefs", new_brief(asked), headers)
    again = send(client, "POST", "/briefs", new_brief(asked), headers)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Brief.objects.count() == 1


@pytest.mark.django_db
def test_a_token_secret_is_never_replayed_nor_stored(client, member):
    headers = with_key(sign_in(client, member.user), "key-0007")
    first = send(client, "POST", "/tokens", {"name": "laptop"}, headers)
    raw = first.json()["token"]
    again = send(client, "POST", "/tokens", {"name": "laptop"}, headers)
    assert "shown once" in problem(again, 409)["detail"]
    assert raw not in again.content.decode()
    assert raw not in IdempotencyKey.objects.get().body
    assert ApiToken.objects.filter(membership=member).count() == 1


@pytest.mark.django_db
def test_a_key_is_forgotten_after_a_day_and_then_creates_again(client, workspace):
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), "key-0008")
    send(client, "POST", "/briefs", new_brief(asked), headers)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        later = send(client, "POST", "/briefs", new_brief(asked), headers)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert Brief.objects.count() == 2


@pytest.mark.django_db
def test_the_openapi_document_offers_the_header_on_creates(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/briefs"]["post"]
    names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in names
    assert {"409", "422"} <= set(operation["responses"])
    assert "Idempotency-Key" not in str(schema["paths"]["/api/v1/briefs"]["get"])


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_with_one_key_create_one_brief_and_one_set_of_emails(
    workspace, mailoutbox, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    author, asked = person(workspace), person(workspace)
    headers = with_key(bearer(author), "parallel-0001")
    start, results = threading.Barrier(20, timeout=30), []

    def post() -> None:
        try:
            start.wait()
            results.append(send(Client(), "POST", "/briefs", new_brief(asked), headers))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = Brief.objects.get()
    created = [r for r in results if r.status_code == 201]
    busy = [r for r in results if r.status_code == 409]
    assert len(results) == 20 and len(created) + len(busy) == 20
    assert {r.json()["id"] for r in created} == {made.pk}
    assert sum("Idempotent-Replayed" not in r for r in created) == 1
    assert all(r["Retry-After"] == "1" for r in busy)
    assert [m.to for m in mailoutbox] == [[asked.user.email]]
    # Once the first has finished, a retry is a replay.
    again = send(Client(), "POST", "/briefs", new_brief(asked), headers)
    assert again.status_code == 201 and again.json()["id"] == made.pk


def attach(client, b, content: bytes, headers: dict[str, str]):
    upload = SimpleUploadedFile("notes.txt", content, "text/plain")
    data = {"file": upload, "relation": "context", "note": ""}
    return client.post(f"{API}/briefs/{b.pk}/files", data=data, headers=headers)


@pytest.mark.django_db
def test_two_uploads_of_one_size_with_one_key_are_422_not_a_replay_of_the_first(client, workspace):
    author, asked = person(workspace), person(workspace)
    b = brief(author, [asked], deadline=None)
    headers = with_key(bearer(author), "upload-0001")

    first = attach(client, b, b"first draft", headers)
    other = attach(client, b, b"other draft", headers)
    again = attach(client, b, b"first draft", headers)

    assert first.status_code == 201
    assert list(problem(other, 422)["errors"]) == ["Idempotency-Key"]
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert BriefLink.objects.count() == 1


@pytest.mark.django_db
def test_an_upload_claims_its_key_only_once_its_body_is_read(client, workspace, monkeypatch):
    """A slow upload cannot outlast the claim's abandonment timeout: the claim comes after it."""
    author, asked = person(workspace), person(workspace)
    b = brief(author, [asked], deadline=None)
    events: list[str] = []
    parse, claim = multipartparser.MultiPartParser.parse, api_module.idempotency_claim

    def reading(self):
        events.append("read")
        return parse(self)

    def claiming(**kwargs):
        events.append("claim")
        return claim(**kwargs)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", reading)
    monkeypatch.setattr(api_module, "idempotency_claim", claiming)

    response = attach(client, b, b"slow upload", with_key(bearer(author), "upload-0002"))

    assert response.status_code == 201
    assert events == ["read", "claim"]


@pytest.mark.django_db
def test_a_malformed_upload_with_a_key_is_the_same_400_problem_and_claims_nothing(
    client, workspace, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    author, asked = person(workspace), person(workspace)
    b = brief(author, [asked], deadline=None)
    fields = {f"f{i}": "x" for i in range(10)}
    headers = with_key(bearer(author), "upload-0003")
    response = client.post(f"{API}/briefs/{b.pk}/files", data=fields, headers=headers)
    problem(response, 400)
    assert not IdempotencyKey.objects.exists()
