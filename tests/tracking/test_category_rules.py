"""The workspace's category rules: admins write them (services, the policy page, the API),
everyone reads them, bad patterns are refused naming the field, and the policy answer carries
them in the shape the agent reads."""

import pytest
from django.urls import reverse

from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.core.models import AuditEntry
from meridian.tracking.models import CategoryRule
from meridian.tracking.services import (
    category_rule_create,
    category_rule_delete,
    category_rule_move,
    category_rule_update,
)
from tests import factories
from tests.api.support import bearer, get, problem, send

pytestmark = pytest.mark.django_db


def order(workspace) -> list[tuple[int, str]]:
    return [
        (r.position, r.category)
        for r in CategoryRule.objects.filter(workspace=workspace).order_by("position")
    ]


def three(admin) -> list[CategoryRule]:
    return [
        category_rule_create(acting=admin, field="app", pattern="zoom|jitsi", category="Meetings"),
        category_rule_create(acting=admin, field="title", pattern=r"\.py\b", category="Coding"),
        category_rule_create(acting=admin, field="app", pattern="slack", category="Talk"),
    ]


# --- Services -----------------------------------------------------------------------------------


def test_admins_add_change_move_and_remove_rules_and_each_write_is_audited(workspace, admin):
    meet, code, talk = three(admin)
    assert order(workspace) == [(1, "Meetings"), (2, "Coding"), (3, "Talk")]
    category_rule_move(acting=admin, rule_id=talk.pk, position=1)
    assert order(workspace) == [(1, "Talk"), (2, "Meetings"), (3, "Coding")]
    category_rule_move(acting=admin, rule_id=talk.pk, position=99)  # beyond the end: last
    assert order(workspace) == [(1, "Meetings"), (2, "Coding"), (3, "Talk")]
    category_rule_update(
        acting=admin, rule_id=code.pk, field="app", pattern="code|vim", category="  Dev  "
    )
    code.refresh_from_db()
    assert (code.field, code.pattern, code.category) == ("app", "code|vim", "Dev")
    category_rule_delete(acting=admin, rule_id=meet.pk)
    assert order(workspace) == [(1, "Dev"), (2, "Talk")]
    inserted = category_rule_create(
        acting=admin, field="app", pattern="mail", category="Mail", position=1
    )
    assert inserted.position == 1 and order(workspace)[0] == (1, "Mail")
    actions = list(
        AuditEntry.objects.filter(action__startswith="tracking.category_rule.").values_list(
            "action", flat=True
        )
    )
    assert sorted(set(actions)) == [
        "tracking.category_rule.create",
        "tracking.category_rule.delete",
        "tracking.category_rule.move",
        "tracking.category_rule.update",
    ]
    update = AuditEntry.objects.get(action="tracking.category_rule.update")
    assert (
        update.data["before"]["pattern"] == r"\.py\b" and update.data["after"]["category"] == "Dev"
    )


@pytest.mark.parametrize(
    ("field", "pattern", "category", "bad"),
    [
        ("app", "(unclosed", "Coding", "pattern"),
        ("app", "(a+)+$", "Coding", "pattern"),
        ("app", "x" * 201, "Coding", "pattern"),
        ("app", "   ", "Coding", "pattern"),
        ("app", "code", "   ", "category"),
        ("app", "code", "C" * 101, "category"),
        ("window", "code", "Coding", "field"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_and_nothing_changes(
    workspace, admin, field, pattern, category, bad
):
    with pytest.raises(ValidationFailed) as caught:
        category_rule_create(acting=admin, field=field, pattern=pattern, category=category)
    assert bad in caught.value.errors
    assert not CategoryRule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="tracking.category_rule.").exists()


def test_members_cannot_write_rules_and_other_workspaces_rules_are_not_found(
    workspace, admin, member
):
    rule = category_rule_create(acting=admin, field="app", pattern="zoom", category="Meetings")
    with pytest.raises(PermissionDenied):
        category_rule_create(acting=member, field="app", pattern="x", category="X")
    with pytest.raises(PermissionDenied):
        category_rule_delete(acting=member, rule_id=rule.pk)
    stranger = factories.admin_of(factories.workspace(name="Elsewhere"))
    with pytest.raises(NotFound):
        category_rule_update(
            acting=stranger, rule_id=rule.pk, field="app", pattern="x", category="X"
        )
    with pytest.raises(NotFound):
        category_rule_delete(acting=stranger, rule_id=rule.pk)
    assert order(workspace) == [(1, "Meetings")]


# --- The policy page ----------------------------------------------------------------------------


def url(ws, name, **kwargs):
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def test_members_read_the_rules_on_the_policy_page_but_cannot_change_them(
    client, workspace, admin, member
):
    client.force_login(member.user)
    page = client.get(url(workspace, "tracking_policy")).content.decode()
    assert "built-in ones" in page and "Add the rule" not in page
    rule = category_rule_create(
        acting=admin, field="title", pattern="<b>standup</b>", category="<i>Meet</i>"
    )
    page = client.get(url(workspace, "tracking_policy")).content.decode()
    assert "&lt;b&gt;standup&lt;/b&gt;" in page and "&lt;i&gt;Meet&lt;/i&gt;" in page
    assert "<b>standup" not in page and "Remove" not in page
    new = {"new-field": "app", "new-pattern": "x", "new-category": "X"}
    assert client.post(url(workspace, "tracking_rule_new"), new).status_code == 403
    edit = url(workspace, "tracking_rule_delete", rule_id=rule.pk)
    assert client.post(edit).status_code == 403
    assert order(workspace) == [(1, "<i>Meet</i>")]


def test_admins_add_edit_move_and_remove_rules_from_the_page(client, workspace, admin):
    client.force_login(admin.user)
    new = {"new-field": "app", "new-pattern": "zoom|jitsi", "new-category": "Meetings"}
    response = client.post(url(workspace, "tracking_rule_new"), new)
    assert response.status_code == 302 and response["Location"].endswith("#rules-heading")
    new = {"new-field": "app", "new-pattern": "slack", "new-category": "Talk"}
    client.post(url(workspace, "tracking_rule_new"), new)
    meet, talk = CategoryRule.objects.order_by("position")
    page = client.get(url(workspace, "tracking_policy")).content.decode()
    assert "zoom|jitsi" in page and "Save rule 1" in page and "Add the rule" in page

    client.post(url(workspace, "tracking_rule_move", rule_id=talk.pk), {"position": "1"})
    assert order(workspace) == [(1, "Talk"), (2, "Meetings")]
    prefix = f"rule{meet.pk}"
    edit = {f"{prefix}-field": "title", f"{prefix}-pattern": "meet", f"{prefix}-category": "Calls"}
    assert (
        client.post(url(workspace, "tracking_rule_edit", rule_id=meet.pk), edit).status_code == 302
    )
    assert order(workspace) == [(1, "Talk"), (2, "Calls")]
    client.post(url(workspace, "tracking_rule_delete", rule_id=talk.pk))
    assert order(workspace) == [(1, "Calls")]


def test_a_bad_pattern_on_the_page_is_a_422_with_the_error_beside_the_field(
    client, workspace, admin
):
    client.force_login(admin.user)
    rule = category_rule_create(acting=admin, field="app", pattern="zoom", category="Meetings")
    bad = {"new-field": "app", "new-pattern": "(a+)+", "new-category": "Slow"}
    response = client.post(url(workspace, "tracking_rule_new"), bad)
    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_new-pattern_error"' in page and "repeats a repetition" in page
    prefix = f"rule{rule.pk}"
    bad = {f"{prefix}-field": "app", f"{prefix}-pattern": "[", f"{prefix}-category": "X"}
    response = client.post(url(workspace, "tracking_rule_edit", rule_id=rule.pk), bad)
    page = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{prefix}-pattern_error"' in page and "not a regular expression" in page
    assert order(workspace) == [(1, "Meetings")]
    assert CategoryRule.objects.get().pattern == "zoom"


def test_another_workspaces_rule_is_a_404_on_the_page(client, workspace, admin):
    rule = category_rule_create(acting=admin, field="app", pattern="zoom", category="Meetings")
    elsewhere = factories.workspace(name="Elsewhere")
    client.force_login(factories.admin_of(elsewhere).user)
    assert client.post(url(elsewhere, "tracking_rule_delete", rule_id=rule.pk)).status_code == 404
    assert CategoryRule.objects.filter(pk=rule.pk).exists()


# --- The API ------------------------------------------------------------------------------------


def test_the_api_lists_creates_changes_moves_and_deletes_rules(client, workspace, admin, member):
    auth = bearer(admin)
    made = send(
        client,
        "POST",
        "/activity/category-rules",
        {"field": "app", "pattern": "zoom", "category": "Meetings"},
        auth,
    )
    assert made.status_code == 201, made.content
    first = made.json()
    assert first == {
        "id": first["id"],
        "position": 1,
        "field": "app",
        "pattern": "zoom",
        "category": "Meetings",
    }
    second = send(
        client,
        "POST",
        "/activity/category-rules",
        {"field": "title", "pattern": "standup", "category": "Calls", "position": 1},
        auth,
    ).json()
    assert second["position"] == 1
    listed = get(client, "/activity/category-rules", bearer(member)).json()
    assert [(r["position"], r["category"]) for r in listed] == [(1, "Calls"), (2, "Meetings")]
    moved = send(
        client,
        "PATCH",
        f"/activity/category-rules/{first['id']}",
        {"category": "Video", "position": 1},
        auth,
    ).json()
    assert (moved["position"], moved["category"], moved["pattern"]) == (1, "Video", "zoom")
    gone = send(client, "DELETE", f"/activity/category-rules/{second['id']}", None, auth)
    assert gone.status_code == 204
    assert get(client, f"/activity/category-rules/{first['id']}", auth).json()["position"] == 1


def test_the_policy_answer_carries_the_rules_in_the_shape_the_agent_reads(
    client, workspace, admin, member
):
    auth = bearer(member)
    assert get(client, "/activity/policy", auth).json()["category_rules"] == []
    three(admin)
    rules = get(client, "/activity/policy", auth).json()["category_rules"]
    assert rules == [
        {"category": "Meetings", "field": "app", "pattern": "zoom|jitsi"},
        {"category": "Coding", "field": "title", "pattern": r"\.py\b"},
        {"category": "Talk", "field": "app", "pattern": "slack"},
    ]


def test_a_bad_regex_is_a_422_naming_the_field_and_nothing_changes(client, workspace, admin):
    auth = bearer(admin)
    for body, field in [
        ({"field": "app", "pattern": "(oops", "category": "X"}, "pattern"),
        ({"field": "app", "pattern": "(a*)*b", "category": "X"}, "pattern"),
        ({"field": "app", "pattern": "ok", "category": ""}, "category"),
        ({"field": "window", "pattern": "ok", "category": "X"}, "field"),
    ]:
        out = problem(send(client, "POST", "/activity/category-rules", body, auth), 422)
        assert any(key.split(".")[-1] == field for key in out["errors"]), out
    rule = category_rule_create(acting=admin, field="app", pattern="zoom", category="Meetings")
    out = problem(
        send(client, "PATCH", f"/activity/category-rules/{rule.pk}", {"pattern": "["}, auth), 422
    )
    assert "pattern" in out["errors"]
    assert order(workspace) == [(1, "Meetings")] and CategoryRule.objects.get().pattern == "zoom"


def test_members_get_403_and_other_workspaces_get_404_from_the_api(
    client, workspace, admin, member
):
    rule = category_rule_create(acting=admin, field="app", pattern="zoom", category="Meetings")
    body = {"field": "app", "pattern": "x", "category": "X"}
    problem(send(client, "POST", "/activity/category-rules", body, bearer(member)), 403)
    path = f"/activity/category-rules/{rule.pk}"
    problem(send(client, "PATCH", path, {"category": "Mine"}, bearer(member)), 403)
    problem(send(client, "DELETE", path, None, bearer(member)), 403)
    stranger = bearer(factories.admin_of(factories.workspace(name="Elsewhere")))
    problem(get(client, path, stranger), 404)
    problem(send(client, "PATCH", path, {"category": "Theirs"}, stranger), 404)
    problem(send(client, "DELETE", path, None, stranger), 404)
    assert get(client, "/activity/category-rules", stranger).json() == []
    assert order(workspace) == [(1, "Meetings")]
