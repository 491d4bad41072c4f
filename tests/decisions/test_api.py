"""The decisions API: every operation, the blind rules in JSON, and the one error shape."""

from zoneinfo import ZoneInfo

import pytest

from meridian.briefs.models import BriefLink
from meridian.decisions.models import DecisionRecord, Proposal
from meridian.workspaces.services import team_create
from tests.api.support import API, bearer, get, problem, send
from tests.briefs.factories import brief, comment, next_week
from tests.decisions.factories import decided, ids, proposal, rank, vote

pytestmark = pytest.mark.django_db


def new(*members, **overrides) -> dict:
    body = {
        "title": "Which language for the worker?",
        "kind": "ranked",
        "options": [{"label": "Python"}, {"label": "Go"}, {"label": "Rust"}],
        "rule": "majority",
        "visibility": "blind",
        "participants": [{"member_id": m.pk} for m in members],
        "deadline_kind": "local_day",
        "deadline_date": next_week().isoformat(),
        "tags": ["backend"],
    }
    body.update(overrides)
    return body


def test_a_proposal_is_opened_read_and_listed(client, owner, ana):
    created = send(client, "POST", "/proposals", new(ana), bearer(owner))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "open" and data["rule_text"] == "Majority of votes cast."
    assert "Instant-runoff" in data["tie_break"] and len(data["seed"]) == 32
    assert {o["label"] for o in data["options"]} == {"Python", "Go", "Rust"}
    assert data["my_deadline"] is not None and data["can_vote"] is True

    listed = get(client, "/proposals?scope=to_answer", bearer(ana)).json()
    assert [p["id"] for p in listed["items"]] == [data["id"]]
    assert listed["items"][0]["participant_count"] == 2


def test_the_api_hides_other_stances_of_a_blind_proposal_until_you_have_voted(
    client, owner, ana, bikram
):
    p = proposal(owner, [ana, bikram], kind="ranked", visibility="blind")
    rank(bikram, p, "Rust", "Go")
    headers = bearer(ana)

    hidden = get(client, f"/proposals/{p.pk}", headers).json()
    assert hidden["stances"] == [] and hidden["tally"] is None
    assert hidden["hidden"].startswith("Blind:")
    assert hidden["took_part"] == 1  # turnout is public; positions are not

    answer = send(client, "POST", f"/proposals/{p.pk}/stance", {"ranking": ids(p, "Go")}, headers)
    assert answer.status_code == 200 and answer.json()["stance"]["stance"] == "1. Go"

    shown = get(client, f"/proposals/{p.pk}", headers).json()
    assert {s["member"]["id"] for s in shown["stances"]} == {ana.pk, bikram.pk}
    assert shown["tally"]["ballots"] == 2 and shown["hidden"] == ""


def test_blind_comments_stay_hidden_in_the_api_until_you_have_voted(client, owner, ana, bikram):
    p = proposal(owner, [ana, bikram], visibility="blind")
    send(client, "POST", f"/proposals/{p.pk}/comments", {"body": "I have doubts"}, bearer(bikram))
    headers = bearer(ana)
    assert get(client, f"/proposals/{p.pk}/comments", headers).json() == []
    vote(ana, p, position="agree")
    assert [c["body"] for c in get(client, f"/proposals/{p.pk}/comments", headers).json()] == [
        "I have doubts"
    ]


def test_bad_stances_answer_with_the_status_the_issue_names(client, owner, ana, carmen):
    p = proposal(owner, [ana], kind="ranked")
    rust = ids(p, "Rust")[0]
    path = f"/proposals/{p.pk}/stance"
    headers = bearer(ana)

    duplicate = problem(send(client, "POST", path, {"ranking": [rust, rust]}, headers), 422)
    assert duplicate["errors"] == {"ranking": ["“Rust” is ranked more than once."]}
    unknown = problem(send(client, "POST", path, {"ranking": [999999]}, headers), 422)
    assert unknown["detail"] == "Option 999999 is not one of this proposal's options."
    problem(send(client, "POST", path, {"ranking": [rust]}, bearer(carmen)), 404)

    send(client, "POST", path, {"ranking": [rust]}, headers)
    rule = problem(
        send(client, "PATCH", f"/proposals/{p.pk}", {"rule": "owner_decides"}, bearer(owner)), 409
    )
    assert rule["detail"].startswith("The decision rule cannot change once the first stance is in")

    send(client, "POST", f"/proposals/{p.pk}/close", {"reason": "Done"}, bearer(owner))
    late = problem(send(client, "POST", path, {"ranking": [rust]}, headers), 409)
    p.refresh_from_db()
    local = p.closed_at.astimezone(ZoneInfo("America/New_York"))  # Ana's own zone
    assert f"{local:%Y-%m-%d %H:%M} America/New_York" in late["detail"]


def test_dots_over_budget_scores_out_of_range_and_missing_reasons(client, owner, ana):
    dots = proposal(owner, [ana], kind="dot", dot_budget=5, title="Dots")
    go = ids(dots, "Go")[0]
    over = problem(
        send(client, "POST", f"/proposals/{dots.pk}/stance", {"dots": {str(go): 6}}, bearer(ana)),
        422,
    )
    assert over["errors"] == {"dots": ["6 points were given, but the budget is 5."]}

    scores = proposal(owner, [ana], kind="score", score_max=3, title="Scores")
    go = ids(scores, "Go")[0]
    out = problem(
        send(
            client, "POST", f"/proposals/{scores.pk}/stance", {"scores": {str(go): 4}}, bearer(ana)
        ),
        422,
    )
    assert "from 0 to 3" in out["errors"]["scores"][0]

    consent = proposal(owner, [ana], title="Consent")
    blocked = problem(
        send(client, "POST", f"/proposals/{consent.pk}/stance", {"position": "block"}, bearer(ana)),
        422,
    )
    assert blocked["errors"] == {"reason": ["Give a reason to block."]}


def test_anonymous_stances_are_final_and_never_returned(client, owner, ana):
    p = proposal(owner, [ana], kind="single", anonymous=True)
    path = f"/proposals/{p.pk}/stance"
    first = send(client, "POST", path, {"choice": ids(p, "Go")[0]}, bearer(ana))
    assert first.json() == {**first.json(), "anonymous": True, "stance": None}
    again = problem(send(client, "POST", path, {"choice": ids(p, "Rust")[0]}, bearer(ana)), 409)
    assert "final once cast" in again["detail"]
    seen = get(client, f"/proposals/{p.pk}", bearer(ana)).json()
    assert seen["my_stance"] is None and seen["responded"] is True and seen["can_vote"] is False
    assert seen["tally"] is None  # an anonymous tally waits for the close


def test_close_outcome_record_and_exports(client, owner, ana):
    b = brief(owner, [ana], title="Languages")
    p = proposal(owner, [ana], kind="ranked", brief=b, rule="majority")
    rank(ana, p, "Go", "Rust")
    headers = bearer(owner)
    early = problem(
        send(
            client,
            "POST",
            f"/proposals/{p.pk}/outcome",
            {"statement": "x", "rationale": "y"},
            headers,
        ),
        409,
    )
    assert early["detail"] == "Close the proposal before writing its outcome."
    closed = send(
        client, "POST", f"/proposals/{p.pk}/close", {"reason": "Everyone voted"}, headers
    ).json()
    assert closed["status"] == "closed" and closed["verdict"]["outcome"] == "passed"

    made = send(
        client,
        "POST",
        f"/proposals/{p.pk}/outcome",
        {"statement": "Go.", "rationale": "It won.", "review_date": "2099-01-01"},
        headers,
    )
    assert made.status_code == 201
    record = made.json()
    assert record["adr_id"] == "ADR-0001" and record["status"] == "in_force"
    assert record["tally"]["irv"]["rounds"][0]["number"] == 1
    assert BriefLink.objects.filter(brief=b, target="decision", target_id=record["id"]).exists()

    assert get(client, f"/decisions/{record['id']}", bearer(ana)).json()["statement"] == "Go."
    md = client.get(f"{API}/decisions/{record['id']}/export.md", headers=bearer(ana))
    assert md["Content-Type"].startswith("text/markdown") and md.content.startswith(b"# ADR-0001")
    js = client.get(f"{API}/decisions/{record['id']}/export.json", headers=bearer(ana))
    assert js.json()["id"] == record["id"]


def test_the_log_filters_and_paginates(client, owner, ana):
    team_create(acting=owner, name="Platform")
    first = decided(proposal(owner, [ana], title="One", teams=["platform"], tags=["x"]))
    decided(proposal(owner, [ana], title="Two"), supersedes=first)
    headers = bearer(ana)

    def titles(query: str) -> list[str]:
        return [r["title"] for r in get(client, f"/decisions{query}", headers).json()["items"]]

    assert titles("") == ["Two", "One"]
    assert titles("?team=platform") == ["One"]
    assert titles("?tag=x") == ["One"]
    assert titles("?status=superseded") == ["One"]
    assert titles(f"?participant={ana.pk}&decided_from=2000-01-01") == ["Two", "One"]
    page = get(client, "/decisions?limit=1", headers).json()
    assert len(page["items"]) == 1 and page["next"]
    bad = problem(get(client, "/decisions?decided_from=yesterday", headers), 422)
    assert bad["errors"] == {"decided_from": ["“yesterday” is not a date (YYYY-MM-DD)."]}


def test_from_a_brief_its_comments_become_options(client, owner, ana):
    b = brief(owner, [ana], title="Offsite")
    one = comment(b, ana, "Lisbon")
    two = comment(b, ana, "Tallinn")
    body = new(ana, kind="single", options=[], brief_id=b.pk, option_comment_ids=[one.pk, two.pk])
    made = send(client, "POST", "/proposals", body, bearer(owner))
    assert made.status_code == 201, made.content
    assert sorted(o["label"] for o in made.json()["options"]) == ["Lisbon", "Tallinn"]
    other = brief(owner, [ana], title="Other")
    stray = comment(other, ana, "Stray")
    refused = problem(
        send(
            client, "POST", "/proposals", {**body, "option_comment_ids": [stray.pk]}, bearer(owner)
        ),
        422,
    )
    assert "is not on the brief “Offsite”" in refused["errors"]["option_comment_ids"][0]


def test_fairness_is_for_the_owner(client, owner, ana):
    p = proposal(owner, [ana], visibility="open")
    vote(ana, p, position="agree")
    figures = get(client, f"/proposals/{p.pk}/fairness", bearer(owner)).json()
    assert figures["participants"] == 2 and figures["took_part"] == 1
    assert figures["participation_rate"] == 0.5 and figures["comment_gini"] == 0.0
    problem(get(client, f"/proposals/{p.pk}/fairness", bearer(ana)), 403)


def test_pins_and_start_here(client, owner, ana):
    team_create(acting=owner, name="Platform")
    record = decided(proposal(owner, [ana], teams=["platform"]))
    pin = send(
        client,
        "POST",
        "/pins",
        {"team": "platform", "record_id": record.pk, "note": "Read first"},
        bearer(ana),
    )
    assert pin.status_code == 201 and pin.json()["team"] == "platform"
    items = get(client, "/teams/platform/start-here", bearer(ana)).json()
    assert items[0]["id"] == record.pk and items[0]["pinned"] and items[0]["note"] == "Read first"
    assert items[0]["url"] == record.get_absolute_url()
    assert send(client, "DELETE", f"/pins/{pin.json()['id']}", None, bearer(ana)).status_code == 204
    problem(
        send(client, "POST", "/pins", {"team": "nope", "record_id": record.pk}, bearer(ana)), 422
    )


def test_drafts_are_invisible_to_others_and_opened_by_their_owner(client, owner, ana):
    made = send(client, "POST", "/proposals", new(ana, open=False), bearer(owner)).json()
    assert made["status"] == "draft"
    problem(get(client, f"/proposals/{made['id']}", bearer(ana)), 404)
    opened = send(client, "POST", f"/proposals/{made['id']}/open", None, bearer(owner)).json()
    assert opened["status"] == "open"
    assert Proposal.objects.get().is_open and not DecisionRecord.objects.exists()


def test_the_openapi_document_describes_every_decisions_operation(client):
    spec = client.get(f"{API}/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/proposals",
        "/api/v1/proposals/{proposal_id}",
        "/api/v1/proposals/{proposal_id}/stance",
        "/api/v1/proposals/{proposal_id}/close",
        "/api/v1/proposals/{proposal_id}/outcome",
        "/api/v1/proposals/{proposal_id}/comments",
        "/api/v1/proposals/{proposal_id}/fairness",
        "/api/v1/decisions",
        "/api/v1/decisions/{record_id}",
        "/api/v1/decisions/{record_id}/export.md",
        "/api/v1/decisions/{record_id}/export.json",
        "/api/v1/teams/{team}/start-here",
        "/api/v1/pins",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/decisions/{record_id}"]) == {"get"}
    stance = paths["/api/v1/proposals/{proposal_id}/stance"]["post"]
    assert {"404", "409", "422"} <= set(stance["responses"])
    assert all(
        op.get("description") or op.get("summary")
        for item in paths.values()
        for op in item.values()
    )
