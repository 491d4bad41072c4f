"""Files attached to a brief: their names, what they are, their limit, and how they are sent.

Whatever a file holds, it is only ever sent as a download (``Content-Disposition:
attachment``), with ``X-Content-Type-Options: nosniff`` and a sandboxing
Content-Security-Policy, under a type from a short list of inert ones or else
``application/octet-stream``: an HTML or SVG file cannot run as a page of this site.
"""

import functools
import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from meridian.briefs.models import BriefLink, LinkTarget
from meridian.core.errors import NotFound, TooLarge, size_label

MAX_FILENAME = 200
DEFAULT_FILENAME = "file"
# Room for the multipart envelope (boundaries, the note, the CSRF token) around the file.
FORM_OVERHEAD = 64 * 1024
# Bytes read to tell what a file is.
SNIFF_BYTES = 512

# Types sent under their own name (still as a download): none of them runs script in a browser.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/gzip",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x1f\x8b", "application/gzip"),
]
# Office documents are zip archives; their name says which kind.
_ZIP_KINDS = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
# A media type, at most 100 characters (the stored column's size).
_MEDIA_TYPE = re.compile(
    r"^(?=.{3,100}$)[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$"
)
_GENERIC = {"application/octet-stream", "binary/octet-stream", "application/unknown"}


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def limit_label() -> str:
    """The size limit as a person reads it, with the exact number: "25 MiB (26214400 bytes)"."""
    return f"{size_label(max_bytes())} ({max_bytes()} bytes)"


def too_large(size: int | None = None) -> TooLarge:
    """The refusal of a file over the limit (HTTP 413), on the ``file`` field, naming the limit."""
    found = f"The file is {size_label(size)}, larger" if size is not None else "The file is larger"
    message = f"{found} than the limit of {limit_label()} per attached file."
    return TooLarge(message, {"file": [message]})


def clean_filename(name: str) -> str:
    """A file name fit to show and to offer as a download name: its last path part, without
    control or invisible characters, at most MAX_FILENAME characters (its extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Categories C* are control, format (e.g. right-to-left overrides), unassigned, private use.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        keep = f".{ext}" if dot and stem and 0 < len(ext) <= 16 else ""
        name = name[: MAX_FILENAME - len(keep)].rstrip(" .") + keep
    return name or DEFAULT_FILENAME


def storage_name(workspace_id: int) -> str:
    """Where a new attachment is stored: made up by the server, nothing of the person's name."""
    return f"briefs/{workspace_id}/{uuid.uuid4().hex}"


def content_type_of(head: bytes, filename: str, declared: str = "") -> str:
    """What the file is: found from its first bytes, else as the client declared, else as its
    name suggests, else ``application/octet-stream``."""
    extension = ("." + filename.rpartition(".")[2].lower()) if "." in filename else ""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _ZIP_KINDS.get(extension, "application/zip")
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.match(declared) and declared not in _GENERIC:
        return declared
    guessed, _ = mimetypes.guess_type(f"x{extension}", strict=False) if extension else (None, None)
    return guessed or "application/octet-stream"


def served_type(content_type: str) -> str:
    """The Content-Type a download is sent with: the stored type if inert, else octet-stream."""
    return content_type if content_type in SAFE_TYPES else "application/octet-stream"


def attachment_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\%;]', "_", ascii_name).strip() or DEFAULT_FILENAME
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_response(link: BriefLink) -> FileResponse:
    """The attached file of a link (already through the access helper), as a download."""
    if link.target != LinkTarget.FILE or not link.file:
        raise NotFound("This link has no file.")
    try:
        handle = default_storage.open(str(link.file.name), "rb")
    except FileNotFoundError:
        raise NotFound("This file is no longer stored.") from None
    response = FileResponse(handle, content_type=served_type(link.content_type))
    response["Content-Disposition"] = attachment_disposition(link.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def declared_length(request: HttpRequest) -> int | None:
    """The request's Content-Length as a number, or None when it is missing or not one."""
    header = (request.META.get("CONTENT_LENGTH") or "").strip()
    if not header.isascii() or not header.isdigit() or len(header) > 20:
        return None
    return int(header)


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request announces more bytes than a file at the limit and its form need."""
    length = declared_length(request)
    return length is not None and length > max_bytes() + FORM_OVERHEAD


def stream_uploads_to_disk(request: HttpRequest) -> None:
    """Files of this request go to a temporary file as they arrive, never into memory."""
    if hasattr(request, "_files"):
        return  # already read, to disk this same way (the API's Idempotency-Key check reads first)
    request.upload_handlers = [TemporaryFileUploadHandler(request)]


def refuse_large_bodies(run: Callable[..., Any]) -> Callable[..., Any]:
    """For an API upload operation: answer 413 from Content-Length before the body is read.

    Applied with ``ninja.decorators.decorate_view``, so it runs before the body is parsed.
    """

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if body_too_large(request):
            problem = too_large()
            return JsonResponse({"detail": problem.detail, "errors": problem.errors}, status=413)
        stream_uploads_to_disk(request)
        response: HttpResponse = run(request, *args, **kwargs)
        return response

    return wrapper
