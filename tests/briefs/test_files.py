"""Files as related material of a brief: attached on the page and through the API, downloaded
only by members and only as a download, refused over the limit with nothing stored."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from meridian.briefs import files
from meridian.briefs.models import Brief, BriefLink, LinkTarget
from meridian.briefs.services import brief_close, file_link_add, link_add
from meridian.core.errors import ValidationFailed
from tests.api.support import API, bearer, get, problem, send
from tests.briefs.factories import brief

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a small plan\n" + b"0" * 200
HTML = b"<!doctype html><script>alert(document.cookie)</script>\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores its files in a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def small_limit(settings) -> int:
    settings.ATTACHMENT_MAX_BYTES = 1024
    return 1024


@pytest.fixture
def asked(author, kathmandu) -> Brief:
    return brief(author, [kathmandu], title="Pricing page rework")


def stored(media_root: Path) -> list[Path]:
    """Every attachment in storage."""
    folder = media_root / "briefs"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def page(name: str, b: Brief, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": b.workspace.slug, "brief_id": b.pk, **kwargs})


def upload(name: str = "plan.pdf", content: bytes = PDF, kind: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=kind)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def attach(client, b: Brief, member, **fields):
    client.force_login(member.user)
    data = {"relation": "context", "note": "", **fields}
    return client.post(page("brief_file_new", b), data)


def api_attach(client, b: Brief, member, **fields):
    data = {"relation": "context", "note": "", **fields}
    return client.post(f"{API}/briefs/{b.pk}/files", data, headers=bearer(member))


# --- Attaching ----------------------------------------------------------------------------------


def test_participant_attaches_a_file_on_the_page_and_it_is_listed(
    client, asked, kathmandu, media_root
):
    response = attach(
        client, asked, kathmandu, file=upload(), relation="depends_on", note="Budget sheet"
    )

    assert response.status_code == 302
    assert response["Location"] == page("brief_detail", asked) + "#links"
    link = BriefLink.objects.get()
    assert (link.target, link.relation, link.note) == (
        LinkTarget.FILE,
        "depends_on",
        "Budget sheet",
    )
    assert (link.filename, link.file_size, link.content_type) == (
        "plan.pdf",
        len(PDF),
        "application/pdf",
    )
    assert link.file.name.startswith(f"briefs/{asked.workspace_id}/")
    assert stored(media_root) == [media_root / link.file.name]
    html = client.get(page("brief_detail", asked)).content.decode()
    download = page("brief_link_file", asked, link_id=link.pk)
    assert f'href="{download}"' in html
    assert "plan.pdf" in html and "(224 bytes)" in html
    assert "Depends on" in html and "Budget sheet" in html


def test_file_form_is_labelled_and_sent_as_multipart(client, asked, kathmandu):
    client.force_login(kathmandu.user)
    html = client.get(page("brief_detail", asked)).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="f-file">File</label>' in html
    assert 'type="file" name="file"' in html
    assert "up to 25 MiB (26214400 bytes)" in html


def test_file_attached_through_the_api_is_described_with_its_download_url(client, asked, kathmandu):
    response = api_attach(client, asked, kathmandu, file=upload(), relation="blocks", note="n")

    assert response.status_code == 201, response.content
    out = response.json()
    link = BriefLink.objects.get()
    assert out["id"] == link.pk
    assert (out["target"], out["relation"], out["note"]) == ("file", "blocks", "n")
    assert (out["filename"], out["file_size"], out["content_type"]) == (
        "plan.pdf",
        len(PDF),
        "application/pdf",
    )
    assert out["download_url"] == f"{API}/briefs/{asked.pk}/links/{link.pk}/file"
    listed = get(client, f"/briefs/{asked.pk}", bearer(kathmandu)).json()["links"]
    assert [x["download_url"] for x in listed] == [out["download_url"]]


def test_other_links_have_no_file_fields_in_the_api(client, asked, author):
    made = send(
        client, "POST", f"/briefs/{asked.pk}/links", {"url": "https://example.com"}, bearer(author)
    ).json()
    assert (made["filename"], made["file_size"], made["download_url"]) == (None, None, None)


def test_file_target_cannot_be_named_on_the_json_link_endpoint(client, asked, author):
    out = problem(
        send(
            client,
            "POST",
            f"/briefs/{asked.pk}/links",
            {"target": "file", "url": "https://example.com"},
            bearer(author),
        ),
        422,
    )
    assert list(out["errors"]) == ["target"]
    assert not BriefLink.objects.exists()


# --- Downloading ----------------------------------------------------------------------------------


def test_member_downloads_the_file_as_an_attachment(client, asked, author, kathmandu, new_york):
    link = file_link_add(acting=author, brief=asked, file=upload())
    client.force_login(new_york.user)  # a member of the workspace, not asked in the brief

    response = client.get(page("brief_link_file", asked, link_id=link.pk))

    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Disposition"] == (
        "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_api_download_is_the_same_bytes_and_headers(client, asked, author, kathmandu):
    link = file_link_add(acting=author, brief=asked, file=upload())

    response = get(client, f"/briefs/{asked.pk}/links/{link.pk}/file", bearer(kathmandu))

    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_html_is_stored_as_html_but_sent_as_an_opaque_download(client, asked, author):
    link = file_link_add(acting=author, brief=asked, file=upload("page.html", HTML, "text/html"))
    assert link.content_type == "text/html"
    client.force_login(author.user)

    response = client.get(page("brief_link_file", asked, link_id=link.pk))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert body(response) == HTML


def test_declared_type_gives_way_to_what_the_bytes_are(asked, author):
    link = file_link_add(acting=author, brief=asked, file=upload("notes.txt", PDF, "text/plain"))
    assert link.content_type == "application/pdf"


def test_a_link_without_a_file_has_no_download(client, asked, author):
    client.force_login(author.user)
    link = link_add(acting=author, brief=asked, url="https://example.com")
    assert client.get(page("brief_link_file", asked, link_id=link.pk)).status_code == 404
    assert (
        get(client, f"/briefs/{asked.pk}/links/{link.pk}/file", bearer(author)).status_code == 404
    )


def test_outsider_gets_404_for_the_file_on_the_page_and_the_api(client, asked, author, outsider):
    link = file_link_add(acting=author, brief=asked, file=upload())
    client.force_login(outsider.user)

    assert client.get(page("brief_link_file", asked, link_id=link.pk)).status_code == 404
    own = reverse(
        "brief_link_file",
        kwargs={"workspace": outsider.workspace.slug, "brief_id": asked.pk, "link_id": link.pk},
    )
    assert client.get(own).status_code == 404
    problem(get(client, f"/briefs/{asked.pk}/links/{link.pk}/file", bearer(outsider)), 404)


def test_outsider_cannot_attach_and_nothing_is_stored(client, asked, outsider, media_root):
    assert attach(client, asked, outsider, file=upload()).status_code == 404
    problem(api_attach(client, asked, outsider, file=upload()), 404)
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_anonymous_visitor_is_sent_to_sign_in_and_the_api_answers_401(client, asked, author):
    link = file_link_add(acting=author, brief=asked, file=upload())
    target = page("brief_link_file", asked, link_id=link.pk)

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={target}"
    problem(get(client, f"/briefs/{asked.pk}/links/{link.pk}/file"), 401)
    assert client.post(page("brief_file_new", asked), {"file": upload()}).status_code == 302
    assert BriefLink.objects.count() == 1


# --- Refusals ----------------------------------------------------------------------------------------


def test_file_over_the_limit_is_a_field_error_naming_it_and_nothing_is_stored(
    client, asked, kathmandu, media_root, small_limit
):
    response = attach(client, asked, kathmandu, file=upload(content=PDF * 5))

    assert response.status_code == 413
    html = response.content.decode()
    assert "The file is 1.1 KiB, larger than the limit of 1 KiB (1024 bytes)" in html
    assert 'id="f-file_error"' in html
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_request_far_over_the_limit_is_refused_before_it_is_read(
    client, asked, kathmandu, media_root, small_limit
):
    response = attach(client, asked, kathmandu, file=upload(content=b"x" * 200_000))

    assert response.status_code == 413
    assert "larger than the limit of 1 KiB (1024 bytes)" in response.content.decode()
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_api_answers_413_naming_the_limit_and_stores_nothing(
    client, asked, kathmandu, media_root, small_limit
):
    near = problem(api_attach(client, asked, kathmandu, file=upload(content=PDF * 5)), 413)
    far = problem(api_attach(client, asked, kathmandu, file=upload(content=b"x" * 200_000)), 413)

    assert "limit of 1 KiB (1024 bytes)" in near["errors"]["file"][0]
    assert "limit of 1 KiB (1024 bytes)" in far["errors"]["file"][0]
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_empty_file_is_refused_on_the_page_and_in_the_api(client, asked, kathmandu, media_root):
    response = attach(client, asked, kathmandu, file=upload(content=b""))
    out = problem(api_attach(client, asked, kathmandu, file=upload(content=b"")), 422)

    assert response.status_code == 422
    assert "The file is empty" in response.content.decode()
    assert out["errors"]["file"] == ["The file is empty; choose a file that has something in it."]
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_missing_file_is_refused_on_the_page(client, asked, kathmandu):
    response = attach(client, asked, kathmandu)
    assert response.status_code == 422
    assert not BriefLink.objects.exists()


def test_bad_relation_and_long_note_are_refused_and_nothing_is_stored(asked, author, media_root):
    with pytest.raises(ValidationFailed) as refused:
        file_link_add(acting=author, brief=asked, file=upload(), relation="likes", note="n" * 501)
    assert set(refused.value.errors) == {"relation", "note"}
    assert stored(media_root) == []


def test_closed_brief_takes_no_file_409(client, asked, author, kathmandu, media_root):
    brief_close(acting=author, brief=asked, summary="Done.")

    assert attach(client, asked, kathmandu, file=upload()).status_code == 409
    out = problem(api_attach(client, asked, kathmandu, file=upload()), 409)

    assert "closed" in out["detail"]
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_file_is_removed_again_when_the_link_cannot_be_written(
    asked, author, media_root, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("meridian.briefs.services.links.audit_record", fail)
    with pytest.raises(RuntimeError):
        file_link_add(acting=author, brief=asked, file=upload())
    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


# --- Removing -------------------------------------------------------------------------------------


def test_removing_the_link_on_the_page_deletes_the_file(
    client, asked, kathmandu, media_root, django_capture_on_commit_callbacks
):
    attach(client, asked, kathmandu, file=upload())
    link = BriefLink.objects.get()
    assert len(stored(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(page("brief_link_delete", asked, link_id=link.pk))

    assert not BriefLink.objects.exists()
    assert stored(media_root) == []


def test_removing_the_link_through_the_api_deletes_the_file(
    client, asked, author, media_root, django_capture_on_commit_callbacks
):
    link = file_link_add(acting=author, brief=asked, file=upload())

    with django_capture_on_commit_callbacks(execute=True):
        gone = send(client, "DELETE", f"/briefs/{asked.pk}/links/{link.pk}", None, bearer(author))

    assert gone.status_code == 204
    assert stored(media_root) == []


def test_refused_removal_keeps_the_file(client, asked, author, kathmandu, media_root):
    link = file_link_add(acting=author, brief=asked, file=upload())
    problem(
        send(client, "DELETE", f"/briefs/{asked.pk}/links/{link.pk}", None, bearer(kathmandu)), 403
    )
    assert len(stored(media_root)) == 1


# --- Names --------------------------------------------------------------------------------------------


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A form body naming the file exactly as given (the test client would shorten the name)."""
    boundary = "meridian-test-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/html\r\n\r\n"
    ).encode()
    tail = (
        f"\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="relation"\r\n\r\ncontext\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    return head + content + tail, f"multipart/form-data; boundary={boundary}"


def test_hostile_file_name_is_stored_under_a_made_up_name_and_shown_escaped(
    client, asked, kathmandu, media_root
):
    client.force_login(kathmandu.user)
    data, content_type = multipart("../../etc/passwd<script>.html", HTML)

    response = client.post(page("brief_file_new", asked), data, content_type=content_type)

    assert response.status_code == 302
    link = BriefLink.objects.get()
    assert link.filename == "passwd<script>.html"
    name = link.file.name
    assert name.startswith(f"briefs/{asked.workspace_id}/") and len(name.rsplit("/", 1)[1]) == 32
    assert "passwd" not in name and ".." not in name
    assert stored(media_root) == [media_root / name]
    html = client.get(page("brief_detail", asked)).content.decode()
    assert "passwd&lt;script&gt;.html" in html
    assert "<script>.html" not in html
    download = client.get(page("brief_link_file", asked, link_id=link.pk))
    assert download["Content-Disposition"] == (
        "attachment; filename=\"passwd<script>.html\"; filename*=UTF-8''passwd%3Cscript%3E.html"
    )
    assert download["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\plan.pdf", "plan.pdf"),
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("  spaced   out .pdf ", "spaced out .pdf"),
        ("..", "file"),
        ("", "file"),
    ],
)
def test_file_names_lose_their_path_and_invisible_characters(given, kept):
    assert files.clean_filename(given) == kept


def test_long_file_names_are_cut_keeping_the_extension():
    name = files.clean_filename("a" * 300 + ".pdf")
    assert len(name) == files.MAX_FILENAME and name.endswith("a.pdf")


def test_non_ascii_names_are_offered_exactly_with_an_ascii_fallback():
    assert files.attachment_disposition("Préis «Q3».pdf") == (
        "attachment; filename=\"Preis Q3.pdf\"; filename*=UTF-8''Pr%C3%A9is%20%C2%ABQ3%C2%BB.pdf"
    )


def test_the_file_operations_are_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    upload_op = paths[f"{API}/briefs/{{brief_id}}/files"]["post"]
    download_op = paths[f"{API}/briefs/{{brief_id}}/links/{{link_id}}/file"]["get"]
    form = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "relation", "note"} <= set(form["properties"])
    assert "413" in upload_op["responses"] and "404" in download_op["responses"]


def test_the_database_refuses_a_file_link_without_a_file_and_a_web_link_with_one(asked, author):
    with pytest.raises(IntegrityError), transaction.atomic():
        BriefLink.objects.create(
            workspace=asked.workspace, brief=asked, target=LinkTarget.FILE, filename="a.pdf"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BriefLink.objects.create(
            workspace=asked.workspace,
            brief=asked,
            target=LinkTarget.URL,
            url="https://example.com",
            file="briefs/1/abc",
            file_size=3,
        )


def test_a_very_long_declared_type_is_not_trusted_and_the_file_is_kept(client, asked, kathmandu):
    long_type = "application/x-" + "a" * 110  # looks like a media type, longer than we store
    response = api_attach(
        client, asked, kathmandu, file=upload("notes.bin", b"plain notes", long_type)
    )
    assert response.status_code == 201, response.content
    link = BriefLink.objects.get(brief=asked, target=LinkTarget.FILE)
    assert link.content_type != long_type and len(link.content_type) <= 100


# --- Deleting the brief or the workspace -----------------------------------------------------------


def test_deleting_a_brief_deletes_its_attached_files_from_storage(
    asked, author, kathmandu, media_root, django_capture_on_commit_callbacks
):
    file_link_add(acting=author, brief=asked, file=upload("plan.pdf"))
    file_link_add(acting=kathmandu, brief=asked, file=upload("notes.pdf"))
    other = brief(author, [kathmandu], title="Kept brief")
    kept = file_link_add(acting=author, brief=other, file=upload("kept.pdf"))
    assert len(stored(media_root)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        asked.delete()

    assert stored(media_root) == [media_root / kept.file.name]


def test_deleting_a_workspace_deletes_the_files_of_all_its_briefs(
    asked, author, media_root, django_capture_on_commit_callbacks
):
    file_link_add(acting=author, brief=asked, file=upload())
    assert len(stored(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        asked.workspace.delete()

    assert not Brief.objects.exists()
    assert stored(media_root) == []


def test_a_brief_deletion_that_rolls_back_keeps_its_files(
    asked, author, media_root, django_capture_on_commit_callbacks
):
    link = file_link_add(acting=author, brief=asked, file=upload())

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        asked.delete()
        raise RuntimeError("the deletion failed half way")

    assert callbacks == []
    assert BriefLink.objects.filter(pk=link.pk).exists()
    assert stored(media_root) == [media_root / link.file.name]
