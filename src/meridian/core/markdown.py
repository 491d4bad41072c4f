"""Markdown that people write in briefs, comments and summaries, rendered to HTML that is safe.

Two layers, so a mistake in one is caught by the other:

1. markdown-it-py in CommonMark mode with raw HTML *disabled*: ``<script>`` in the text stays
   text. Tables and strikethrough are switched on because people write them.
2. nh3 (the ammonia sanitizer) over the result, with an allow-list of tags and attributes,
   ``http``/``https``/``mailto`` as the only URL schemes (so no ``javascript:``, ``data:`` or
   ``vbscript:`` link or image), and ``rel="noopener noreferrer nofollow"`` on every link.

The page's Content-Security-Policy (no inline script, images from this site only) is the
third layer. Rendering happens when the text is written; the HTML is stored beside it.

An ``@handle`` that names a real member (the caller passes the handles it resolved) becomes
``<span class="mention">``, the one class nh3 lets through; any other ``@word`` stays text.
"""

import re
from collections.abc import Collection
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
# Only the renderer's own mention marker may carry a class; people cannot write raw HTML.
ALLOWED_CLASSES = {"span": {"mention"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


class _Parser(MarkdownIt):
    """CommonMark whose links and images may only be relative or use an allowed scheme.

    A link whose URL fails this check is left as plain text, so the reader sees what was
    written instead of a link that nh3 would have emptied.
    """

    def validateLink(self, url: str) -> bool:
        scheme, colon, _ = url.strip().partition(":")
        return not colon or "/" in scheme or scheme.lower() in URL_SCHEMES


# "@handle": the part of a member's email address before the @, e.g. "@ada" or "@chen.wei".
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?)")


def _mention_token(handle: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = f'<span class="mention">@{escape(handle)}</span>'
    return token


def _split_mentions(text: str, handles: Collection[str]) -> list[Token]:
    tokens: list[Token] = []
    last = 0
    for match in MENTION_RE.finditer(text):
        if match.group(1).lower() not in handles:
            continue
        if match.start() > last:
            plain = Token("text", "", 0)
            plain.content = text[last : match.start()]
            tokens.append(plain)
        tokens.append(_mention_token(match.group(1)))
        last = match.end()
    if last < len(text):
        plain = Token("text", "", 0)
        plain.content = text[last:]
        tokens.append(plain)
    return tokens


def _mentions_rule(state: StateCore) -> None:
    """Mark the mentions of real members in plain text (never in code, which is not text)."""
    handles = state.env.get("mentions") if isinstance(state.env, dict) else None
    if not handles:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type == "text" and "@" in child.content:
                children.extend(_split_mentions(child.content, handles))
            else:
                children.append(child)
        block.children = children


_parser = _Parser("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable(["table", "strikethrough"])
_parser.core.ruler.push("mentions", _mentions_rule)


def sanitize(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str, *, mentions: Collection[str] = ()) -> str:
    """The safe HTML of a Markdown text ("" for empty text).

    ``mentions`` are the lower-case handles of the members the text really mentions; only
    those are highlighted, so a highlight always means someone was told.
    """
    if not text.strip():
        return ""
    env = {"mentions": frozenset(h.lower() for h in mentions)}
    return sanitize(_parser.render(text, env))
