"""Serving stored media to the people allowed to see it: byte ranges streamed from storage.

Seeking in a <video> needs HTTP range requests (206 Partial Content). The file is read from
Django's storage in blocks as the response is sent, never as a whole.
"""

import re
from collections.abc import Iterator
from typing import IO

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from meridian.core.errors import NotFound

BLOCK = 256 * 1024
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# More digits than any file size has (and than int() converts by default): "past the end".
_MAX_DIGITS = 18
_BEYOND = 10**_MAX_DIGITS


class Unsatisfiable(ValueError):
    """The requested range lies outside the file (HTTP 416)."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte asked for by a ``Range`` header, or None to send everything.

    A header this server does not understand (another unit, several ranges) is ignored, as
    RFC 9110 allows; a range wholly past the end raises Unsatisfiable.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = (_number(part) for part in match.groups())
    if first is None and last is None:
        return None
    if first is None:  # the final N bytes
        length = last or 0
        if length == 0 or size == 0:
            raise Unsatisfiable(header)
        return max(0, size - length), size - 1
    start = first
    if start >= size:
        raise Unsatisfiable(header)
    end = last if last is not None else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


def _number(digits: str) -> int | None:
    """A range bound, None when absent; a bound longer than any size counts as "past the end"."""
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    return _BEYOND if len(digits) > _MAX_DIGITS else int(digits)


class RangeReader:
    """Iterates ``length`` bytes of an open file in blocks, closing it at the end."""

    def __init__(self, handle: IO[bytes], length: int) -> None:
        self.handle = handle
        self.remaining = length

    def __iter__(self) -> Iterator[bytes]:
        while self.remaining > 0:
            block = self.handle.read(min(BLOCK, self.remaining))
            if not block:
                break
            self.remaining -= len(block)
            yield block

    def close(self) -> None:
        self.handle.close()


def stored_file_response(
    request: HttpRequest, name: str | None, *, content_type: str, filename: str
) -> HttpResponseBase:
    """The stored file ``name`` with range support, inline, under the type the server found."""
    if not name:
        raise NotFound("This file does not exist (yet).")
    try:
        size = default_storage.size(name)
    except FileNotFoundError:
        # The row outlived its file (a restore without media, a disk cleaned by hand): the
        # same answer as for an attachment whose file is gone, never a server error.
        raise NotFound("This file is no longer stored.") from None
    status, start, end = 200, 0, size - 1
    header = request.headers.get("Range", "")
    if header:
        try:
            asked = parse_range(header, size)
        except Unsatisfiable:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return _protect(refused, filename)
        if asked is not None:
            status, (start, end) = 206, asked
    length = max(0, end - start + 1)
    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError:  # removed between the size and the open
            raise NotFound("This file is no longer stored.") from None
        handle.seek(start)
        response = StreamingHttpResponse(
            RangeReader(handle, length), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _protect(response, filename)


def text_response(body: str, *, content_type: str, filename: str) -> HttpResponse:
    """A small generated text file (a caption track) with the same protective headers."""
    return _protect(HttpResponse(body, content_type=content_type), filename)


def _protect[R: HttpResponseBase](response: R, filename: str) -> R:
    # Whatever the bytes hold, the browser treats them as the type named here, shows them
    # inline under a safe name, and keeps them in this person's cache only.
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
