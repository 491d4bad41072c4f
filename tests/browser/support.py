"""Helpers for the real-browser tests: console and CSP watching, accessibility checks, sign-in."""

import re
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import BrowserContext, Locator, Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def docs_images() -> Path:
    """Where a journey puts the pictures of the user docs: docs/user/images/ on SQLite.

    scripts/test.sh runs the SQLite and the PostgreSQL session side by side, so on PostgreSQL
    the same pictures go to test-artifacts/docs-images-postgres/ instead: two browsers never
    write one file in docs/ at once.
    """
    if connection.vendor == "postgresql":
        path = ROOT / "test-artifacts" / "docs-images-postgres"
    else:
        path = ROOT / "docs" / "user" / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


# Runs in every page before its own scripts (added by the browser, so the CSP does not apply):
# a blocked inline script or style would otherwise only show up as a console message.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

# A small in-page audit: the structure every Meridian page must have.
STRUCTURE_PROBLEMS = """
() => {
  const problems = [];
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[name=" + el.name + "]" : ""}`;
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea");
  for (const el of controls) {
    const label = [...(el.labels || [])].map((l) => l.textContent.trim()).join(" ");
    if (!label && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) {
      problems.push(`form control without a label: ${name(el)}`);
    }
  }
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(`${h1.length} h1 elements (want exactly one)`);
  if (!document.querySelector("body > header")) problems.push("no header landmark");
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one main");
  const navs = [...document.querySelectorAll("nav")];
  if (navs.length === 0) problems.push("no nav landmark");
  const navNames = navs.map((n) => n.getAttribute("aria-label"));
  if (navNames.some((n) => !n) || new Set(navNames).size !== navNames.length) {
    problems.push(`navs need distinct labels: ${JSON.stringify(navNames)}`);
  }
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("empty <title>");
  for (const el of document.querySelectorAll("a[href], button")) {
    if (el.closest("[hidden]")) continue;
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) {
      problems.push(`link or button without a name: ${el.outerHTML.slice(0, 80)}`);
    }
  }
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length) problems.push(`duplicate ids: ${[...new Set(dupes)].join(", ")}`);
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px wide`);
  }
  return problems;
}
"""


class Watcher:
    """Collects console errors, uncaught exceptions and CSP violations of every watched page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("page", self._attach)
        for page in context.pages:
            self._attach(page)
        return context

    def _attach(self, page: Page) -> None:
        page.on("console", lambda msg: self._console(page, msg.type, msg.text))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))

    def _console(self, page: Page, kind: str, text: str) -> None:
        if kind != "error":
            return
        if any(expected in text for expected in self.allowed):
            self.allowed = [a for a in self.allowed if a not in text]
            return
        self.errors.append(f"{page.url}: {text}")

    def expect_once(self, text: str) -> None:
        """A console error the next step triggers on purpose (e.g. a 422 form answer)."""
        self.allowed.append(text)


def structure_problems(page: Page) -> list[str]:
    return page.evaluate(STRUCTURE_PROBLEMS)


def axe_violations(page: Page) -> list[str]:
    """axe-core (from npm, read from node_modules) run against the page as it is now."""
    page.evaluate(AXE.read_text())
    results = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ["violations"]});
          return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
            v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; "));
        }"""
    )
    return list(results)


def sign_in(context: BrowserContext, base_url: str, user: object) -> None:
    """Give the browser a session for ``user`` without going through the sign-in form."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def nav_menu(page: Page, group: str) -> Locator:
    """The summary of the main navigation's ``group`` menu ("Work", not "Workspace")."""
    nav = page.get_by_role("navigation", name="Main")
    return nav.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(group)}\b"))


def nav_to(page: Page, group: str, link: str) -> None:
    """Follow ``link`` in the ``group`` menu of the main navigation, as a person does: open the
    menu, then choose the entry."""
    nav = page.get_by_role("navigation", name="Main")
    toggle = nav.get_by_role("button", name=re.compile(r"^Menu\b"))
    if toggle.is_visible():
        # A phone: one "Menu" button opens every menu at once, stacked.
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
    else:
        nav_menu(page, group).click()
    nav.get_by_role("link", name=link, exact=True).click()
