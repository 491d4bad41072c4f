"""Files as related material in a real browser: attach with the form, download, refusals shown.

The file's name is hostile markup; the browser must show it as text, run nothing, and the
form in its error state must pass the same accessibility checks as every page.
"""

import pytest
from playwright.sync_api import Browser, expect

from meridian.briefs.models import BriefLink
from meridian.briefs.services import Invitee, brief_create
from tests import factories
from tests.briefs.factories import NINE_TO_FIVE
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
HOSTILE = "<img src=x onerror=alert(1)>.html"
CONTENT = b"<!doctype html><script>alert('file')</script>\n"


@pytest.fixture
def acme(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ATTACHMENT_MAX_BYTES = 4096
    ws = factories.workspace(name="Acme")
    author = factories.member(ws, time_zone="Europe/Berlin", working_hours=NINE_TO_FIVE)
    ktm = factories.member(ws, time_zone="Asia/Kathmandu", working_hours=NINE_TO_FIVE)
    brief = brief_create(
        author=author, title="Pricing page rework", participants=[Invitee(member_id=ktm.pk)]
    )
    return {"ws": ws, "ktm": ktm, "brief": brief, "media": tmp_path / "media"}


def test_participant_attaches_downloads_and_is_told_the_limit(
    live_server, browser: Browser, acme, screenshot
):
    watcher, dialogs = Watcher(), []
    context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=live_server.url))
    context.on(
        "page", lambda page: page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    )
    sign_in(context, live_server.url, acme["ktm"].user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/briefs/{acme['brief'].pk}/")

    page.get_by_text("Attach a file").click()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": HOSTILE, "mimeType": "text/html", "buffer": CONTENT}
    )
    page.locator("#f-relation").select_option("depends_on")
    page.locator("#f-note").fill("The old page")
    page.get_by_role("button", name="Attach file").click()

    links = page.locator("#links")
    expect(links).to_contain_text(HOSTILE)
    expect(links).to_contain_text("Depends on")
    expect(links).to_contain_text("The old page")
    link = BriefLink.objects.get()
    with page.expect_download() as download:
        # By keyboard (the name wraps in the narrow column, so a click on its middle misses).
        links.get_by_role("link", name=f"Download file {HOSTILE}").press("Enter")
    assert download.value.path().read_bytes() == CONTENT
    screenshot(page, "attached")

    page.get_by_text("Attach a file").click()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "big.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-" + b"0" * 5000}
    )
    watcher.expect_once("status of 413")
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("alert")).to_contain_text("larger than the limit of 4 KiB (4096 bytes)")
    screenshot(page, "too-large")
    assert structure_problems(page) + axe_violations(page) == []

    assert list(BriefLink.objects.values_list("pk", flat=True)) == [link.pk]
    assert dialogs == [] and watcher.errors == []
    context.close()
