"""The recordings API: the chunked upload protocol, media with ranges, captions, progress."""

import pytest
from django.test import Client

from meridian.recordings.models import Recording, Upload, UploadStatus
from meridian.recordings.services import partial_dir
from tests.api.support import API, bearer, get, problem, send
from tests.recordings.support import IMMEDIATE_TASKS, BreaksAfter, MustNotBeRead

pytestmark = pytest.mark.django_db

CHUNK_TYPE = "application/offset+octet-stream"
VTT = b"""WEBVTT

00:00:00.000 --> 00:00:01.200
Welcome to the <b>onboarding</b> walkthrough.

00:00:01.200 --> 00:00:02.000
The pricing toggle moves to the top &amp; stays there.
"""


@pytest.fixture
def client() -> Client:
    return Client()


def start(client, headers, brief, size, filename="walkthrough.webm"):
    return send(
        client,
        "POST",
        "/uploads",
        {"brief_id": brief.pk, "filename": filename, "size": size},
        headers,
    )


def chunk(client, headers, upload_id, offset, data, **extra):
    return client.patch(
        f"{API}/uploads/{upload_id}",
        data=data,
        content_type=CHUNK_TYPE,
        headers={**headers, "Upload-Offset": str(offset)},
        **extra,
    )


def upload_whole(client, headers, brief, data, size=64 * 1024):
    created = start(client, headers, brief, len(data)).json()
    answer = None
    for offset in range(0, len(data), size):
        answer = chunk(client, headers, created["id"], offset, data[offset : offset + size])
    return answer


def test_the_upload_protocol_turns_chunks_into_a_recording(client, author, brief, clips):
    me = bearer(author)
    data = clips["webm"].read_bytes()

    created = start(client, me, brief, len(data))
    body = created.json()
    first = chunk(client, me, body["id"], 0, data[:10_000])
    status = get(client, f"/uploads/{body['id']}", me)
    last = chunk(client, me, body["id"], 10_000, data[10_000:])
    recording = get(client, f"/recordings/{last.json()['recording_id']}", me).json()

    assert created.status_code == 201
    assert (body["offset"], body["status"], body["chunk_size"]) == (0, "receiving", 8 * 1024 * 1024)
    assert created["Location"] == body["url"] == f"{API}/uploads/{body['id']}"
    assert first.status_code == 200 and first["Upload-Offset"] == "10000"
    assert status.json()["offset"] == 10_000
    assert last.status_code == 200
    assert last.json()["status"] == "complete"
    assert recording["content_type"] == "video/webm"
    assert recording["size"] == len(data)
    assert recording["media_url"] == f"{API}/recordings/{recording['id']}/media"


def test_a_chunk_cut_off_midway_is_resumed_from_the_offset_the_server_kept(
    client, author, brief, clips
):
    me = bearer(author)
    data = clips["webm"].read_bytes()
    upload_id = start(client, me, brief, len(data)).json()["id"]

    cut = chunk(
        client, me, upload_id, 0, b"",
        **{"wsgi.input": BreaksAfter(data, 7000), "CONTENT_LENGTH": str(len(data))},
    )  # fmt: skip
    offset = int(get(client, f"/uploads/{upload_id}", me).json()["offset"])
    resumed = chunk(client, me, upload_id, offset, data[offset:])

    assert problem(cut, 400)["detail"].startswith("The chunk ended after 7000 of")
    assert cut["Upload-Offset"] == "7000" == str(offset)
    assert resumed.json()["status"] == "complete"
    assert Recording.objects.get().original.read() == data


def test_a_chunk_at_the_wrong_offset_gets_409_with_the_servers_offset(client, author, brief):
    me = bearer(author)
    upload_id = start(client, me, brief, 100).json()["id"]
    chunk(client, me, upload_id, 0, b"a" * 30)

    answer = chunk(client, me, upload_id, 50, b"b" * 10)

    assert "starts at byte 30" in problem(answer, 409)["detail"]
    assert answer["Upload-Offset"] == "30"


def test_an_upload_over_the_cap_gets_413_naming_the_limit_before_any_byte_is_stored(
    client, settings, author, brief
):
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    answer = start(client, bearer(author), brief, 10 * 1024 * 1024 + 1)

    body = problem(answer, 413)
    assert "limit of 10 MiB (10485760 bytes)" in body["detail"]
    assert body["errors"] == {"size": [body["detail"]]}
    assert not Upload.objects.exists()
    assert not partial_dir().exists()


def test_a_chunk_past_the_declared_size_gets_413_without_its_body_being_read(client, author, brief):
    me = bearer(author)
    upload_id = start(client, me, brief, 100).json()["id"]

    answer = chunk(
        client, me, upload_id, 0, b"", **{"wsgi.input": MustNotBeRead(), "CONTENT_LENGTH": "500"}
    )

    assert "declared size of 100 bytes" in problem(answer, 413)["detail"]


@pytest.mark.parametrize("fake", ["png", "html"])
def test_a_file_renamed_webm_that_is_not_media_gets_422_with_the_reason(
    client, author, brief, clips, fake
):
    answer = upload_whole(client, bearer(author), brief, clips[fake].read_bytes())

    body = problem(answer, 422)
    assert "not an audio or video file" in body["detail"] or "not audio or video" in body["detail"]
    assert body["errors"]["file"] == [body["detail"]]
    assert Upload.objects.get().status == UploadStatus.REJECTED
    assert not Recording.objects.exists()


def test_a_real_webm_is_processed_duration_and_thumbnail(
    client, settings, django_capture_on_commit_callbacks, author, brief, clips
):
    settings.TASKS = IMMEDIATE_TASKS
    me = bearer(author)

    with django_capture_on_commit_callbacks(execute=True):
        done = upload_whole(client, me, brief, clips["webm"].read_bytes())
    recording = get(client, f"/recordings/{done.json()['recording_id']}", me).json()
    thumb = get(client, f"/recordings/{recording['id']}/thumbnail", me)

    assert recording["status"] == "ready"
    assert recording["duration"] == pytest.approx(2.0, abs=0.1)
    assert recording["has_thumbnail"] is True
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content)[:3] == b"\xff\xd8\xff"


def test_media_answers_range_requests_with_206_and_the_right_bytes(client, author, brief, clips):
    me = bearer(author)
    data = clips["webm"].read_bytes()
    recording_id = upload_whole(client, me, brief, data).json()["recording_id"]
    url = f"{API}/recordings/{recording_id}/media"

    whole = client.get(url, headers=me)
    middle = client.get(url, headers={**me, "Range": "bytes=100-199"})
    tail = client.get(url, headers={**me, "Range": "bytes=-50"})
    rest = client.get(url, headers={**me, "Range": f"bytes={len(data) - 10}-"})
    beyond = client.get(url, headers={**me, "Range": f"bytes={len(data)}-"})

    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == data
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert middle["Content-Length"] == "100"
    assert b"".join(middle.streaming_content) == data[100:200]
    assert b"".join(tail.streaming_content) == data[-50:]
    assert b"".join(rest.streaming_content) == data[-10:]
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(data)}"


def test_a_recording_whose_file_is_gone_answers_404_for_its_media_not_a_server_error(
    client, author, brief, clips
):
    from django.core.files.storage import default_storage

    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]
    default_storage.delete(Recording.objects.get(pk=recording_id).original.name)

    media = client.get(f"{API}/recordings/{recording_id}/media", headers=me)
    ranged = client.get(
        f"{API}/recordings/{recording_id}/media", headers={**me, "Range": "bytes=0-9"}
    )
    original = client.get(f"{API}/recordings/{recording_id}/original", headers=me)

    assert media.status_code == 404
    assert media.json()["detail"] == "This file is no longer stored."
    assert ranged.status_code == 404
    assert original.status_code == 404
    assert get(client, f"/recordings/{recording_id}", me).status_code == 200


def test_media_is_served_inline_under_the_type_found_with_nosniff(client, author, brief, clips):
    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]

    answer = client.get(f"{API}/recordings/{recording_id}/media", headers=me)

    assert answer["Content-Type"] == "video/webm"
    assert answer["Content-Disposition"] == 'inline; filename="walkthrough.webm"'
    assert answer["X-Content-Type-Options"] == "nosniff"


def test_outsiders_get_404_and_anonymous_callers_401_for_media_and_uploads(
    client, author, teammate, outsider, brief, clips
):
    me = bearer(author)
    upload_id = start(client, me, brief, 100).json()["id"]
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]
    stranger = bearer(outsider)

    assert get(client, f"/recordings/{recording_id}/media", stranger).status_code == 404
    assert get(client, f"/recordings/{recording_id}", stranger).status_code == 404
    assert get(client, f"/uploads/{upload_id}", stranger).status_code == 404
    assert chunk(client, stranger, upload_id, 0, b"x").status_code == 404
    assert start(client, stranger, brief, 100).status_code == 404
    # A teammate sees the recording but not someone else's upload in progress.
    assert get(client, f"/recordings/{recording_id}/media", bearer(teammate)).status_code == 200
    assert chunk(client, bearer(teammate), upload_id, 0, b"x").status_code == 404
    assert client.get(f"{API}/recordings/{recording_id}/media").status_code == 401


def test_captions_are_parsed_served_as_webvtt_and_searchable(
    client, author, teammate, outsider, brief, clips
):
    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]

    from django.core.files.uploadedfile import SimpleUploadedFile

    added = client.post(
        f"{API}/recordings/{recording_id}/captions",
        {
            "file": SimpleUploadedFile("en.vtt", VTT, "text/vtt"),
            "language": "en",
            "label": "English",
        },
        headers=me,
    )
    caption = added.json()
    vtt = client.get(caption["vtt_url"], headers=me)
    hits = get(client, "/captions/search?q=PRICING", bearer(teammate)).json()["items"]
    foreign = get(client, "/captions/search?q=pricing", bearer(outsider)).json()["items"]

    assert added.status_code == 201
    assert [c["text"] for c in caption["cues"]] == [
        "Welcome to the onboarding walkthrough.",
        "The pricing toggle moves to the top & stays there.",
    ]
    assert caption["cues"][1]["start"] == 1.2
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8"
    assert vtt["X-Content-Type-Options"] == "nosniff"
    assert (
        "00:00:01.200 --> 00:00:02.000\nThe pricing toggle moves to the top &amp; stays there."
        in vtt.content.decode()
    )
    assert [(h["recording_id"], h["brief_id"], h["start"]) for h in hits] == [
        (recording_id, brief.pk, 1.2)
    ]
    assert foreign == []


def test_a_file_that_is_not_webvtt_is_refused_with_the_reason(client, author, brief, clips):
    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]

    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post(
        f"{API}/recordings/{recording_id}/captions",
        {"file": SimpleUploadedFile("x.vtt", b"<html>no</html>", "text/vtt")},
        headers=me,
    )

    assert "WEBVTT" in problem(answer, 422)["errors"]["file"][0]


def test_the_player_reports_progress_and_the_author_sees_each_members_share(
    client, author, teammate, brief, clips
):
    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]
    url = f"/recordings/{recording_id}/progress"

    first = send(client, "POST", url, {"ranges": [[0, 0.5]], "duration": 2.0}, bearer(teammate))
    second = send(client, "POST", url, {"ranges": [[0.5, 2.0]], "position": 2.0}, bearer(teammate))
    views = get(client, f"/recordings/{recording_id}/views", me).json()

    assert first.json()["fraction"] == pytest.approx(0.25, abs=0.01)
    assert second.json()["fraction"] == 1.0
    assert [(v["membership_id"], v["fraction"]) for v in views] == [(teammate.pk, 1.0)]


def test_the_openapi_document_describes_the_chunk_body(client):
    spec = client.get(f"{API}/openapi.json").json()

    patch = spec["paths"]["/api/v1/uploads/{upload_id}"]["patch"]
    assert CHUNK_TYPE in patch["requestBody"]["content"]
    assert any(p["name"] == "Upload-Offset" for p in patch["parameters"])
    assert {"409", "413", "422"} <= set(patch["responses"])


def test_a_range_with_thousands_of_digits_is_answered_not_a_server_error(
    client, author, brief, clips
):
    me = bearer(author)
    data = clips["webm"].read_bytes()
    recording_id = upload_whole(client, me, brief, data).json()["recording_id"]
    url = f"{API}/recordings/{recording_id}/media"
    huge = "9" * 5000

    start_past_end = client.get(url, headers={**me, "Range": f"bytes={huge}-"})
    end_past_end = client.get(url, headers={**me, "Range": f"bytes=0-{huge}"})
    suffix = client.get(url, headers={**me, "Range": f"bytes=-{huge}"})
    padded = client.get(url, headers={**me, "Range": f"bytes={'0' * 5000}10-19"})

    assert start_past_end.status_code == 416
    assert end_past_end.status_code == 206
    assert b"".join(end_past_end.streaming_content) == data
    assert b"".join(suffix.streaming_content) == data
    assert b"".join(padded.streaming_content) == data[10:20]


def test_an_oversized_caption_gets_413_naming_the_limit(client, author, brief, clips):
    from django.core.files.uploadedfile import SimpleUploadedFile

    me = bearer(author)
    recording_id = upload_whole(client, me, brief, clips["webm"].read_bytes()).json()[
        "recording_id"
    ]
    big = b"WEBVTT\n\n" + b"x" * (2 * 1024 * 1024)

    answer = client.post(
        f"{API}/recordings/{recording_id}/captions",
        {"file": SimpleUploadedFile("big.vtt", big, "text/vtt")},
        headers=me,
    )

    assert "at most 2 MiB" in problem(answer, 413)["detail"]


def test_a_chunk_while_finishing_gets_409_finishing_with_the_offset(client, author, brief):
    import fcntl

    from meridian.recordings.services import partial_path

    me = bearer(author)
    created = start(client, me, brief, 10).json()
    upload = Upload.objects.get(pk=created["id"])
    partial_dir().mkdir(parents=True, exist_ok=True)
    partial_path(upload).write_bytes(b"x" * 10)
    Upload.objects.filter(pk=upload.pk).update(offset=10, status=UploadStatus.FINISHING)

    with open(partial_path(upload), "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        answer = chunk(client, me, created["id"], 10, b"", CONTENT_LENGTH="0")
        status = client.get(f"{API}/uploads/{created['id']}", headers=me)

    assert "finishing" in problem(answer, 409)["detail"]
    assert answer["Upload-Offset"] == "10"
    assert status.json()["status"] == "finishing"
    assert status["Upload-Offset"] == "10"
