"""The work pages in a real browser: a project, three tasks, a dependency, and the board.

Ada (Berlin) starts a project and writes three tasks through the forms, makes one block
another (the blocked card on the board names its blocker and the blocker's owner), drags a
task across the board with the mouse (SortableJS) and moves another with the keyboard; after a
reload both moves are kept. Every page is checked for structure and axe-core violations at
desktop and phone width, watched for console errors and CSP violations, and photographed into
test-artifacts/ (a task page and "my work" also into docs/user/images/; the board's pictures
there come from the whole journey, tests/browser/test_work_journey.py).
"""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from meridian.work.models import Project, Task
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def team(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
    bikram = person(ws, "Asia/Kathmandu", display_name="Bikram Thapa")
    return {"ws": ws, "ada": ada, "bikram": bikram}


def column_titles(page: Page, label: str) -> list[str]:
    cards = page.locator(f'ol[data-label="{label}"] > li .card-title')
    return [text.split(" ", 1)[1] for text in cards.all_inner_texts()]


def test_project_tasks_dependency_and_moves_on_the_board(
    live_server, browser: Browser, screenshot, team
):
    ws, ada = team["ws"], team["ada"]
    watcher = Watcher()
    problems: dict[str, list[str]] = {}
    shots: dict[str, Path] = {}

    context = watcher.watch(
        browser.new_context(viewport=DESKTOP, base_url=live_server.url, timezone_id="Europe/Berlin")
    )
    sign_in(context, live_server.url, ada.user)
    page = context.new_page()

    def step(name: str) -> None:
        page.wait_for_load_state("networkidle")
        # A move in flight dims its card (aria-busy): check the page once every move is answered
        # (the second keyboard move announces the same words as the first, so the announcement
        # alone does not say it is done).
        expect(page.locator('[aria-busy="true"]')).to_have_count(0)
        found = structure_problems(page) + axe_violations(page)
        if found:
            problems[name] = found
        shots[name] = screenshot(page, name)

    # --- A project and three tasks, through the forms -------------------------------------------
    page.goto(f"/w/{ws.slug}/work/projects/new/")
    page.get_by_label("Name", exact=True).fill("Website relaunch")
    page.get_by_label("Description").fill("The new site, **live** before the spring campaign.")
    page.get_by_label("Lead").select_option(label="Ada Okafor")
    step("work-01-new-project")
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
        page.get_by_label("Acceptance criteria").fill(
            "Reviewed by someone else\nOn the staging site"
        )
        page.get_by_label("End of a day, in the owner's own time zone").check()
        page.get_by_label("Day", exact=True).fill("2030-03-15")
        if title == "Write the copy":
            step("work-02-new-task")
        page.get_by_role("button", name="Create task").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    copy, design, launch = (
        Task.objects.get(title=t) for t in ("Write the copy", "Design the page", "Launch the site")
    )

    # --- "Launch" is blocked by "Write the copy" --------------------------------------------------
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    page.get_by_text("Add a dependency").click()
    page.get_by_label("Relation").select_option("blocked_by")
    page.get_by_label("Task number").fill(str(copy.pk))
    page.get_by_role("button", name="Add dependency").click()
    expect(page.locator("#dependencies")).to_contain_text("owned by Bikram Thapa")
    expect(page.locator(".byline .state-blocked")).to_have_text("Blocked")
    # A question in the thread, posted in place (htmx).
    page.get_by_label("Comment", exact=True).fill("Do we launch on a **Friday**?")
    page.get_by_label("This is a question").check()
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("Unanswered question")
    expect(page.locator("#thread strong")).to_have_text("Friday")
    step("work-03-task-blocked")

    # --- The board: the blocked card names its blocker --------------------------------------------
    page.goto(f"/w/{ws.slug}/work/projects/{project.pk}/board/")
    launch_card = page.locator(f"#card-{launch.pk}")
    expect(launch_card.locator(".card-blocked")).to_contain_text(
        f"Blocked by #{copy.pk} Write the copy (Bikram Thapa)"
    )
    assert column_titles(page, "To do") == ["Write the copy", "Design the page", "Launch the site"]
    step("work-04-board")

    # Drag "Design the page" into "Doing" with the mouse.
    page.locator(f"#card-{design.pk} .card-meta").drag_to(page.locator('ol[data-label="Doing"]'))
    expect(page.locator("#board-status")).to_contain_text("“Design the page” moved to Doing.")
    assert column_titles(page, "Doing") == ["Design the page"]

    # Move "Write the copy" with the keyboard: right to Doing, then down below "Design the page".
    page.locator(f"#card-{copy.pk}").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-status")).to_contain_text("“Write the copy” moved to Doing.")
    expect(page.locator(f"#card-{copy.pk}")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#board-status")).to_contain_text("“Write the copy” moved to Doing.")
    assert column_titles(page, "Doing") == ["Design the page", "Write the copy"]
    step("work-05-board-after-moves")

    page.reload()
    assert column_titles(page, "Doing") == ["Design the page", "Write the copy"]
    assert column_titles(page, "To do") == ["Launch the site"]
    assert {t.title: t.status for t in Task.objects.all()} == {
        "Write the copy": "doing",
        "Design the page": "doing",
        "Launch the site": "todo",
    }
    copy.refresh_from_db()
    assert list(copy.events.filter(field="status").values_list("old", "new")) == [
        ("To do", "Doing")
    ]

    # --- A stale card (moved elsewhere meanwhile) comes back with a message ------------------------
    from meridian.work.services.board import task_move

    task_move(actor=team["bikram"], task=launch, version=launch.version, status="review")
    watcher.expect_once("409")
    page.locator(f"#card-{launch.pk}").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-status")).to_contain_text(
        "Bikram Thapa changed “Launch the site” since the board was loaded (it is now in In review)"
    )
    assert column_titles(page, "To do") == ["Launch the site"]

    # --- The task page and my work, then everything at phone width -------------------------------
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    step("work-06-task-page")
    page.goto(f"/w/{ws.slug}/work/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.locator("main")).to_contain_text("Design the page")
    step("work-07-my-work")

    page.set_viewport_size(PHONE)
    page.goto(f"/w/{ws.slug}/work/projects/{project.pk}/board/")
    step("work-08-board-phone")
    page.goto(f"/w/{ws.slug}/work/tasks/{launch.pk}/")
    step("work-09-task-page-phone")
    page.goto(f"/w/{ws.slug}/work/")
    step("work-10-my-work-phone")
    page.goto(f"/w/{ws.slug}/work/tasks/")
    step("work-11-task-list-phone")
    # The other pages, at phone width then on a desktop screen.
    others = {
        "project": f"/w/{ws.slug}/work/projects/{project.pk}/",
        "project-edit": f"/w/{ws.slug}/work/projects/{project.pk}/edit/",
        "projects": f"/w/{ws.slug}/work/projects/",
        "task-edit": f"/w/{ws.slug}/work/tasks/{launch.pk}/edit/",
        "waiting": f"/w/{ws.slug}/work/waiting/",
    }
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for name, path in others.items():
            page.goto(path)
            step(f"work-12-{name}-{width}")
    page.goto(f"/w/{ws.slug}/work/tasks/?owner=me")
    page.get_by_text("Save these filters", exact=True).click()
    page.get_by_label("Save these filters as").fill("Mine")
    page.get_by_role("button", name="Save filter").click()
    expect(page.get_by_role("navigation", name="Your saved filters")).to_contain_text("Mine")
    step("work-13-task-list-saved-filter")

    context.close()
    for name, target in (
        ("work-06-task-page", "work-task-desktop.png"),
        ("work-09-task-page-phone", "work-task-phone.png"),
        ("work-07-my-work", "work-my-work-desktop.png"),
        ("work-10-my-work-phone", "work-my-work-phone.png"),
    ):
        shutil.copyfile(shots[name], docs_images() / target)
    assert watcher.errors == []
    assert problems == {}
