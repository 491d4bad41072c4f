"""One-time submission keys: a create form sent twice, or twenty times at once, creates once."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meridian.accounts.models import ApiToken
from meridian.briefs.models import Brief, Comment
from meridian.core import schedule  # noqa: F401  (registers the purge job)
from meridian.core.idempotency import idempotency_purge
from meridian.core.models import IdempotencyKey
from meridian.core.scheduler import registered_jobs, tick
from meridian.workspaces.models import Invitation, Team
from tests.briefs.factories import brief, next_week, person
from tests.support import IMMEDIATE_TASKS

KEY = re.compile(r'<input type="hidden" name="submission_key" value="([^"]+)">')


@pytest.fixture
def sent_mail(settings, mailoutbox, django_capture_on_commit_callbacks):
    """Notification tasks run when a transaction commits, and their mail is kept."""
    settings.TASKS = IMMEDIATE_TASKS

    class Outbox:
        def capture(self):
            return django_capture_on_commit_callbacks(execute=True)

        def to(self) -> list[str]:
            return sorted(address for m in mailoutbox for address in m.to)

    return Outbox()


def new_brief(*asked, **overrides) -> dict:
    data = {
        "title": "Office move",
        "body": "We move on the 1st.",
        "ask_kind": "fyi",
        "questions": "",
        "required": [f"member:{m.pk}" for m in asked],
        "optional": [],
        "deadline_kind": "day",
        "deadline_date": next_week().isoformat(),
        "deadline_at": "",
        "meeting_people": "",
        "meeting_minutes": "",
    }
    return data | overrides


def brief_new_url(m) -> str:
    return reverse("brief_new", kwargs={"workspace": m.workspace.slug})


def page_of(b: Brief) -> str:
    return reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})


def key_of(page) -> str:
    found = KEY.search(page.content.decode())
    assert found is not None, "the form carries no submission key"
    return found.group(1)


@pytest.mark.django_db
def test_every_rendering_of_a_create_form_carries_a_fresh_key(client, workspace):
    author = person(workspace)
    client.force_login(author.user)
    first, second = (
        key_of(client.get(brief_new_url(author))),
        key_of(client.get(brief_new_url(author))),
    )
    assert first != second and len(first) >= 16


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["brief_new", "proposal_new", "teams", "invite", "tokens"])
def test_every_create_page_renders_its_form_with_a_key(client, admin, name):
    client.force_login(admin.user)
    page = client.get(reverse(name, kwargs={"workspace": admin.workspace.slug}))
    assert page.status_code == 200 and key_of(page)


@pytest.mark.django_db
def test_new_brief_sent_twice_creates_one_brief_and_the_repeat_lands_on_it(
    client, workspace, sent_mail
):
    author, asked = person(workspace), person(workspace)
    client.force_login(author.user)
    data = new_brief(asked, submission_key=key_of(client.get(brief_new_url(author))))
    with sent_mail.capture():
        first = client.post(brief_new_url(author), data)
    with sent_mail.capture():
        again = client.post(brief_new_url(author), data, follow=True)
    made = Brief.objects.get()
    assert first.status_code == 302 and again.redirect_chain[0][1] == 303
    assert again.redirect_chain[0][0] == first["Location"] == page_of(made)
    assert "it was saved once" in again.content.decode()
    assert sent_mail.to() == [asked.user.email]


@pytest.mark.django_db
def test_a_form_error_leaves_the_key_free_for_the_corrected_form(client, workspace):
    author, asked = person(workspace), person(workspace)
    client.force_login(author.user)
    key = key_of(client.get(brief_new_url(author)))
    refused = client.post(brief_new_url(author), new_brief(title="", submission_key=key))
    assert refused.status_code == 422 and not Brief.objects.exists()
    fixed = client.post(brief_new_url(author), new_brief(asked, submission_key=key))
    assert fixed.status_code == 302 and Brief.objects.count() == 1


@pytest.mark.django_db
def test_a_malformed_key_is_refused_naming_it_and_nothing_is_created(client, workspace):
    author, asked = person(workspace), person(workspace)
    client.force_login(author.user)
    response = client.post(brief_new_url(author), new_brief(asked, submission_key="a b\x00"))
    assert response.status_code == 400
    assert "submission key is malformed" in response.content.decode()
    assert not Brief.objects.exists()


@pytest.mark.django_db
def test_keys_are_per_person_so_another_persons_key_creates_their_own(client, workspace):
    first, second, asked = person(workspace), person(workspace), person(workspace)
    for who in (first, second):
        client.force_login(who.user)
        client.post(brief_new_url(who), new_brief(asked, submission_key="same-key-1234567"))
    assert set(Brief.objects.values_list("author_id", flat=True)) == {first.pk, second.pk}


@pytest.mark.django_db
def test_htmx_comment_sent_twice_is_added_once_and_the_repeat_reloads_the_page(client, workspace):
    author, asked = person(workspace), person(workspace)
    b = brief(author, [asked])
    client.force_login(asked.user)
    page = client.get(page_of(b))
    url = reverse("brief_comment_new", kwargs={"workspace": workspace.slug, "brief_id": b.pk})
    data = {"body": "Looks good", "submission_key": key_of(page)}
    first = client.post(url, data, headers={"HX-Request": "true"})
    again = client.post(url, data, headers={"HX-Request": "true"})
    comment = Comment.objects.get()
    assert first.status_code == 200 and "Looks good" in first.content.decode()
    # The thread that came back has a new form with a new key for the next comment.
    assert key_of(first) != data["submission_key"]
    assert again.status_code == 204
    assert again["HX-Redirect"] == f"{page_of(b)}#comment-{comment.pk}"


@pytest.mark.django_db
def test_a_token_form_sent_twice_makes_one_token_and_never_shows_a_secret_again(client, member):
    client.force_login(member.user)
    url = reverse("tokens", kwargs={"workspace": member.workspace.slug})
    data = {"name": "laptop", "submission_key": key_of(client.get(url))}
    assert client.post(url, data).status_code == 200
    again = client.post(url, data)
    assert again.status_code == 303 and again["Location"] == url
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
def test_an_invitation_sent_twice_invites_once_and_never_shows_the_link_again(
    client, admin, mailoutbox
):
    client.force_login(admin.user)
    url = reverse("invite", kwargs={"workspace": admin.workspace.slug})
    data = {"email": "new@example.com", "role": "member", "submission_key": key_of(client.get(url))}
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == 200 and "/invitations/" in first.content.decode()
    assert again.status_code == 303
    assert again["Location"] == reverse("members", kwargs={"workspace": admin.workspace.slug})
    assert Invitation.objects.filter(workspace=admin.workspace).count() == 1


@pytest.mark.django_db
def test_a_team_form_sent_twice_makes_one_team(client, admin):
    client.force_login(admin.user)
    url = reverse("teams", kwargs={"workspace": admin.workspace.slug})
    data = {"name": "Platform", "description": "", "submission_key": key_of(client.get(url))}
    first, again = client.post(url, data), client.post(url, data)
    assert first.status_code == 302 and again["Location"] == first["Location"]
    assert Team.objects.filter(workspace=admin.workspace).count() == 1


@pytest.mark.django_db
def test_keys_older_than_a_day_are_purged(client, workspace):
    author, asked = person(workspace), person(workspace)
    client.force_login(author.user)
    client.post(brief_new_url(author), new_brief(asked, submission_key="old-key-12345678"))
    assert IdempotencyKey.objects.count() == 1
    assert idempotency_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_purge(now=timezone.now() + timedelta(hours=24, seconds=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_form_create_one_brief_and_one_set_of_emails(
    workspace, mailoutbox, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    author, asked = person(workspace), person(workspace)
    data = new_brief(asked, submission_key="parallel-key-0001")
    signed_in = Client()
    signed_in.force_login(author.user)
    start, results = threading.Barrier(20, timeout=30), []

    def post() -> None:
        try:
            client = Client()
            client.cookies = signed_in.cookies
            start.wait()
            results.append(client.post(brief_new_url(author), data))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = Brief.objects.get()
    # A repeat still waiting after WAIT_SECONDS (a loaded machine) is told to wait: 409.
    codes = sorted(r.status_code for r in results)
    assert codes[0] == 302 and set(codes[1:]) <= {303, 409}
    assert {r["Location"] for r in results if r.status_code != 409} == {page_of(made)}
    assert [m.to for m in mailoutbox] == [[asked.user.email]]


@pytest.mark.django_db
def test_the_hourly_job_forgets_keys_older_than_a_day(client, workspace):
    author, asked = person(workspace), person(workspace)
    client.force_login(author.user)
    client.post(brief_new_url(author), new_brief(asked, submission_key="job-key-12345678"))
    purge = [j for j in registered_jobs() if j.name == "idempotency-keys.purge"]
    tick(timezone.now() + timedelta(hours=1), jobs=purge)
    assert IdempotencyKey.objects.count() == 1
    tick(timezone.now() + timedelta(hours=25), jobs=purge)
    assert not IdempotencyKey.objects.exists()
