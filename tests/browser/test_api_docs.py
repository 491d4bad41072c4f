"""The API documentation page in a real browser: Swagger UI renders every operation, no parser error."""

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_page_renders_every_operation_without_a_parser_error(
    live_server, browser: Browser, screenshot
):
    watcher = Watcher()
    context = watcher.watch(browser.new_context(base_url=live_server.url))
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs")

    # The first request builds the document (about a second on a busy machine): wait for it.
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("Meridian API", timeout=30_000)
    # Each area's section opens when asked (the page holds 140-odd operations).
    tags = page.locator(".opblock-tag")
    expect(tags.first).to_be_visible()
    assert tags.count() >= 10
    for area in ("briefs", "recordings"):
        page.locator(".opblock-tag", has_text=area).first.click()
    files = page.locator(".opblock-summary-path", has_text="/api/v1/briefs/{brief_id}/files")
    expect(files.first).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 30
    # Swagger UI shows YAML parse failures ("duplicated mapping key") in an errors box.
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
    assert "Parser error" not in page.content()

    chunk = page.locator(".opblock-patch", has_text="/api/v1/uploads/{upload_id}")
    chunk.locator(".opblock-summary").click()
    statuses = chunk.locator(".responses-table .response-col_status")
    expect(statuses.filter(has_text="413").first).to_be_visible()
    screenshot(page, "api-docs")
    assert watcher.errors == []

    # Swagger UI is the npm package's copy among our static files, not ninja's, and the page
    # asks nothing of any other server.
    bundle = f"{live_server.url}/static/vendor/swagger-ui/swagger-ui-bundle.js"
    assert bundle in requested
    assert not [url for url in requested if "/static/ninja/" in url]
    elsewhere = [
        url for url in requested if not url.startswith((live_server.url, "data:", "blob:"))
    ]
    assert elsewhere == []
    context.close()
