"""No route leaks another workspace: every URL and every API operation, found by itself.

The test walks Django's URL resolver and the API's OpenAPI document, so a route added by any
later area is covered without touching this file. Each route is called as an admin of another
workspace in two ways — naming the victim's workspace (pages: its slug; API: bearer token and
session with the victim's workspace named), and from inside the attacker's own workspace with
the victim's object ids — and as an anonymous visitor. None may answer with the victim's data,
none may fail with a 5xx, reading a victim's object by id answers 404, and the victim's rows
must be exactly as they were.
"""

import json
import re
from datetime import timedelta
from itertools import product

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from meridian.accounts.services import token_create
from meridian.briefs.services import Invitee, brief_create, comment_add, file_link_add, link_add
from meridian.core.services import audit_record
from meridian.notifications.models import InboxItem
from meridian.tracking.services import category_rule_create, entry_create
from meridian.workspaces.models import Membership, Role
from meridian.workspaces.services import (
    invitation_create,
    membership_add,
    team_add_member,
    team_create,
    workspace_create,
)
from tests import factories
from tests.checkins.tenancy import victim_checkins
from tests.decisions.support import victim_decisions
from tests.delivery.support import victim_delivery
from tests.goals.support import victim_goals
from tests.handovers.support import victim_handovers
from tests.recordings.support import victim_recording
from tests.roles.tenancy import victim_roles
from tests.webhooks.support import victim_webhooks
from tests.work.tenancy import victim_work

pytestmark = pytest.mark.django_db

MARKERS = ["Zeta Secret Works", "Zed Secretname", "zed.secret@zeta.example", "Hidden Zeta Team"]
SKIP_PREFIXES = ("static/", "media/")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _page_routes() -> list[str]:
    routes = sorted(set(_walk(get_resolver().url_patterns)))
    return [r for r in routes if not r.startswith("api/") and not r.startswith(SKIP_PREFIXES)]


PARAM_RE = re.compile(r"\(\?P<(?P<rname>\w+)>[^)]*\)[+*]?|<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _workspace_rows(ws_id: int) -> dict[str, list]:
    """Every row of every workspace-scoped table of the victim, for a before/after comparison."""
    snapshot = {}
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if "workspace" in fields and model._meta.label != "core.AuditEntry":
            snapshot[model._meta.label] = sorted(
                json.dumps(row, sort_keys=True, default=str)
                for row in model.objects.filter(workspace_id=ws_id).values()
            )
    return snapshot


@pytest.fixture
def victim(db, settings, tmp_path):
    """Workspace B, full of data with recognisable markers."""
    owner = factories.user(email="zed.secret@zeta.example", name="Zed Secretname")
    ws = workspace_create(user=owner, name="Zeta Secret Works")
    admin = Membership.objects.select_related("profile", "workspace", "user").get(workspace=ws)
    other = membership_add(
        workspace=ws,
        user=factories.user(name="Zed Secretname Two"),
        role=Role.MEMBER,
        display_name="Zed Secretname Two",
    )
    team = team_create(acting=admin, name="Hidden Zeta Team")
    team_add_member(acting=admin, team=team, member=other)
    token, _ = token_create(acting=admin, name="Zeta token")
    invitation, _ = invitation_create(acting=admin, email="newbie@zeta.example")
    audit_record(actor=admin, action="test.marker", obj=team)
    brief = brief_create(
        author=admin, title="Zeta Secret Works plan", participants=[Invitee(member_id=other.pk)]
    )
    question = comment_add(acting=other, brief=brief, body="Zed Secretname asks?", is_question=True)
    link_add(acting=admin, brief=brief, url="https://zeta.example/Zeta-Secret-Works")
    settings.MEDIA_ROOT = tmp_path / "media"
    # A file link: its download route gets a real file whose bytes carry a marker.
    link = file_link_add(
        acting=admin,
        brief=brief,
        file=SimpleUploadedFile("Zeta-Secret-Works.txt", b"Zeta Secret Works budget\n"),
    )
    recorded = victim_recording(admin, brief, tmp_path)
    ids = {
        "workspace": ws.slug,
        "team": team.slug,
        "team_slug": team.slug,
        "member_id": other.pk,
        "membership_id": other.pk,
        "token_id": token.pk,
        "invitation_id": invitation.pk,
        "token": "inv_not-a-real-invitation",
        # allauth's email-confirmation and password-reset links: outsiders hold no valid key.
        "key": "not-a-real-key",
        "uidb36": "0",
        "brief_id": brief.pk,
        "comment_id": question.pk,
        "link_id": link.pk,
        **recorded,  # upload_id, recording_id, caption_id, index (a transcript segment)
        **victim_decisions(admin, other, team, brief),  # proposal_id, record_id, pin_id
        # The question asked of the brief's author waits in their inbox.
        "item_id": InboxItem.objects.get(
            recipient=admin, cause=f"briefs.question:{question.pk}"
        ).pk,
        **victim_webhooks(admin),  # endpoint_id, host_id
        **victim_delivery(admin, other),  # delivery_id
        **victim_roles(admin, other),  # role_id, duty_id, time_off_id
        **victim_handovers(admin, other, brief),  # handover_id, question_id, batch_id
        **victim_work(admin, other),  # project_id, task_id, dependency_id, filter_id
        **victim_goals(admin, team),  # goal_id, kr_id
        # A dashboard's chart export: the victim team's chart, as a page route and through the API.
        "kind": "team",
        "subject_id": team.pk,
        "team_id": team.pk,
        # (the workspace dashboard's small multiple of that team: its chart is named after it)
        "chart": f"team{team.pk}-tasks_completed",
        "fmt": "json",
        **victim_checkins(admin, other, team),  # checkin_id, prompt_id, blocker_id, day
        "entry_id": entry_create(
            acting=admin,
            start=timezone.now() - timedelta(hours=3),
            end=timezone.now() - timedelta(hours=2),
            note="Zeta Secret Works timesheet",
        ).pk,
        "rule_id": category_rule_create(
            acting=admin, field="app", pattern="zeta", category="Zeta Secret Works"
        ).pk,
    }
    return ws, ids


@pytest.fixture
def attacker(db):
    ws = factories.workspace(name="Attacker Inc")
    admin = factories.admin_of(ws)
    _, raw = token_create(acting=admin, name="attacker")
    client = Client()
    client.force_login(admin.user)
    return admin, client, raw


def _object_params(route: str) -> list[str]:
    names = [m.group("name") or m.group("rname") for m in PARAM_RE.finditer(route)]
    return [n for n in names if n != "workspace"]


def _fill(route: str, ids: dict, int_fallback: list[int]) -> list[str]:
    """Concrete URLs for a route pattern, using the victim's identifiers."""
    params = list(PARAM_RE.finditer(route))
    choices = []
    for m in params:
        name, conv = m.group("name") or m.group("rname"), m.group("conv")
        if name in ids:
            choices.append([str(ids[name])])
        elif conv == "int":
            choices.append([str(i) for i in int_fallback])
        else:
            pytest.fail(
                f"Route {route!r} has a parameter {name!r} this test has no sample for; "
                "add the victim's value for it to the `victim` fixture."
            )
    urls = []
    for combo in product(*choices):
        url = route
        for m, value in zip(params, combo, strict=True):
            url = url.replace(m.group(0), value, 1)
        urls.append("/" + url.replace("^", "").replace("$", ""))
    return urls


def _victim_ints(ws_id: int) -> list[int]:
    values: set[int] = set()
    for model in apps.get_models():
        if "workspace" in {f.name for f in model._meta.get_fields()}:
            values.update(model.objects.filter(workspace_id=ws_id).values_list("pk", flat=True)[:5])
    return sorted(values)[:12]


def _assert_no_leak(response, where: str) -> None:
    assert response.status_code < 500, f"{where} answered {response.status_code}"
    body = response.content.decode(errors="replace")
    leaked = [m for m in MARKERS if m in body]
    assert not leaked, f"{where} leaked {leaked} with status {response.status_code}"


def test_every_page_refuses_other_workspaces_and_anonymous_visitors(victim, attacker):
    ws, ids = victim
    _, client, _ = attacker
    anonymous = Client()
    before = _workspace_rows(ws.pk)
    routes = _page_routes()
    assert len(routes) >= 10, routes  # the walk found the app's pages
    checked = 0
    for route in routes:
        for url in _fill(route, ids, _victim_ints(ws.pk)):
            for who, c in (("member of another workspace", client), ("anonymous", anonymous)):
                for method in ("get", "post"):
                    response = getattr(c, method)(url)
                    _assert_no_leak(response, f"{method.upper()} {url} as {who}")
                    checked += 1
                    if "<workspace>" in route or "<slug:workspace>" in route:
                        assert response.status_code in (302, 404, 405), (
                            f"{method.upper()} {url} as {who}: {response.status_code}"
                        )
    assert _workspace_rows(ws.pk) == before
    assert checked > 40


def test_no_page_of_your_own_workspace_reaches_another_workspaces_objects(victim, attacker):
    ws, ids = victim
    admin, client, _ = attacker
    own = {**ids, "workspace": admin.workspace.slug}
    before = _workspace_rows(ws.pk)
    routes = [r for r in _page_routes() if "workspace>" in r and _object_params(r)]
    assert routes, "the walk found no workspace page that takes an object id"
    for route in routes:
        for url in _fill(route, own, _victim_ints(ws.pk)):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                _assert_no_leak(response, f"{method.upper()} {url} in the attacker's workspace")
                if method == "get":
                    assert response.status_code in (404, 405), (
                        f"GET {url} in the attacker's workspace: {response.status_code}"
                    )
    assert _workspace_rows(ws.pk) == before


def _api_operations(client: Client) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    ops = []
    for path, item in spec["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method, path))
    return ops


def test_every_api_operation_refuses_other_workspaces_and_anonymous_callers(victim, attacker):
    ws, ids = victim
    _, session_client, raw_token = attacker
    anonymous = Client()
    bearer = Client(headers={"Authorization": f"Bearer {raw_token}"})
    before = _workspace_rows(ws.pk)
    ops = _api_operations(anonymous)
    assert len(ops) >= 10, ops
    ints = _victim_ints(ws.pk)
    for method, path in ops:
        route = re.sub(r"\{(\w+)\}", lambda m: f"<{m.group(1)}>", path.removeprefix("/"))
        for url in _fill(route, ids, ints):
            calls = [
                ("bearer token of another workspace", bearer, {}),
                (
                    "token naming the victim workspace",
                    bearer,
                    {"HTTP_X_MERIDIAN_WORKSPACE": ws.slug},
                ),
                (
                    "session naming the victim workspace",
                    session_client,
                    {"HTTP_X_MERIDIAN_WORKSPACE": ws.slug},
                ),
                ("anonymous", anonymous, {}),
            ]
            for who, c, extra in calls:
                response = c.generic(
                    method.upper(),
                    url + f"?workspace={ws.slug}",
                    data=b"{}",
                    content_type="application/json",
                    **extra,
                )
                _assert_no_leak(response, f"{method.upper()} {url} as {who}")
                if who == "anonymous":
                    assert response.status_code == 401, (
                        f"{method.upper()} {url}: {response.status_code}"
                    )
    assert _workspace_rows(ws.pk) == before


def test_no_api_operation_of_your_own_workspace_reaches_another_workspaces_objects(
    victim, attacker
):
    ws, ids = victim
    _, session_client, raw_token = attacker
    bearer = Client(headers={"Authorization": f"Bearer {raw_token}"})
    before = _workspace_rows(ws.pk)
    ops = [(m, p) for m, p in _api_operations(Client()) if "{" in p]
    assert ops, "the OpenAPI document lists no operation that takes an object id"
    ints = _victim_ints(ws.pk)
    for method, path in ops:
        route = re.sub(r"\{(\w+)\}", lambda m: f"<{m.group(1)}>", path.removeprefix("/"))
        for url in _fill(route, ids, ints):
            for who, c in (("bearer token", bearer), ("session", session_client)):
                response = c.generic(
                    method.upper(), url, data=b"{}", content_type="application/json"
                )
                _assert_no_leak(response, f"{method.upper()} {url} by {who} of another workspace")
                if method == "get":
                    assert response.status_code == 404, (
                        f"GET {url} by {who} of another workspace: {response.status_code}"
                    )
    assert _workspace_rows(ws.pk) == before
