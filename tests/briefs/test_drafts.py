"""Drafts: record before you send. A draft is its author's alone until sent; sending tells the
people asked once, with the recording ready."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from meridian.briefs import metrics
from meridian.briefs.models import Brief, BriefParticipant, BriefStatus
from meridian.briefs.selectors import BriefFilters, brief_list_for
from meridian.briefs.services import (
    Deadline,
    brief_close,
    brief_send,
    brief_update,
    comment_add,
    respond,
)
from meridian.core.errors import Conflict, NotFound, ValidationFailed
from meridian.notifications.models import InboxItem
from meridian.recordings.models import RecordingStatus
from meridian.recordings.services import caption_add, recording_create_from_file
from meridian.recordings.services.recordings import recording_process
from meridian.search.selectors import search_for
from meridian.workspaces.models import Role
from tests import factories
from tests.briefs.factories import brief, next_week
from tests.recordings.support import two_second_webm

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(monkeypatch):
    """The workspace events (what webhooks send) briefs emitted, by kind."""
    seen: list[str] = []
    monkeypatch.setattr("meridian.briefs.events.event_emit", lambda **kw: seen.append(kw["kind"]))
    return seen


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _asked(member) -> int:
    return InboxItem.objects.filter(recipient=member, kind="brief.asked").count()


def test_a_draft_tells_nobody_and_sending_tells_each_person_once(
    author, kathmandu, new_york, sent_mail, events
):
    with sent_mail.capture():
        draft = brief(author, [kathmandu], optional=[new_york], title="Q3 plan", draft=True)
    assert draft.status == BriefStatus.DRAFT
    assert sent_mail.messages == [] and _asked(kathmandu) == 0 and events == []

    with sent_mail.capture():
        result = brief_send(acting=author, brief=draft)
    assert result.waiting is False and result.brief.status == BriefStatus.OPEN
    assert sent_mail.to() == sorted([kathmandu.user.email, new_york.user.email])
    assert _asked(kathmandu) == 1 and events == ["brief.created"]

    with sent_mail.capture():  # sending again (a double click, a retry) tells nobody twice
        again = brief_send(acting=author, brief=draft)
    assert again.brief.status == BriefStatus.OPEN
    assert len(sent_mail.messages) == 2 and _asked(kathmandu) == 1 and events == ["brief.created"]


def test_only_the_author_sends_a_draft_and_others_cannot_reach_it(author, kathmandu, workspace):
    draft = brief(author, [kathmandu], draft=True)
    admin = factories.member(workspace, role=Role.ADMIN)
    for other in (kathmandu, admin):
        with pytest.raises(NotFound):
            comment_add(acting=other, brief=draft, body="Seen it?")
    with pytest.raises(NotFound):
        respond(acting=kathmandu, brief=draft, body="Yes")
    with pytest.raises(Conflict):  # the author's own: no thread before it is sent
        comment_add(acting=author, brief=draft, body="Note to self")
    with pytest.raises(Conflict):
        brief_close(acting=author, brief=draft, summary="Done")
    assert Brief.all_objects.get(pk=draft.pk).status == BriefStatus.DRAFT


def test_the_author_edits_a_draft_without_telling_anyone(author, kathmandu, new_york, sent_mail):
    draft = brief(author, [kathmandu], draft=True)
    with sent_mail.capture():
        from meridian.briefs.services import Invitee

        brief_update(
            acting=author,
            brief=draft,
            title="Better title",
            participants=[Invitee(member_id=kathmandu.pk), Invitee(member_id=new_york.pk)],
        )
    assert sent_mail.messages == [] and _asked(new_york) == 0
    with sent_mail.capture():
        brief_send(acting=author, brief=draft)
    assert sent_mail.to() == sorted([kathmandu.user.email, new_york.user.email])


def test_deadlines_and_response_times_count_from_the_send(author, kathmandu):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        draft = brief(author, [kathmandu], draft=True, deadline=Deadline(day=next_week()))
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        sent = brief_send(acting=author, brief=draft).brief
    assert sent.created_at == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    row = BriefParticipant.objects.get(brief=sent)
    assert row.local_deadline is not None and sent.respond_by == row.local_deadline


def test_a_deadline_that_passed_while_drafting_is_refused_on_send(author, kathmandu, sent_mail):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        draft = brief(
            author,
            [kathmandu],
            draft=True,
            deadline=Deadline(at=datetime(2026, 3, 3, 12, 0, tzinfo=UTC)),
        )
    with (
        time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=UTC), tick=False),
        sent_mail.capture(),
        pytest.raises(ValidationFailed) as refused,
    ):
        brief_send(acting=author, brief=draft)
    assert "passed while this was a draft" in refused.value.errors["deadline_at"][0]
    assert Brief.all_objects.get(pk=draft.pk).status == BriefStatus.DRAFT
    assert sent_mail.messages == []


def test_a_send_waits_for_the_recording_and_goes_out_once_when_it_is_ready(
    author, kathmandu, sent_mail, media
):
    draft = brief(author, [kathmandu], draft=True, title="Walkthrough first")
    recording = recording_create_from_file(
        acting=author, brief=draft, path=two_second_webm(media), filename="walk.webm"
    )
    assert recording.status == RecordingStatus.PROCESSING
    with sent_mail.capture():
        result = brief_send(acting=author, brief=draft)
        again = brief_send(acting=author, brief=draft)
    assert result.waiting and again.waiting
    assert result.brief.status == BriefStatus.DRAFT and result.brief.send_requested_at
    assert sent_mail.messages == [] and _asked(kathmandu) == 0

    with sent_mail.capture():
        processed = recording_process(recording_id=recording.pk)
    assert processed is not None and processed.status == RecordingStatus.READY
    sent = Brief.objects.get(pk=draft.pk)
    assert sent.status == BriefStatus.OPEN and sent.send_requested_at is None
    assert sent_mail.to() == [kathmandu.user.email] and _asked(kathmandu) == 1


def test_a_recording_that_fails_keeps_the_draft_and_tells_its_author(
    author, kathmandu, sent_mail, media
):
    draft = brief(author, [kathmandu], draft=True)
    bad = media / "not-really.webm"
    bad.write_bytes(two_second_webm(media).read_bytes()[:3000])  # cut short: does not decode
    recording = recording_create_from_file(
        acting=author, brief=draft, path=bad, filename="walk.webm"
    )
    brief_send(acting=author, brief=draft)
    with sent_mail.capture():
        from meridian.recordings.services import recording_processing_failed

        recording_processing_failed(recording_id=recording.pk, task_id="t", attempts=1)
    kept = Brief.all_objects.get(pk=draft.pk)
    assert kept.status == BriefStatus.DRAFT and kept.send_requested_at is None
    assert _asked(kathmandu) == 0
    assert sent_mail.to() == [author.user.email]
    assert "Not sent yet" in sent_mail.messages[0].subject
    assert "could not be processed" in sent_mail.messages[0].body


def test_lists_search_and_metrics_leave_out_others_drafts(author, kathmandu, workspace, media):
    draft = brief(author, [kathmandu], draft=True, title="Draftonly pricing")
    recording = recording_create_from_file(
        acting=author, brief=draft, path=two_second_webm(media), filename="walk.webm"
    )
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nDraftonly narration\n"
    caption_add(acting=author, recording=recording, vtt=vtt, label="English")
    admin = factories.member(workspace, role=Role.ADMIN)

    def titles(viewer, **filters):
        return [b.title for b in brief_list_for(viewer=viewer, filters=BriefFilters(**filters))]

    def found(viewer):
        return sorted(hit.kind for hit in search_for(viewer=viewer, q="Draftonly"))

    assert titles(author) == ["Draftonly pricing"]
    assert titles(author, status="draft") == ["Draftonly pricing"]
    for other in (kathmandu, admin):
        assert titles(other) == [] and titles(other, scope="involved") == []
        assert found(other) == []
    assert found(author) == ["brief", "transcript"]
    assert list(metrics.completeness_facts(workspace.pk, None)) == []
    assert list(metrics.hours_saved_facts(workspace.pk, None)) == []

    recording_process(recording_id=recording.pk)
    assert brief_send(acting=author, brief=recording.brief).waiting is False
    assert found(kathmandu) == ["brief", "transcript"]
    assert titles(kathmandu, scope="to_answer") == ["Draftonly pricing"]
    assert len(list(metrics.completeness_facts(workspace.pk, None))) == 1


def test_the_api_creates_a_draft_sends_it_and_a_second_send_changes_nothing(
    author, kathmandu, sent_mail
):
    client = Client()
    client.force_login(author.user)
    ws = {"HTTP_X_MERIDIAN_WORKSPACE": author.workspace.slug}
    made = client.post(
        "/api/v1/briefs",
        {"title": "API draft", "participants": [{"member_id": kathmandu.pk}], "draft": True},
        content_type="application/json",
        **ws,
    )
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "draft"
    brief_id = made.json()["id"]

    other = Client()
    other.force_login(kathmandu.user)
    assert other.get(f"/api/v1/briefs/{brief_id}", **ws).status_code == 404
    assert other.post(f"/api/v1/briefs/{brief_id}/send", **ws).status_code == 404
    assert [b["id"] for b in other.get("/api/v1/briefs", **ws).json()["items"]] == []

    with sent_mail.capture():
        first = client.post(f"/api/v1/briefs/{brief_id}/send", **ws)
        second = client.post(f"/api/v1/briefs/{brief_id}/send", **ws)
    assert first.status_code == 200 and first.json()["status"] == "open"
    assert second.status_code == 200 and second.json()["status"] == "open"
    assert sent_mail.to() == [kathmandu.user.email]
    assert other.get(f"/api/v1/briefs/{brief_id}", **ws).status_code == 200


def test_the_pages_offer_save_as_draft_then_send(author, kathmandu, sent_mail):
    client = Client()
    client.force_login(author.user)
    slug = author.workspace.slug
    response = client.post(
        f"/w/{slug}/briefs/new/",
        {
            "title": "Page draft",
            "ask_kind": "feedback",
            "required": [f"member:{kathmandu.pk}"],
            "deadline_kind": "none",
            "draft": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Brief.all_objects.get(title="Page draft")
    assert draft.status == BriefStatus.DRAFT
    page = client.get(f"/w/{slug}/briefs/{draft.pk}/").content.decode()
    assert "only you can see this brief" in page and "Send brief" in page

    other = Client()
    other.force_login(kathmandu.user)
    assert other.get(f"/w/{slug}/briefs/{draft.pk}/").status_code == 404
    assert "Page draft" not in other.get(f"/w/{slug}/briefs/").content.decode()

    with sent_mail.capture():
        sent = client.post(f"/w/{slug}/briefs/{draft.pk}/send/")
    assert sent.status_code == 302
    assert Brief.objects.get(pk=draft.pk).status == BriefStatus.OPEN
    assert sent_mail.to() == [kathmandu.user.email]
    assert other.get(f"/w/{slug}/briefs/{draft.pk}/").status_code == 200
