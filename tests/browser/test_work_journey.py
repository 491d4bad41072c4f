"""The whole work journey in a real browser, with the real task kind (issue 10).

Ada (Berlin) starts a project and writes three tasks through the pages, makes one block
another, drags a task across the board and moves another with the keyboard, links a decision
to "Launch the site" and asks an unanswered question on it, then hands the task over to Bikram
(Kathmandu) with a note. Bikram, in a second browser context, finds the packet in his inbox,
reads the linked decision with its rationale and the unanswered question, asks Ada a question
on the handover (Ada answers it from her inbox) and acknowledges: the task is his, and its timeline says so. The readiness page
lists Ada's single-contributor task. The board, the packet and the readiness page are checked
for structure and axe-core violations and photographed (desktop and 390 px) into
test-artifacts/ and docs/user/images/.
"""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from meridian.handovers.models import Handover, HandoverComment, HandoverState
from meridian.work.models import Project, Task
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in, structure_problems
from tests.decisions.factories import decided, proposal
from tests.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def column_titles(page: Page, label: str) -> list[str]:
    cards = page.locator(f'ol[data-label="{label}"] > li .card-title')
    return [text.split(" ", 1)[1] for text in cards.all_inner_texts()]


def test_tasks_board_handover_packet_acknowledge_and_readiness(
    live_server, browser: Browser, screenshot, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
    bikram = person(ws, "Asia/Kathmandu", display_name="Bikram Thapa")
    record = decided(
        proposal(ada, [bikram], title="Launch on a weekday"),
        statement="We launch on Tuesdays.",
        rationale="Support is fully staffed midweek.",
    )

    watcher = Watcher()
    problems: dict[str, list[str]] = {}
    shots: dict[str, Path] = {}

    def step(page: Page, name: str, *, check: bool = True) -> None:
        page.wait_for_load_state("networkidle")
        if check:
            found = structure_problems(page) + axe_violations(page)
            if found:
                problems[name] = found
        shots[name] = screenshot(page, name)

    giving = watcher.watch(
        browser.new_context(viewport=DESKTOP, base_url=live_server.url, timezone_id="Europe/Berlin")
    )
    sign_in(giving, live_server.url, ada.user)
    page = giving.new_page()

    # --- A project and three tasks, through the pages -------------------------------------------
    page.goto(f"/w/{ws.slug}/work/projects/new/")
    page.get_by_label("Name", exact=True).fill("Website relaunch")
    page.get_by_label("Description").fill("The new site, **live** before the spring campaign.")
    page.get_by_label("Lead").select_option(label="Ada Okafor")
    page.get_by_role("button", name="Create project").click()
    project = Project.objects.get()
    expect(page).to_have_url(f"{live_server.url}/w/{ws.slug}/work/projects/{project.pk}/")

    for title, owner in (
        ("Write the copy", "Bikram Thapa"),
        ("Design the page", "Ada Okafor"),
        ("Launch the site", "Ada Okafor"),
    ):
        page.goto(f"/w/{ws.slug}/work/tasks/new/?project={project.pk}")
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Owner", exact=True).select_option(label=owner)
        if title != "Design the page":
            page.get_by_label("Description").fill(f"{title}, for the **spring** campaign.")
            page.get_by_label("Acceptance criteria").fill(
                "Reviewed by someone else\nOn the staging site"
            )
        page.get_by_label("End of a day, in the owner's own time zone").check()
        page.get_by_label("Day", exact=True).fill("2030-03-15")
        page.get_by_role("button", name="Create task").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    copy, design, launch = (
        Task.objects.get(title=t) for t in ("Write the copy", "Design the page", "Launch the site")
    )

    # --- "Launch the site" is blocked by "Write the copy" -----------------------------------------
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    page.get_by_text("Add a dependency").click()
    page.get_by_label("Relation").select_option("blocked_by")
    page.get_by_label("Task number").fill(str(copy.pk))
    page.get_by_role("button", name="Add dependency").click()
    expect(page.locator("#dependencies")).to_contain_text("owned by Bikram Thapa")

    # --- The board: a drag with the mouse, a move with the keyboard -------------------------------
    page.goto(f"/w/{ws.slug}/work/projects/{project.pk}/board/")
    expect(page.locator(f"#card-{launch.pk} .card-blocked")).to_contain_text(
        f"Blocked by #{copy.pk} Write the copy (Bikram Thapa)"
    )
    page.locator(f"#card-{design.pk} .card-meta").drag_to(page.locator('ol[data-label="Doing"]'))
    expect(page.locator("#board-status")).to_contain_text("“Design the page” moved to Doing.")
    page.locator(f"#card-{copy.pk}").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-status")).to_contain_text("“Write the copy” moved to Doing.")
    page.reload()
    assert sorted(column_titles(page, "Doing")) == ["Design the page", "Write the copy"]
    assert column_titles(page, "To do") == ["Launch the site"]
    step(page, "journey-01-board")
    page.set_viewport_size(PHONE)
    step(page, "journey-02-board-phone")
    page.set_viewport_size(DESKTOP)

    # --- A decision linked to the task, and a question nobody has answered ------------------------
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    page.get_by_text("Link a brief, a decision or a task").click()
    page.get_by_label("What", exact=True).select_option("decision")
    page.get_by_label("Its number").fill(str(record.pk))
    page.get_by_role("button", name="Add link").click()
    expect(page.locator("#links")).to_contain_text("Launch on a weekday")
    page.get_by_label("Comment", exact=True).fill("Is the **DNS** switch booked?")
    page.get_by_label("This is a question").check()
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("Unanswered question")

    # --- Ada hands the task over, with a note ------------------------------------------------------
    page.get_by_role("link", name="Hand over", exact=True).click()
    preview = page.get_by_role("region", name="What they will read: the packet")
    expect(preview).to_contain_text("Support is fully staffed midweek.")
    page.get_by_label("Hand over to").select_option(label="Bikram Thapa")
    page.get_by_label("Note for them").fill("The host's support line is in the **wiki**.")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator(".messages")).to_contain_text("Bikram Thapa has been told")
    handover = Handover.objects.get()
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    expect(page.locator(".handover-badge")).to_have_text("In handover: Ada Okafor → Bikram Thapa")
    step(page, "journey-08-task-in-handover")

    # --- Bikram finds the packet in his inbox -------------------------------------------------------
    receiving = watcher.watch(
        browser.new_context(
            viewport=DESKTOP, base_url=live_server.url, timezone_id="Asia/Kathmandu"
        )
    )
    sign_in(receiving, live_server.url, bikram.user)
    his = receiving.new_page()
    his.goto(f"/w/{ws.slug}/inbox/")
    his.get_by_role("link", name="Ada Okafor is handing you the task Launch the site").click()
    expect(his).to_have_url(f"{live_server.url}/w/{ws.slug}/handovers/{handover.pk}/")
    expect(his.get_by_role("region", name="Note from Ada Okafor")).to_contain_text(
        "The host's support line is in the wiki."
    )
    decisions = his.get_by_role("region", name="Linked decisions")
    expect(decisions).to_contain_text("Launch on a weekday")
    expect(decisions).to_contain_text("Support is fully staffed midweek.")
    expect(his.get_by_role("region", name="Unanswered questions")).to_contain_text(
        "Is the DNS switch booked?"
    )
    expect(his.get_by_role("region", name="Dependencies")).to_contain_text("Write the copy")

    # He asks Ada a question on the handover.
    his.get_by_label("Ask Ada Okafor a question").fill("Who holds the registrar login?")
    his.get_by_role("button", name="Ask", exact=True).click()
    expect(his.locator(".thread")).to_contain_text("Who holds the registrar login?")
    assert HandoverComment.objects.get().is_open_question

    # Ada finds his question in her inbox and answers it on the handover.
    page.goto(f"/w/{ws.slug}/inbox/")
    page.get_by_role(
        "link", name="Bikram Thapa asked about the handover of Launch the site"
    ).click()
    expect(page).to_have_url(re.compile(rf"/w/{ws.slug}/handovers/{handover.pk}/#comment-\d+$"))
    page.get_by_label("Your answer").fill("Carmen does; she is back on **Monday**.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator(".thread")).to_contain_text("Carmen does; she is back on Monday.")
    his.reload()
    expect(his.locator(".thread")).to_contain_text("Carmen does; she is back on Monday.")
    step(his, "journey-03-packet")
    his.set_viewport_size(PHONE)
    step(his, "journey-04-packet-phone")
    his.set_viewport_size(DESKTOP)

    # And acknowledges: the task is his, and its timeline says so.
    his.get_by_role("button", name="Acknowledge: take it over").click()
    expect(his.locator(".messages")).to_contain_text("It is yours now: Launch the site")
    handover.refresh_from_db()
    assert handover.state == HandoverState.ACKNOWLEDGED
    launch.refresh_from_db()
    assert launch.owner_id == bikram.pk
    his.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    owner = his.locator("dl.facts dt", has_text="Owner").locator("xpath=following-sibling::dd[1]")
    expect(owner).to_have_text("Bikram Thapa")
    expect(his.locator("#timeline li").first).to_contain_text(
        "Bikram Thapa acknowledged a handover; owner: Ada Okafor → Bikram Thapa"
    )
    expect(his.locator(".handover-badge")).to_have_count(0)
    step(his, "journey-07-task-taken-over")
    his.goto(f"/w/{ws.slug}/inbox/")
    expect(
        his.get_by_role("link", name="Ada Okafor is handing you the task Launch the site")
    ).to_have_count(0)

    # --- The readiness page: Ada's undocumented, single-contributor task --------------------------
    page.goto(f"/w/{ws.slug}/handovers/readiness/")
    ada_section = page.get_by_role("region", name="Ada Okafor 1 at risk")
    expect(ada_section).to_contain_text("Design the page")
    expect(ada_section).to_contain_text("No description")
    step(page, "journey-05-readiness")
    page.set_viewport_size(PHONE)
    step(page, "journey-06-readiness-phone")

    giving.close()
    receiving.close()
    for name, target in (
        ("journey-01-board", "work-board-desktop.png"),
        ("journey-02-board-phone", "work-board-phone.png"),
        ("journey-03-packet", "handover-packet-desktop.png"),
        ("journey-04-packet-phone", "handover-packet-phone.png"),
        ("journey-05-readiness", "handover-readiness-desktop.png"),
        ("journey-06-readiness-phone", "handover-readiness-phone.png"),
    ):
        shutil.copyfile(shots[name], docs_images() / target)
    assert watcher.errors == []
    assert problems == {}
