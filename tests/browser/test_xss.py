"""XSS in a real browser: a corpus of payloads in everything people write, and nothing runs.

The corpus goes into a brief's title, body and questions, a question pinned to the recording,
its answer, a response, an edited comment (and so its history), a link's address and note, a
closing summary, display names, a team's name, the workspace's name, and a WebVTT caption
file uploaded through the recording page (cue text and label). Every page that shows them is
loaded, every content element is hovered and focused, and every link in content is clicked.

Chromium must raise no dialog (alert, confirm, prompt; print() is made to log an error), log
no console error and no CSP violation, never navigate to a ``javascript:`` or ``data:``
address, and the DOM must hold no script but the site's own files and no event-handler
attribute. The CSP itself must forbid inline script, and the browser must enforce that when
a script is put in the page anyway.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect

from meridian.briefs.models import Comment
from meridian.briefs.services import (
    Invitee,
    brief_close,
    brief_create,
    comment_add,
    comment_edit,
    link_add,
    respond,
)
from meridian.recordings.services import recording_process
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import Watcher, sign_in
from tests.recordings.support import IMMEDIATE_TASKS, send_file, two_second_webm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}

# Each entry is one paragraph of Markdown. Raw HTML is off in Meridian's Markdown, so most of
# these must show as the very text that was written; the Markdown ones must not become links.
PAYLOADS = (
    "<script>alert('script')</script>",
    "<script>print()</script><img src=x onerror=print()>",
    "<ScRiPt src=//evil.example/x.js></ScRiPt>",
    "<img src=x onerror=alert('img')>",
    "<svg onload=alert('svg')><circle r=5 /></svg>",
    "<svg><script>alert('svg-script')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('svg-a')\"><text y=20>svg-a</text></a></svg>",
    "<a href=\"javascript:alert('a')\">a-js</a>",
    "<a href=\" javascript:alert('a-space')\">a-space</a>",
    "<a href=\"jav&#x61;script:alert('a-entity')\">a-entity</a>",
    "<a href=\"jav\tascript:alert('a-tab')\">a-tab</a>",
    "<a href=\"data:text/html,<script>alert('a-data')</script>\">a-data</a>",
    "<iframe srcdoc=\"<script>alert('srcdoc')</script>\"></iframe>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<object data=\"data:text/html,<script>alert('object')</script>\"></object>",
    "<embed src=\"javascript:alert('embed')\">",
    "<details open ontoggle=alert('toggle')><summary>t</summary></details>",
    "<input autofocus onfocus=alert('autofocus')>",
    "<body onload=alert('body')>",
    "<div onmouseover=\"alert('hover')\">hover me</div>",
    "<style>*{background:url(javascript:alert('css'))}</style>",
    "<div style=\"background:url(javascript:alert('style'))\">styled</div>",
    "<form action=\"javascript:alert('form')\"><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'meta\')">',
    "<base href=\"javascript:alert('base')//\">",
    "<!-- <script>alert('comment')</script> -->",
    "<!--><img src=x onerror=alert('comment-break')>-->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')>",
    "\"><script>alert('attr-break')</script>",
    "'><img src=x onerror=alert('attr-break2')>",
    "</textarea><script>alert('textarea')</script>",
    "</title><script>alert('title-break')</script>",
    "&lt;script&gt;alert('entities')&lt;/script&gt;",
    "&#60;img src=x onerror=alert('numeric')&#62;",
    "[md-js](javascript:alert('md-link'))",
    "[md-js-case](JaVaScRiPt:alert('md-case'))",
    "[md-entity](jav&#x61;script:alert('md-entity'))",
    "[md-entity2](&#106;avascript:alert('md-entity2'))",
    "[md-newline](java\nscript:alert('md-newline'))",
    "[md-data](data:text/html;base64,PHNjcmlwdD5hbGVydCgnbWQtZGF0YScpPC9zY3JpcHQ+)",
    "![md-img-data](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![md-img-js](javascript:alert('md-img'))",
    "[md-vb](vbscript:msgbox('vb'))",
    '[md-title](https://example.com/t "t\\" onmouseover=\\"alert(\'md-title\')")',
    "<javascript:alert('autolink')>",
    "<https://example.com/\"onmouseover=\"alert('autolink-quote')>",
    "[md-ref][r]\n\n[r]: javascript:alert('md-ref')",
    "`<script>alert('code')</script>`",
    "```html\n<script>alert('fence')</script>\n```",
    "{{ 7|add:7 }} {% debug %}",
    "[a harmless link](https://example.com/harmless)",
)
CORPUS = "\n\n".join(PAYLOADS)

# Short payloads for one-line fields (names, titles, labels, questions).
TITLE = "<script>alert('title')</script> Pricing \"><img src=x onerror=alert('title2')>"
NAMES = {
    "author": "<img src=x onerror=alert('author')>",
    "teammate": "\"><svg onload=alert('teammate')>",
    "other": "</script><script>alert('other')</script>",
}
TEAM = "<svg/onload=alert('team')> Design"
WORKSPACE = "<b onmouseover=alert('ws')>Acme</b>"
QUESTIONS = ["<a href=javascript:alert('q1')>q1</a>", "[q2](javascript:alert('q2'))"]
LINK_URL = 'https://example.com/"onmouseover="alert(\'link-url\')"x="'
CAPTION_LABEL = "<img src=x onerror=alert('label')>"
CAPTION_VTT = (
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:01.000\n"
    "&lt;script&gt;alert('cue-entities')&lt;/script&gt;\n\n"
    "00:00:01.000 --> 00:00:01.500\n"
    "<c.x><b>bold</b></c> <v Ada>javascript:alert('cue-js')</v> <img src=x onerror=alert(1)>\n\n"
    "00:00:01.500 --> 00:00:02.000\n"
    "&#60;svg onload=alert('cue-svg')&#62; data:text/html,<script>alert(1)</script>\n"
)

# What the DOM must not hold after the payloads were rendered.
DOM_PROBLEMS = """
() => {
  const problems = [];
  const bad = /^(javascript|data|vbscript):/i;
  for (const s of document.scripts) {
    const url = s.src ? new URL(s.src) : null;
    if (!url || url.origin !== location.origin || !url.pathname.startsWith("/static/")) {
      problems.push(`script not from /static/: ${s.outerHTML.slice(0, 120)}`);
    } else if (s.textContent.trim()) {
      problems.push(`script with inline text: ${s.outerHTML.slice(0, 120)}`);
    }
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, "");
      if (name.startsWith("on")) problems.push(`${el.tagName} has ${name}`);
      if (["href", "src", "action", "formaction", "xlink:href", "data", "poster"].includes(name)
          && bad.test(value)) problems.push(`${el.tagName} ${name}=${attr.value.slice(0, 60)}`);
      if (name === "srcdoc") problems.push(`${el.tagName} has srcdoc`);
      if (name === "style" && attr.value.trim()) problems.push(`${el.tagName} has style=${attr.value}`);
    }
  }
  for (const sel of ["iframe", "object", "embed", "frame", "base", "meta[http-equiv]", "body style",
                     "main style", "main link", "main form[action^='javascript' i]"]) {
    for (const el of document.querySelectorAll(sel)) problems.push(`${sel}: ${el.outerHTML.slice(0, 80)}`);
  }
  return problems;
}
"""

# Where people's words are shown: hover and focus everything in there, collect its links.
LINKS_IN_CONTENT = ".md a[href], .questions a[href], .cues a[href], .links a[href], .hits a[href]"
CONTENT = (
    ".md, .questions, .cues, .person, .participants, .links, .comment-head, .brief-side, "
    "table, h1, .lede, .breadcrumbs, .workspace-name, .timeline, #links, select, .hits"
)
POKE = """
(selector) => {
  const events = ["mouseover", "mouseenter", "mousemove", "focus", "focusin", "animationstart",
                  "toggle", "load", "error"];
  let count = 0;
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      for (const type of events) el.dispatchEvent(new Event(type, {bubbles: true}));
      count += 1;
    }
  }
  return count;
}
"""


@pytest.fixture
def hostile(settings, tmp_path, transactional_db):
    """A workspace where every field people write carries payloads, with a real recording."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE_TASKS
    admin_user = factories.user(name="Admin")
    ws = factories.workspace(name=WORKSPACE, admin=admin_user)
    admin = factories.admin_of(ws)
    author = person(ws, "Europe/Berlin", display_name=NAMES["author"])
    teammate = person(ws, "Asia/Kathmandu", display_name=NAMES["teammate"])
    other = person(ws, "America/New_York", display_name=NAMES["other"])
    team = team_create(acting=author, name=TEAM, description=CORPUS[:400])
    team_add_member(acting=author, team=team, member=other)
    brief = brief_create(
        author=author,
        title=TITLE,
        body=CORPUS,
        ask_kind="decision",
        questions=QUESTIONS,
        participants=[Invitee(member_id=teammate.pk), Invitee(team=team.slug)],
    )
    recording = recording_process(
        recording_id=send_file(author, brief, two_second_webm(tmp_path)).recording_id
    )
    question = comment_add(
        acting=teammate, brief=brief, body=CORPUS, is_question=True, at_seconds=1.0
    )
    comment_add(acting=author, brief=brief, body=CORPUS, parent=question, answers_parent=True)
    respond(acting=teammate, brief=brief, body=CORPUS)
    edited = comment_add(acting=other, brief=brief, body=CORPUS)
    comment_edit(acting=other, comment=edited, body="Edited. " + CORPUS)
    link_add(acting=author, brief=brief, url=LINK_URL, note=TITLE)
    closed = brief_create(
        author=author, title=TITLE + " (closed)", participants=[Invitee(member_id=teammate.pk)]
    )
    brief_close(acting=author, brief=closed, summary=CORPUS)
    return {
        "ws": ws,
        "admin": admin,
        "author": author,
        "teammate": teammate,
        "team": team,
        "brief": brief,
        "closed": closed,
        "recording": recording,
        "question": question,
        "edited": edited,
    }


class Browse:
    """One watched browser context: dialogs, console errors, CSP violations and navigations."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.base_url = base_url
        self.watcher = Watcher()
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        self.requests: list[str] = []
        self.context: BrowserContext = self.watcher.watch(
            browser.new_context(viewport=DESKTOP, base_url=base_url)
        )
        # print() opens no dialog Playwright sees: make it say so on the console instead.
        self.context.add_init_script("window.print = () => console.error('print() was called');")
        self.context.on("page", self._attach)
        # Nothing leaves the machine: other sites answer with a plain page of our own.
        self.context.route(re.compile(r"^(?!" + re.escape(base_url) + r")"), self._outside)
        self.page = self.context.new_page()

    def _attach(self, page: Page) -> None:
        page.on("dialog", lambda d: (self.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        page.on("request", self._request)
        page.on("framenavigated", lambda frame: self._navigated(frame.url))

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        if request.is_navigation_request():
            self._navigated(request.url)

    def _navigated(self, url: str) -> None:
        if urlsplit(url).scheme.lower() not in {"http", "https", "about"}:
            self.navigations.append(url)

    def _outside(self, route: Route) -> None:
        if route.request.url.startswith(("http://", "https://")):
            route.fulfill(status=200, content_type="text/html", body="<p>Outside Meridian</p>")
        else:
            route.abort()

    def close(self) -> None:
        self.context.close()


def visit(browse: Browse, path: str, screenshot, name: str) -> list[str]:
    """Load a page, poke every content element, click every content link; what went wrong."""
    page = browse.page
    response = page.goto(path)
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    assert urlsplit(page.url).path == urlsplit(path).path, f"{path} went to {page.url}"
    page.wait_for_load_state("networkidle")
    problems = [f"{name}: {p}" for p in page.evaluate(DOM_PROBLEMS)]
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1] + 1:
        problems.append(f"{name}: the page scrolls sideways ({width[0]} px wide)")
    page.evaluate(POKE, CONTENT)
    for link in page.locator(f":is({CONTENT}) a[href]").all():
        if link.is_visible():
            link.hover()
    hrefs = page.eval_on_selector_all(
        LINKS_IN_CONTENT,
        "links => links.map(a => a.getAttribute('href'))",
    )
    for href in hrefs:
        scheme = urlsplit(href.strip()).scheme.lower()
        if scheme not in {"", "http", "https", "mailto"}:
            problems.append(f"{name}: a link in content goes to {href!r}")
    screenshot(page, name)
    # Click each rendered link in content (other sites answer with a stub page), then come back.
    # Back on the page, its links are all there again before the next one is clicked; the
    # page is left to settle (no request for 500 ms) once, before its DOM is checked again,
    # not after every link (that wait was most of this test's time).
    went_back = False
    for index in range(len(hrefs)):
        link = page.locator(LINKS_IN_CONTENT).nth(index)
        if not link.is_visible():
            continue
        link.click()
        page.wait_for_load_state()
        if page.url.split("#")[0] != f"{browse.base_url}{path}".split("#")[0]:
            page.go_back()
            expect(page.locator(LINKS_IN_CONTENT)).to_have_count(len(hrefs))
            went_back = True
    if went_back:
        page.wait_for_load_state("networkidle")
    problems += [f"{name}: {p}" for p in page.evaluate(DOM_PROBLEMS)]
    return problems


def test_payloads_in_everything_people_write_run_nothing_on_any_page(
    live_server, browser: Browser, hostile, screenshot
):
    browse = Browse(browser, live_server.url)
    slug = hostile["ws"].slug
    brief, recording = hostile["brief"], hostile["recording"]
    problems: list[str] = []

    # The author uploads the hostile WebVTT file through the recording page's form.
    sign_in(browse.context, live_server.url, hostile["author"].user)
    page = browse.page
    page.goto(f"/w/{slug}/recordings/{recording.pk}/")
    page.get_by_label("WebVTT file (.vtt)").set_input_files(
        {"name": "hostile.vtt", "mimeType": "text/vtt", "buffer": CAPTION_VTT.encode()}
    )
    page.get_by_label("Label").fill(CAPTION_LABEL)
    page.get_by_role("button", name="Add captions").click()
    expect(page.locator(".messages")).to_contain_text("Captions added")
    expect(page.locator(".cues")).to_contain_text("<script>alert('cue-entities')</script>")

    pages = {
        "brief": f"/w/{slug}/briefs/{brief.pk}/",
        "brief-reply": f"/w/{slug}/briefs/{brief.pk}/?reply={hostile['question'].pk}",
        "closed": f"/w/{slug}/briefs/{hostile['closed'].pk}/",
        "list": f"/w/{slug}/briefs/",
        "list-search": f"/w/{slug}/briefs/?q=%3Cscript%3Ealert(%27q%27)%3C/script%3E",
        "list-search-hit": f"/w/{slug}/briefs/?q=Pricing",
        "new": f"/w/{slug}/briefs/new/",
        "edit": f"/w/{slug}/briefs/{brief.pk}/edit/",
        "close": f"/w/{slug}/briefs/{brief.pk}/close/",
        "comment-history": f"/w/{slug}/briefs/{brief.pk}/comments/{hostile['edited'].pk}/edit/",
        "recording": f"/w/{slug}/recordings/{recording.pk}/",
        "record": f"/w/{slug}/recordings/brief/{brief.pk}/record/",
        "transcript-search": f"/w/{slug}/search/?q=alert&kind=transcript",
        "transcript-search-reflected": (
            f"/w/{slug}/search/?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&kind=transcript"
        ),
        "members": f"/w/{slug}/members/",
        "members-search": f"/w/{slug}/members/?q=%3Csvg%20onload%3Dalert(1)%3E",
        "teams": f"/w/{slug}/teams/",
        "team": f"/w/{slug}/teams/{hostile['team'].slug}/",
        "profile": f"/w/{slug}/profile/",
        "search": f"/w/{slug}/search/?q=alert",
        "search-titles": f"/w/{slug}/search/?q=Pricing",
        "search-reflected": f"/w/{slug}/search/?q=%3Cscript%3Ealert(1)%3C/script%3E%22%3E",
    }
    for name, path in pages.items():
        problems += visit(browse, path, screenshot, f"author-{name}")

    # The payloads were shown as the text people wrote, not dropped and not run.
    page.goto(pages["brief"])
    text = page.locator("main").inner_text()
    for shown in (
        "<script>alert('script')</script>",
        "<img src=x onerror=alert('img')>",
        "<iframe srcdoc=",
        "[md-js](javascript:alert('md-link'))",
        "[md-data](data:text/html;base64,",
        NAMES["author"],
        NAMES["teammate"],
        "<a href=javascript:alert('q1')>q1</a>",
    ):
        assert shown in text, f"{shown!r} is not shown as text on the brief page"
    assert page.title().startswith(TITLE)
    assert page.get_by_role("link", name="a harmless link").first.get_attribute("rel") == (
        "noopener noreferrer nofollow"
    )

    # The workspace's audit log, as its admin: names and titles in its entries.
    admin = Browse(browser, live_server.url)
    sign_in(admin.context, live_server.url, hostile["admin"].user)
    problems += visit(admin, f"/w/{slug}/audit/", screenshot, "admin-audit")
    problems += visit(admin, f"/w/{slug}/members/", screenshot, "admin-members")
    # A participant, who gets the response form and sees the thread as others do.
    teammate = Browse(browser, live_server.url)
    sign_in(teammate.context, live_server.url, hostile["teammate"].user)
    problems += visit(teammate, pages["brief"], screenshot, "teammate-brief")

    # What is stored is safe too: no tag but the allowed ones, no URL but http(s) and mailto.
    stored = [*Comment.objects.filter(brief=brief).values_list("body_html", flat=True)]
    stored += [brief.body_html, hostile["closed"].summary_html]
    for html in stored:
        assert not re.search(
            r"<(script|svg|iframe|img src=\"?x|a href=\"?\s*(javascript|data))", html
        )
    assert problems == []
    for b in (browse, admin, teammate):
        assert b.dialogs == []
        assert b.navigations == []
        assert not [u for u in b.requests if urlsplit(u).scheme in {"javascript", "data"}]
        assert b.watcher.errors == [], "\n".join(b.watcher.errors)
        b.close()


def test_the_csp_forbids_inline_script_and_the_browser_enforces_it(
    live_server, browser: Browser, hostile
):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    sign_in(context, live_server.url, hostile["author"].user)
    page = context.new_page()
    violations: list[str] = []
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    response = page.goto(f"/w/{hostile['ws'].slug}/briefs/{hostile['brief'].pk}/")
    assert response is not None

    policy = {
        d.split()[0]: d.split()[1:]
        for d in response.headers["content-security-policy"].split(";")
        if d.strip()
    }
    script_src = policy.get("script-src", policy["default-src"])
    assert script_src == ["'self'"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])

    # Put an inline script, an event handler and a javascript: URL into the page anyway.
    ran = page.evaluate(
        """async () => {
          window.__ran = [];
          const s = document.createElement("script");
          s.textContent = "window.__ran.push('inline'); alert('inline')";
          document.body.append(s);
          const holder = document.createElement("div");
          holder.innerHTML = '<img src="data:," onerror="window.__ran.push(\\'handler\\')">';
          document.body.append(holder);
          const a = document.createElement("a");
          a.href = "javascript:window.__ran.push('href')";
          document.body.append(a);
          a.click();
          await new Promise((resolve) => setTimeout(resolve, 500));
          return window.__ran;
        }"""
    )
    assert ran == []
    assert dialogs == []
    assert any("Content Security Policy" in v and "script-src" in v for v in violations)
    context.close()
