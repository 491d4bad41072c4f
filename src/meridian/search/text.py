"""Text in and out of the index: Markdown to plain text, and highlighted snippets made safe.

The engines mark matches with private-use characters that indexed text never contains
(``clean`` removes them). A snippet is HTML-escaped first and only then are the markers turned
into ``<mark>`` elements, so nothing a person wrote is ever taken for HTML.
"""

import re
import unicodedata
from html import escape  # what django.utils.html.escape calls, without its lazy wrapper

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

MATCH_START = "\ue000"
MATCH_END = "\ue001"
# PostgreSQL's headline parser drops what looks like an HTML tag; these stand in for < and >.
LESS_THAN = "\ue002"
GREATER_THAN = "\ue003"
_RESERVED = {MATCH_START, MATCH_END, LESS_THAN, GREATER_THAN}

MAX_TITLE = 300
MAX_BODY = 100_000

_parser = MarkdownIt("commonmark", {"html": False})
_parser.enable(["table", "strikethrough"])
_SPACES = re.compile(r"\s+")


def clean(text: str, limit: int) -> str:
    """Text fit for the index: no control or reserved characters, spaces collapsed, cut to length."""
    kept = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in text
        if ch not in _RESERVED
    )
    return _SPACES.sub(" ", kept).strip()[:limit]


def _inline_text(token: Token) -> list[str]:
    parts = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # the alt text
    return parts


def plain_text(markdown: str) -> str:
    """The words of a Markdown text without its markup (link targets and formatting go)."""
    parts: list[str] = []
    # Markdown would turn NUL into U+FFFD; it is nothing anyone wrote.
    for token in _parser.parse(markdown.replace("\x00", "")):
        if token.type == "inline":
            parts.extend(_inline_text(token))
        elif token.type in {"fence", "code_block"}:
            parts.append(token.content)
        if token.block and token.nesting <= 0:
            parts.append(" ")
    return clean("".join(parts), MAX_BODY)


def marked(fragment: str) -> SafeString:
    """A fragment from the engine as safe HTML: escaped, then its match markers as <mark>."""
    fragment = fragment.replace(LESS_THAN, "<").replace(GREATER_THAN, ">")
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{MATCH_START}{MATCH_END}])", fragment):
        if piece == MATCH_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == MATCH_END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        elif piece:
            out.append(escape(piece))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 (every piece of text was escaped above)


EXCERPT_LENGTH = 200


def excerpt(markdown: str, limit: int = EXCERPT_LENGTH) -> str:
    """The start of a Markdown text as plain words for a notification, cut at a word with "…".

    What a notice quotes of a brief, comment or proposal: no markup, at most ``limit``
    characters, the ellipsis included.
    """
    text = plain_text(markdown)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"
