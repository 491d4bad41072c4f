"""The dashboards journey in a real browser (issue 12).

Lena leads the Design team. She writes a team goal with two key results through the pages: one
on a built-in metric (tasks completed in the Website project) and one on a custom metric whose
values a script pushes through the API for the team. Her team completes tasks; the team's
dashboard, which showed "no data", now draws the key result with its target, and its table
says 2. Lena clicks the chart's point and lands on the tasks behind it. Checked at phone width:
structure, axe-core, and a chart that is drawn (the canvas has painted pixels), not only a
table; the pictures go to test-artifacts/ and docs/user/images/.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from meridian.metrics.services import custom_metric_create
from meridian.work.services import task_update
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.api.support import bearer
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in, structure_problems
from tests.support import IMMEDIATE_TASKS
from tests.work.factories import project, task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

PAINTED = """(el) => {
  const canvas = el.querySelector("canvas");
  if (!canvas) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""

# Where ECharts drew the key result's last value, relative to the chart's box.
LAST_POINT = """(el) => {
  const chart = echarts.getInstanceByDom(el);
  const series = chart.getOption().series[0].data;
  const last = series[series.length - 1].value;
  return chart.convertToPixel({seriesIndex: 0}, last);
}"""


def check(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    assert structure_problems(page) + axe_violations(page) == []


def test_a_lead_sets_a_team_goal_and_follows_a_chart_point_to_the_tasks(
    live_server, browser: Browser, screenshot, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    ws = factories.workspace(name="Kestrel Labs")
    admin = factories.admin_of(ws)
    lena = person(ws, "Europe/Berlin", display_name="Lena Fischer")
    omar = person(ws, "Europe/Berlin", display_name="Omar Haddad")
    design = team_create(acting=admin, name="Design")
    for member in (lena, omar):
        team_add_member(acting=admin, team=design, member=member)
    website = project(lena, name="Website")
    custom_metric_create(
        acting=admin, key="signups", label="Sign-ups", definition="New accounts, from billing."
    )
    today = timezone.now().date()  # the workspace's metric days run in its admin's zone, UTC
    start, due = today - timedelta(days=14), today + timedelta(days=30)

    watcher = Watcher()
    context = watcher.watch(browser.new_context(base_url=live_server.url, viewport=PHONE))
    sign_in(context, live_server.url, lena.user)
    page = context.new_page()
    try:
        page.goto(f"/w/{ws.slug}/goals/new/")
        page.get_by_label("Title").fill("Ship the new website")
        page.get_by_label("Due date").fill(due.isoformat())
        page.get_by_label("Team").select_option(label="Design")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ship the new website")
        for title, metric, on, target in (
            ("Tasks done", "Tasks completed", "Project Website", "20"),
            ("Sign-ups", "Sign-ups", "Team Design", "300"),
        ):
            page.get_by_role("link", name="Add a key result").click()
            page.get_by_label("Title").fill(title)
            page.get_by_label("Metric").select_option(label=metric)
            page.get_by_label("Measured on").select_option(label=on)
            page.get_by_label("Baseline").fill("0")
            page.get_by_label("Target").fill(target)
            page.get_by_label("Start date").fill(start.isoformat())
            page.get_by_label("Due date").fill(due.isoformat())
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("Key result added.")).to_be_visible()

        page.get_by_role("link", name="Design", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: Team Design")
        kr_figure = page.locator("figure", has=page.get_by_role("heading", name="Tasks done"))
        expect(kr_figure.get_by_text("No data in these weeks.")).to_be_visible()

        # A script pushes the sign-ups through the API; the team completes two tasks.
        api = context.request
        auth = bearer(lena, name="billing sync")
        for days_ago, value in ((3, 40), (1, 55)):
            pushed = api.post(
                f"{live_server.url}/api/v1/metrics/signups/values",
                headers=auth,
                data={
                    "at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
                    "value": value,
                    "subject": "team",
                    "subject_id": design.pk,
                },
            )
            assert pushed.status == 201, pushed.text()
        for who, title in ((omar, "Draw the pricing page"), (lena, "Write the launch post")):
            item = task(who, website, title=title, owner=who)
            task_update(actor=who, task=item, version=item.version, changes={"status": "done"})

        page.reload()
        chart = kr_figure.locator(".chart-canvas")
        expect(chart).to_have_attribute("data-drawn", "true")
        kr_figure.locator("summary").click()
        expect(kr_figure.get_by_role("link", name="2", exact=True)).to_be_visible()
        signups = page.locator("figure", has=page.get_by_role("heading", name="Sign-ups"))
        expect(signups.first.get_by_text("No data in these weeks.")).to_have_count(0)
        assert chart.evaluate(PAINTED) > 2000  # a drawn chart, not an empty box
        check(page)
        screenshot(page, "01-team-dashboard-phone")
        page.set_viewport_size(DESKTOP)
        page.wait_for_timeout(200)  # ECharts redraws on resize
        page.screenshot(path=str(docs_images() / "dashboard-team.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(200)
        kr_figure.screenshot(path=str(docs_images() / "dashboard-key-result-phone.png"))

        chart.scroll_into_view_if_needed()
        x, y = chart.evaluate(LAST_POINT)
        box = chart.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + x, box["y"] + y)
        expect(page).to_have_url(
            re.compile(rf"/w/{ws.slug}/metrics/tasks_completed/\?first=.*&subject=project&")
        )
        expect(page.get_by_role("link", name="Draw the pricing page")).to_be_visible()
        expect(page.get_by_role("link", name="Write the launch post")).to_be_visible()
        check(page)
        screenshot(page, "02-items-behind-the-point")

        # The workspace's dashboard at phone width: every team's row with its sparklines, the
        # small multiples drawn, the table view and the downloads of each chart; axe-clean.
        page.goto(f"/w/{ws.slug}/dashboards/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Workspace dashboard")
        teams = page.get_by_role("table").filter(has=page.get_by_role("rowheader", name="Design"))
        expect(
            teams.get_by_role("link", name=re.compile(r"^2 — Tasks completed of Design"))
        ).to_be_visible()
        multiple = page.locator(f"#chart-team{design.pk}-tasks_completed .chart-canvas")
        expect(multiple).to_have_attribute("data-drawn", "true")
        assert multiple.evaluate(PAINTED) > 200
        for figure in page.locator("figure.chart").all():
            expect(figure.locator("summary")).to_have_count(1)  # its table view
            expect(figure.get_by_role("link", name=re.compile("^CSV$"))).to_have_count(1)
            expect(figure.get_by_role("link", name=re.compile("^JSON$"))).to_have_count(1)
        check(page)
        page.screenshot(path=str(docs_images() / "dashboard-workspace-phone.png"), full_page=True)
        assert watcher.errors == []
    finally:
        context.close()
