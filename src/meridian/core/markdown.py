"""Markdown that people write in briefs, comments and summaries, rendered to HTML that is safe.

Two layers, so a mistake in one is caught by the other:

1. markdown-it-py in CommonMark mode with raw HTML *disabled*: ``<script>`` in the text stays
   text. Tables and strikethrough are switched on because people write them.
2. nh3 (the ammonia sanitizer) over the result, with an allow-list of tags and attributes,
   ``http``/``https``/``mailto`` as the only URL schemes (so no ``javascript:``, ``data:`` or
   ``vbscript:`` link or image), and ``rel="noopener noreferrer nofollow"`` on every link.

The page's Content-Security-Policy (no inline script, images from this site only) is the
third layer. Rendering happens when the text is written; the HTML is stored beside it.
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
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


_parser = _Parser("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable(["table", "strikethrough"])


def sanitize(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """The safe HTML of a Markdown text ("" for empty text)."""
    if not text.strip():
        return ""
    return sanitize(_parser.render(text))
