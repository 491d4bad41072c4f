"""The one gate every request's input passes: no NUL characters, no numbers the database can't hold.

PostgreSQL refuses a NUL (``\\x00``) in text and SQLite refuses integers beyond 64 bits; either
used to surface as a 500 from deep inside a query. Rather than guard each field, input is checked
once where it enters: ``InputGateMiddleware`` for every request's path and query string (pages and
API alike), ``ApiParser`` for API bodies (JSON and form fields). Both answer 422 (400 for a page)
naming the field, before any view runs, so nothing is written.
"""

import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, cast

import msgspec
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser
from ninja.types import DictStrAny
from pydantic import Field

from meridian.core.errors import ValidationFailed

# The largest value of a signed 64-bit integer: every id column in SQLite and PostgreSQL.
MAX_ID = 2**63 - 1

# An object id given in a query or body: positive and small enough for any id column.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

NUL_MESSAGE = "contains a NUL character (\\u0000), which Meridian does not accept."
RANGE_MESSAGE = f"is out of range: numbers here lie between -{MAX_ID + 1} and {MAX_ID}."
NOT_AN_OBJECT = 'The body must be a JSON object, like {"field": "value"}.'
API_PREFIX = "/api/"
CHUNKED_MESSAGE = (
    "A request body must be sent with a Content-Length header; "
    "chunked transfer encoding is not accepted."
)


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field, problem) for each NUL or out-of-range number in a decoded JSON value."""
    if isinstance(value, str):
        if "\x00" in value:
            yield where, NUL_MESSAGE
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -MAX_ID - 1 <= value <= MAX_ID:
            yield where, RANGE_MESSAGE
    elif isinstance(value, float):
        # A float as large as this would be read into an integer field as one beyond 64 bits.
        if abs(value) > MAX_ID:
            yield where, RANGE_MESSAGE
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where != "body" else str(key)
            if "\x00" in key:
                yield name, f"The field name {NUL_MESSAGE}"
            yield from _walk(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}.{index}")


def _fine(value: Any) -> bool:
    """True when a decoded JSON value holds no NUL and no out-of-range number (what _walk
    looks for), checked without naming fields: the common case of a large body (an agent's
    5,000 slots) costs a third of the walk. Only a value that fails is walked for names."""
    stack = [value]
    pop, push = stack.pop, stack.append
    low, high = -MAX_ID - 1, MAX_ID
    while stack:
        container = pop()
        if type(container) is dict:
            if "\x00" in "".join(container):
                return False
            children: Any = container.values()
        else:
            children = container
        for item in children:
            kind = type(item)
            if kind is str:
                if "\x00" in item:
                    return False
            elif kind is int:
                if not low <= item <= high:
                    return False
            elif kind is dict or kind is list:
                push(item)
            elif kind is float and not abs(item) <= high:
                return False
    return True


# Every digit read as "0" and "E" as "e": a run of 19 zeros is a number that may be out of
# range, "0e" a digit before an "e", which is a number with an exponent when what leads to it
# is a number in a value's place (either may also lie inside a string: then the decoded value
# is checked, which is only slower).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789E", b"0000000000e")
_LONG_NUMBER = b"0" * 19
_NUMBER_BODY = frozenset(b"0.")
_JSON_SPACE = frozenset(b" \t\n\r")
_VALUE_OPENERS = frozenset(b":,[")


def _exponent_at(digits: bytes, at: int) -> bool:
    """Whether the digit at ``at`` (before an "e") may end the mantissa of a JSON number: the
    digits and points before it follow a "-" or nothing, then JSON whitespace, then a ":",
    "," or "[" (where a value starts). A "0e" inside a word or an agent's UUID (the
    "3e" of "…-43e1-…") is not: most UUIDs hold one, and a sync body holds its agent's."""
    while at >= 0 and digits[at] in _NUMBER_BODY:
        at -= 1
    if at >= 0 and digits[at] == 0x2D:  # "-"
        at -= 1
    while at >= 0 and digits[at] in _JSON_SPACE:
        at -= 1
    return at < 0 or digits[at] in _VALUE_OPENERS


def _plainly_fine(body: bytes) -> bool:
    """True when a JSON body's bytes show it cannot hold a NUL or an out-of-range number, so
    the decoded value needs no walk (for an agent's 5,000 slots the walk costs as much as
    decoding them; this scan of the bytes about a tenth of it). A NUL in a JSON string is
    written ``\\u0000`` (a raw one is invalid JSON); a number beyond 64 bits has at least 19
    digits or an exponent. A body with any zero byte (UTF-16 or UTF-32 JSON, which
    ``json.loads`` also reads) is never plainly fine.
    """
    if b"\x00" in body or b"\\u0000" in body:
        return False
    digits = body.translate(_DIGITS_AS_ZERO)
    if _LONG_NUMBER in digits:
        return False
    at = digits.find(b"0e")
    while at >= 0:
        if _exponent_at(digits, at):
            return False
        at = digits.find(b"0e", at + 2)
    return True


def _raise_any(problems: Iterator[tuple[str, str]]) -> None:
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        errors.setdefault(field, []).append(message)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field} {messages[0]}", errors)


def _reject_constant(name: str) -> float:
    # json.loads would otherwise accept NaN and Infinity, which no JSON field of ours means.
    raise ValueError(f"{name} is not a JSON number")


def json_decode(body: bytes) -> Any:
    """A JSON body decoded, as ``json.loads`` decodes it (refusing NaN and Infinity).

    msgspec reads it, in a third of ``json.loads``'s time (an agent's sync of 5,000 slots:
    1.4 ms instead of 4); what msgspec refuses, ``json.loads`` reads again, so that what it
    accepts beyond strict UTF-8 JSON (UTF-16 and UTF-32, a byte-order mark, lone surrogates,
    a number beyond a double's range read as infinity) and the error of what it refuses (nested
    too deep: ``RecursionError``) stay as they were. Property-tested equal to ``json.loads`` in
    tests/core/test_inputs_decode.py.
    """
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return json.loads(body, parse_constant=_reject_constant)


class ApiParser(Parser):
    """Ninja's parser, refusing bodies that are not an object, hold a NUL or a too-large number."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = json_decode(request.body)
        if not isinstance(data, dict):
            # Ninja's schemas read attributes of whatever they are given: a bare string would
            # have its str methods (such as .title) taken for fields.
            raise ValidationFailed(NOT_AN_OBJECT, {"body": [NOT_AN_OBJECT]})
        if not _plainly_fine(request.body) and not _fine(data):
            _raise_any(_walk(data, "body"))
        return cast(DictStrAny, data)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        _raise_any(_querydict_problems(data))
        return super().parse_querydict(data, list_fields, request)


def _querydict_problems(data: MultiValueDict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, values in data.lists():
        if "\x00" in key:
            yield key.replace("\x00", "\\u0000"), f"The parameter name {NUL_MESSAGE}"
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                yield key, NUL_MESSAGE


class InputGateMiddleware:
    """Refuse a NUL in the path or query string of any request before a view or query sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _chunked_without_length(request):
            return _refuse(request, 411, CHUNKED_MESSAGE, [("body", CHUNKED_MESSAGE)])
        problems = list(_querydict_problems(request.GET))
        if "\x00" in request.path:
            problems.insert(0, ("path", f"The address {NUL_MESSAGE}"))
        if not problems:
            return self.get_response(request)
        field, message = problems[0]
        detail = message if field == "path" else f"{field} {message}"
        return _refuse(request, 422, detail, problems)


def _chunked_without_length(request: HttpRequest) -> bool:
    # WSGI gives Django no length for a chunked body, so it would read it as empty and act on
    # nothing; refusing says so instead.
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _refuse(
    request: HttpRequest, status: int, detail: str, problems: list[tuple[str, str]]
) -> HttpResponse:
    """The API's JSON problem, or the error page (400 for any 4xx but 411) for a page."""
    if request.path.startswith(API_PREFIX):
        errors: dict[str, list[str]] = {}
        for name, text in problems:
            errors.setdefault(name, []).append(text)
        return JsonResponse({"detail": detail, "errors": errors}, status=status)
    page_status = status if status == 411 else 400
    return render(request, "error.html", {"reason": detail}, status=page_status)
