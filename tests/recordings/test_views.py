"""Pages of the recordings area: the recorder, a recording's page, media behind the access check."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from meridian.recordings.models import Caption, Recording
from meridian.recordings.services import caption_add, caption_delete
from tests.recordings.support import send_file

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nThe <i>budget</i> question comes first.\n"


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def recording(author, brief, clips) -> Recording:
    return send_file(author, brief, clips["webm"]).recording


def test_the_record_page_offers_the_recorder_and_a_file_form(author, brief):
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "data-recorder" in html
    assert 'name="source" value="camera"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "meridian/recorder.js" in html
    assert "<script>" not in html


def test_the_plain_file_form_uploads_a_recording_without_script(author, brief, clips):
    client = signed_in(author)
    url = f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/"

    answer = client.post(url, {"file": SimpleUploadedFile("clip.webm", clips["webm"].read_bytes())})

    recording = Recording.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/w/{brief.workspace.slug}/recordings/{recording.pk}/"
    assert recording.content_type == "video/webm"


def test_the_plain_file_form_refuses_a_file_over_the_cap_before_reading_it(settings, author, brief):
    settings.UPLOAD_MAX_BYTES = 1024
    client = signed_in(author)
    url = f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/"

    answer = client.post(url, {"file": SimpleUploadedFile("big.webm", b"x" * 200_000)})

    assert answer.status_code == 413
    assert "limit of 1 KiB (1024 bytes)" in answer.content.decode()
    assert not Recording.objects.exists()


def test_the_plain_file_form_rejects_an_html_page_named_webm(author, brief, clips):
    client = signed_in(author)
    url = f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/"

    answer = client.post(url, {"file": SimpleUploadedFile("x.webm", clips["html"].read_bytes())})

    assert answer.status_code == 422
    assert "not audio or video" in answer.content.decode()


def test_members_get_the_media_with_ranges_and_protective_headers(teammate, recording, clips):
    url = f"/w/{recording.workspace.slug}/recordings/{recording.pk}/media/"

    answer = signed_in(teammate).get(url, headers={"Range": "bytes=0-9"})

    assert answer.status_code == 206
    assert b"".join(answer.streaming_content) == clips["webm"].read_bytes()[:10]
    assert answer["Content-Type"] == "video/webm"
    assert answer["Content-Disposition"].startswith("inline;")
    assert answer["X-Content-Type-Options"] == "nosniff"


def test_a_recording_whose_file_is_gone_shows_its_page_with_a_notice_and_404_media(
    author, recording
):
    from django.core.files.storage import default_storage

    default_storage.delete(recording.original.name)
    client = signed_in(author)

    page = client.get(f"/w/{recording.workspace.slug}/recordings/{recording.pk}/")
    media = client.get(f"/w/{recording.workspace.slug}/recordings/{recording.pk}/media/")

    assert page.status_code == 200
    assert "file is no longer stored" in page.content.decode()
    assert "<video" not in page.content.decode()
    assert media.status_code == 404


def test_a_guessed_media_url_is_404_for_outsiders_and_sends_anonymous_visitors_to_sign_in(
    outsider, recording
):
    ours = f"/w/{recording.workspace.slug}/recordings/{recording.pk}/media/"
    theirs = f"/w/{outsider.workspace.slug}/recordings/{recording.pk}/media/"

    assert signed_in(outsider).get(ours).status_code == 404
    assert signed_in(outsider).get(theirs).status_code == 404
    assert Client().get(ours).status_code == 302


def test_the_recording_page_plays_with_captions_and_a_transcript(author, recording):
    caption_add(acting=author, recording=recording, vtt=VTT, language="en", label="English")
    caption = Caption.objects.get()

    page = signed_in(author).get(f"/w/{recording.workspace.slug}/recordings/{recording.pk}/")
    vtt = signed_in(author).get(
        f"/w/{recording.workspace.slug}/recordings/{recording.pk}/captions/{caption.pk}.vtt"
    )

    html = page.content.decode()
    assert f'src="/w/{recording.workspace.slug}/recordings/{recording.pk}/media/"' in html
    assert (
        f'<track kind="captions" src="/w/{recording.workspace.slug}/recordings/{recording.pk}/captions/{caption.pk}.vtt"'
        in html
    )
    assert 'data-seek="0.500"' in html
    assert "The budget question comes first." in html
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8"


def test_captions_can_be_added_from_the_page(author, recording):
    client = signed_in(author)
    url = f"/w/{recording.workspace.slug}/recordings/{recording.pk}/captions/"

    client.post(url, {"file": SimpleUploadedFile("en.vtt", VTT), "language": "en", "label": "EN"})

    assert Caption.objects.get().cues.get().text == "The budget question comes first."


def test_a_refused_caption_leaves_its_key_free_so_the_corrected_resend_is_saved(author, recording):
    client = signed_in(author)
    url = f"/w/{recording.workspace.slug}/recordings/{recording.pk}/captions/"
    key = "caption-key-00000001"

    refused = client.post(url, {"language": "en", "submission_key": key})
    fixed = client.post(
        url, {"file": SimpleUploadedFile("en.vtt", VTT), "language": "en", "submission_key": key}
    )

    assert refused.status_code == 302 and fixed.status_code == 302
    assert Caption.objects.get().cues.get().text == "The budget question comes first."


def test_the_main_search_finds_what_was_said_and_opens_the_brief_player_at_that_moment(
    author, teammate, recording
):
    caption_add(acting=author, recording=recording, vtt=VTT)
    slug = recording.workspace.slug

    page = signed_in(teammate).get(f"/w/{slug}/search/?q=budget")

    html = page.content.decode()
    assert "question comes first" in html
    assert f"/w/{slug}/briefs/{recording.brief_id}/?t=0.500#player" in html
    assert "Onboarding flow walkthrough at 0:00" in html


def test_the_old_transcript_search_page_sends_people_to_the_main_search(teammate, recording):
    slug = recording.workspace.slug

    answer = signed_in(teammate).get(f"/w/{slug}/recordings/search/?q=budget")

    assert answer.status_code == 301
    assert answer["Location"] == f"/w/{slug}/search/?q=budget&kind=transcript"


def test_a_deleted_caption_track_leaves_search(author, teammate, recording):
    caption = caption_add(acting=author, recording=recording, vtt=VTT)
    caption_delete(acting=author, caption=caption)

    page = signed_in(teammate).get(f"/w/{recording.workspace.slug}/search/?q=budget")

    assert "question comes first" not in page.content.decode()


def test_the_player_partial_marks_each_pin_on_the_timeline(author, brief, recording, workspace):
    recording.duration = 2.0
    request = RequestFactory().get("/")
    pins = [{"seconds": 1.0, "comment_id": 7, "label": "Why this price?"}]

    html = render_to_string(
        "recordings/_player.html",
        {"brief": brief, "recording": recording, "pins": pins, "workspace": workspace},
        request=request,
    )

    assert 'href="#comment-7" data-seek="1.00"' in html
    assert 'x="500.0"' in html
    assert "Why this price?" in html
    assert "data-pin-moment" in html
    assert "style=" not in html


def test_the_plain_file_form_answers_400_to_a_content_length_that_is_not_a_number(author, brief):
    client = signed_in(author)
    url = f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/"

    answer = client.post(url, {}, CONTENT_LENGTH="lots")

    assert answer.status_code == 400
    assert "Content-Length" in answer.content.decode()
    assert not Recording.objects.exists()


def test_an_oversized_caption_from_the_page_is_refused_naming_the_limit(author, recording):
    client = signed_in(author)
    url = f"/w/{recording.brief.workspace.slug}/recordings/{recording.pk}/captions/"
    big = SimpleUploadedFile("big.vtt", b"WEBVTT\n\n" + b"x" * (2 * 1024 * 1024), "text/vtt")

    answer = client.post(url, {"file": big}, follow=True)

    assert "at most 2 MiB" in answer.content.decode()
    assert not Caption.objects.exists()
