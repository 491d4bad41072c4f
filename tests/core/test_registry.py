"""What the areas register from their hooks.py, and how the pages and layers use it."""

import ast
import re
import threading
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import meridian
from meridian.core import registry
from meridian.core.checks import registry_is_consistent
from meridian.core.scheduler import Job, registered_jobs
from meridian.core.templatetags.nav import is_current
from meridian.search.registry import registered_kinds
from meridian.workspaces.models import Role
from tests import factories

PACKAGE = Path(meridian.__file__).parent


def _notify_kinds() -> set[str]:
    """Every kind named in a ``notification_send(kind=...)`` call anywhere in the package."""
    kinds: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "notification_send":
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind":
                    kinds.update(
                        n.value
                        for n in ast.walk(keyword.value)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    )
    return kinds


def test_every_kind_of_notification_an_area_sends_is_declared_with_a_channel():
    sent = _notify_kinds()

    declared = registry.notification_kinds()

    assert {"brief.asked", "brief.reminder", "brief.overdue", "decision.asked"} <= sent
    assert sent - declared.keys() == set()
    assert {kind.default_channel for kind in declared.values()} <= {"inbox", "digest", "now"}


def test_asks_and_mentions_go_out_at_once_and_news_waits_for_the_digest():
    channel = {name: kind.default_channel for name, kind in registry.notification_kinds().items()}

    assert channel["brief.asked"] == channel["decision.asked"] == "now"
    assert channel["brief.mention"] == channel["brief.reminder"] == "now"
    assert channel["brief.closed"] == channel["decision.recorded"] == "digest"
    assert channel["brief.comment"] == "digest"


def test_every_area_job_and_search_kind_is_registered_once_under_its_name():
    jobs = [job.name for job in registered_jobs()]

    assert jobs == [
        "task-results.prune",
        "idempotency-keys.purge",
        "invitation.expired",
        "brief.reminder",
        "upload.abandoned",
        "proposal.close",
        "proposal.reminder",
        "decision.review",
        "decision.ballots_erase",
        "handovers.readiness",
        "roles.rota",
        "checkins.ask",
        "checkins.remind",
        "webhook.attempt",
        "delivery.send",
        "delivery.digest",
        "delivery.weekly",
        "digest.send",
        "delivery.retry",
        "digest.retry",
        "tracking.retention",
    ]
    assert list(registered_kinds()) == [
        "brief",
        "comment",
        "transcript",
        "decision",
        "proposal",
        "proposal_comment",
        "project",
        "task",
        "role",
        "checkin",
    ]


def test_the_demo_seeds_briefs_before_the_decisions_built_on_them():
    assert [seeder.name for seeder in registry.demo_seeders()] == [
        "briefs",
        "decisions",
        "work",
        "roles",
        "checkins",
        "handovers",
        "tracking",
        "metrics",
        "goals",
    ]


def test_registering_the_same_item_twice_keeps_one():
    entry = registry.NavEntry(label="Twice", url_name="members", order=99)

    with registry.replaced(registry.NAV, []):
        registry.nav(entry)
        registry.nav(entry)
        assert registry.nav_entries() == [entry]


@pytest.mark.parametrize(
    ("url_name", "current"),
    [("brief_list", True), ("brief_detail", True), ("briefs", False), ("proposal_list", False)],
)
def test_a_name_ending_in_underscore_marks_every_page_it_begins(url_name, current):
    entry = registry.NavEntry(
        label="Briefs", url_name="brief_list", order=1, current_prefixes=("brief_",)
    )

    assert is_current(entry, url_name) is current


def test_other_names_mark_only_their_own_page():
    entry = registry.NavEntry(
        label="Teams", url_name="teams", order=1, current_prefixes=("teams", "team")
    )

    assert [is_current(entry, n) for n in ("teams", "team", "team_edit")] == [True, True, False]


# --- The navigation as people see it --------------------------------------------------------------


def _nav(member, url_name: str = "members") -> str:
    client = Client()
    client.force_login(member.user)
    page = client.get(reverse(url_name, kwargs={"workspace": member.workspace.slug}))
    html = page.content.decode()
    return html[html.index('<nav aria-label="Main">') : html.index("</nav>")]


def _labels(nav: str) -> list[str]:
    """Every link and menu of the nav as it reads: "Inbox", then "Communicate: Briefs", ..."""
    seen: list[str] = []
    for group, body in re.findall(r"<summary[^>]*>([^<]+)(.*?)</details>", nav, re.S):
        seen += [
            f"{group.strip()}: {label}" for label in re.findall(r"<a [^>]*>([^<]+?) ?</a>", body)
        ]
    top = nav[: nav.index('<li class="nav-group">')]
    return re.findall(r"<li><a [^>]*>([^<]+?) ?(?:<span [^>]*>.*?</span>)?</a></li>", top) + seen


@pytest.mark.django_db
def test_an_admin_sees_every_entry_in_its_menu_in_order_with_the_audit_log():
    ws = factories.workspace()

    nav = _nav(factories.admin_of(ws))

    assert _labels(nav) == [
        "Inbox",
        "Communicate: Briefs",
        "Communicate: Check-ins",
        "Communicate: Decisions",
        "Work: My work",
        "Work: Roles",
        "Work: Readiness",
        "Measure: Time",
        "Measure: Dashboards",
        "Measure: Metrics",
        "Measure: Goals",
        "Workspace: Members",
        "Workspace: Teams",
        "Workspace: Audit log",
        "Workspace: Settings",
        "Workspace: Webhooks",
        "You: Profile",
        "You: API tokens",
        "You: Workspaces",
    ]
    # Signing out is the last item of the last menu.
    assert nav.index(">Sign out<") > nav.index(">Workspaces<")


@pytest.mark.django_db
def test_a_member_has_no_audit_log_and_a_guest_no_api_tokens():
    ws = factories.workspace()

    member_nav = _labels(_nav(factories.member(ws)))
    guest_nav = _labels(_nav(factories.member(ws, role=Role.GUEST)))

    assert "Workspace: Audit log" not in member_nav and "You: API tokens" in member_nav
    assert guest_nav == [
        "Inbox",
        "Communicate: Briefs",
        "Communicate: Check-ins",
        "Communicate: Decisions",
        "Work: My work",
        "Work: Roles",
        "Work: Readiness",
        "Measure: Time",
        "Measure: Dashboards",
        "Measure: Metrics",
        "Measure: Goals",
        "Workspace: Members",
        "Workspace: Teams",
        "You: Profile",
        "You: Workspaces",
    ]


@pytest.mark.django_db
def test_the_entry_of_the_page_being_read_and_its_menu_are_marked_current():
    ws = factories.workspace()
    admin = factories.admin_of(ws)
    slug = ws.slug

    teams = _nav(admin, "teams")
    briefs = _nav(admin, "brief_list")

    assert f'<a href="/w/{slug}/teams/" aria-current="page">Teams</a>' in teams
    assert f'<a href="/w/{slug}/briefs/" aria-current="page">Briefs</a>' in briefs
    assert briefs.count('aria-current="page"') == 1
    current = '<summary aria-current="true">{}<span class="visually-hidden"> (current section)'
    assert current.format("Communicate") in briefs and briefs.count('aria-current="true"') == 1
    assert current.format("Workspace") in teams and current.format("Communicate") not in teams


@pytest.mark.django_db
def test_a_menu_shows_the_badge_of_an_entry_in_it_while_closed():
    ws = factories.workspace()

    nav = _nav(factories.member(ws))

    measure = nav[nav.index("<summary>Measure") :]
    measure = measure[: measure.index("</summary>")]
    assert 'id="tracking_home-count"' in measure and "hx-get=" in measure
    # The inbox stays a link of its own, its count on it.
    inbox = nav[: nav.index('<li class="nav-group">')]
    assert ">Inbox <span" in inbox and 'id="inbox-count"' in inbox


def test_the_system_check_names_a_nav_entry_in_a_group_the_bar_does_not_have():
    stray = registry.NavEntry(label="Stray", url_name="members", order=1, group="Elsewhere")

    with registry.replaced(registry.NAV, [stray]):
        problems = registry_is_consistent()

    assert [p.id for p in problems] == ["meridian.E003"]
    assert "'Elsewhere'" in problems[0].msg


def test_the_system_check_names_a_nav_entry_that_leads_nowhere():
    broken = registry.NavEntry(label="Nowhere", url_name="no_such_page", order=1)

    with registry.replaced(registry.NAV, [broken]):
        problems = registry_is_consistent()

    assert [p.id for p in problems] == ["meridian.E001"]
    assert "'no_such_page'" in problems[0].msg


def test_the_system_check_names_two_jobs_under_one_name():
    twins = [Job("twin", lambda now: []), Job("twin", lambda now: [])]

    with registry.replaced(registry.SCHEDULED_JOBS, twins):
        problems = registry_is_consistent()

    assert [p.id for p in problems] == ["meridian.E002"]


def test_the_registry_as_shipped_passes_the_system_check():
    assert registry_is_consistent() == []


def test_threads_reading_the_registry_first_all_wait_for_every_area(monkeypatch):
    monkeypatch.setattr(registry, "_discovered", False)
    monkeypatch.setattr(registry, "_points", {})
    real = registry.autodiscover_modules

    def slow_discovery(name: str) -> None:
        time.sleep(0.2)  # the first reader is still importing when the others arrive
        real(name)
        # Modules imported before register again only where they are imported afresh, so the
        # points are filled here as a fresh process would fill them.
        registry.register(registry.NAV, registry.NavEntry("Slow", "members", 1))

    monkeypatch.setattr(registry, "autodiscover_modules", slow_discovery)
    seen: list[int] = []
    readers = [
        threading.Thread(target=lambda: seen.append(len(registry.items(registry.NAV))))
        for _ in range(4)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert seen == [1, 1, 1, 1]


def test_only_the_registry_imports_hooks_modules_so_items_keep_the_apps_order():
    tests = Path(__file__).parents[1]
    importers = [
        path.name
        for path in [*PACKAGE.rglob("*.py"), *tests.rglob("*.py")]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            name.endswith(".hooks") or name == "hooks"
            for name in [getattr(node, "module", None) or "", *(a.name for a in node.names)]
        )
    ]

    assert importers == []


# --- Webhook event kinds ---------------------------------------------------------------------------


def test_every_event_an_area_emits_is_declared_for_webhooks_in_the_areas_order():
    from meridian.core.checks import emitted_event_kinds

    emitted = emitted_event_kinds()

    assert set(emitted) == set(registry.webhook_events())
    assert list(registry.webhook_events()) == [
        "brief.created",
        "brief.closed",
        "comment.added",
        "proposal.opened",
        "proposal.closed",
        "handover.started",
        "handover.acknowledged",
        "task.created",
        "task.completed",
        "task.reassigned",
        "checkin.blocker_raised",
    ]


def test_the_system_check_names_an_event_emitted_but_not_declared():
    declared = [e for e in registry.items(registry.WEBHOOK_EVENTS) if e.name != "task.completed"]

    with registry.replaced(registry.WEBHOOK_EVENTS, declared):
        problems = registry_is_consistent()

    assert [p.id for p in problems] == ["meridian.E004"]
    assert "'task.completed'" in problems[0].msg and "work/events.py" in problems[0].msg
