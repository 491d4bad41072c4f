"""Nobody but its author sees a draft brief: every page and API operation, found by itself.

Like tests/test_tenancy.py, the routes come from Django's URL resolver and the OpenAPI
document, so a route added later is covered too. A colleague asked in the draft, an admin and
a guest of the same workspace call each route that takes only ids (filled with the draft's,
its recording's and its caption's) and each list: none answers with the draft's words, a
read of the draft or its recording by id is 404, and nothing of the draft changes.
"""

import json
import re

import pytest
from django.apps import apps
from django.test import Client

from meridian.briefs.services import Invitee, brief_create
from meridian.recordings.services import caption_add, recording_create_from_file
from meridian.workspaces.models import Role
from tests import factories
from tests.recordings.support import two_second_webm
from tests.test_tenancy import PARAM_RE, _api_operations, _page_routes

pytestmark = pytest.mark.django_db

MARKER = "Draftonly"
# Parameters naming the draft or something of it: a read by these is 404 for anyone else.
DRAFT_PARAMS = {"brief_id", "recording_id", "caption_id", "upload_id", "index"}
# The one deliberate exception: the audit log, the admins' record of who did what, names the
# objects written (a recording's file name), never their content (docs/user/briefs.md).
ADMIN_ONLY_RECORD = "audit/"


@pytest.fixture
def draft(workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    author = factories.member(workspace)
    colleague = factories.member(workspace)
    brief = brief_create(
        author=author,
        title=f"{MARKER} reorg plan",
        body=f"{MARKER} body text",
        questions=[f"{MARKER} question?"],
        participants=[Invitee(member_id=colleague.pk)],
        draft=True,
    )
    recording = recording_create_from_file(
        acting=author, brief=brief, path=two_second_webm(tmp_path), filename=f"{MARKER}.webm"
    )
    vtt = f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{MARKER} reorg narration\n".encode()
    caption = caption_add(acting=author, recording=recording, vtt=vtt, label=f"{MARKER} track")
    ids = {
        "workspace": workspace.slug,
        "brief_id": brief.pk,
        "recording_id": recording.pk,
        "caption_id": caption.pk,
        "index": 0,
    }
    others = {
        "colleague asked in it": colleague,
        "admin": factories.member(workspace, role=Role.ADMIN),
        "guest": factories.member(workspace, role=Role.GUEST),
    }
    return ids, others


def _draft_rows() -> dict[str, list[str]]:
    """Every row of the briefs' and recordings' tables, to show nothing of the draft changed."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in ("briefs", "recordings"):
            manager = getattr(model, "all_objects", model._default_manager)
            rows[model._meta.label] = sorted(
                json.dumps(r, sort_keys=True, default=str) for r in manager.values()
            )
    return rows


def _urls(route: str, ids: dict) -> list[str]:
    """The route filled with the draft's ids; [] when it takes a parameter that is not one."""
    url = route
    names = []
    for m in PARAM_RE.finditer(route):
        name = m.group("name") or m.group("rname")
        if name not in ids:
            return []
        names.append(name)
        url = url.replace(m.group(0), str(ids[name]), 1)
    return ["/" + url.replace("^", "").replace("$", "")]


def _no_marker(response, where: str) -> None:
    assert response.status_code < 500, f"{where} answered {response.status_code}"
    body = response.content.decode(errors="replace")
    assert MARKER not in body, f"{where} showed the draft (status {response.status_code})"


def test_no_page_shows_a_draft_to_anyone_but_its_author(draft):
    ids, others = draft
    before = _draft_rows()
    routes = [r for r in _page_routes() if "workspace>" in r]
    checked = 0
    for who, member in others.items():
        client = Client()
        client.force_login(member.user)
        for route in routes:
            if who == "admin" and route.endswith(ADMIN_ONLY_RECORD):
                continue
            for url in _urls(route, ids):
                params = {m.group("name") or m.group("rname") for m in PARAM_RE.finditer(route)}
                response = client.get(url, {"q": "reorg"})
                _no_marker(response, f"GET {url} as {who}")
                if params & DRAFT_PARAMS:
                    # (a guest's 403 comes from their role, before any object is looked at)
                    assert response.status_code in (403, 404, 405), (
                        f"GET {url} as {who}: {response.status_code}"
                    )
                    _no_marker(client.post(url), f"POST {url} as {who}")
                checked += 1
    assert checked > 100
    assert _draft_rows() == before


def test_no_api_operation_shows_a_draft_to_anyone_but_its_author(draft):
    ids, others = draft
    before = _draft_rows()
    ops = _api_operations(Client())
    checked = 0
    for who, member in others.items():
        client = Client(headers={"X-Meridian-Workspace": ids["workspace"]})
        client.force_login(member.user)
        for method, path in ops:
            route = re.sub(r"\{(\w+)\}", lambda m: f"<{m.group(1)}>", path.removeprefix("/"))
            params = {m.group("name") for m in PARAM_RE.finditer(route)}
            if who == "admin" and route.endswith(ADMIN_ONLY_RECORD.rstrip("/")):
                continue
            for url in _urls(route, ids):
                if method == "get":
                    response = client.get(url, {"q": "reorg"})
                    _no_marker(response, f"GET {url} as {who}")
                    if params & DRAFT_PARAMS:
                        assert response.status_code in (403, 404), f"GET {url} as {who}"
                    checked += 1
                elif params & DRAFT_PARAMS:
                    response = client.generic(
                        method.upper(), url, data=b"{}", content_type="application/json"
                    )
                    _no_marker(response, f"{method.upper()} {url} as {who}")
                    assert response.status_code in (401, 403, 404, 405, 422), (
                        f"{method.upper()} {url} as {who}: {response.status_code}"
                    )
    assert checked > 30
    assert _draft_rows() == before
