"""The decisions pages through Django's test client: forms, blind pages, htmx, exports, queries."""

import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.services import brief_close
from meridian.decisions.models import DecisionRecord, Option, Pin, Proposal, ProposalStatus
from meridian.decisions.services import pin_add, proposal_close, proposal_comment_add
from meridian.workspaces.services import team_add_member, team_create
from tests.briefs.factories import brief, comment, next_week
from tests.decisions.factories import decided, ids, proposal, rank, vote

pytestmark = pytest.mark.django_db


def signed_in(client, membership):
    client.force_login(membership.user)
    return client


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


def page_of(p: Proposal) -> str:
    return url("proposal_detail", p.workspace, proposal_id=p.pk)


def text(response) -> str:
    return response.content.decode()


def new_proposal_post(*members, **overrides) -> dict:
    data = {
        "title": "Which CI provider?",
        "body": "We outgrew the current one.",
        "kind": "single",
        "options": "GitHub Actions\nBuildkite\nWoodpecker",
        "rule": "majority",
        "visibility": "blind",
        "participants": [f"member:{m.pk}" for m in members],
        "tags": "tooling, ci",
        "deadline_kind": "local_day",
        "deadline_date": next_week().isoformat(),
        "open": "1",
    }
    data.update(overrides)
    return data


# --- Access and the list -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, owner, ana):
    target = page_of(proposal(owner, [ana]))
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={target}"


def test_the_nav_links_to_decisions(client, owner):
    response = signed_in(client, owner).get(url("proposal_list", owner.workspace))
    assert 'aria-current="page">Decisions</a>' in text(response)


def test_the_list_shows_turnout_and_its_htmx_partial_in_constant_queries(
    client, owner, ana, bikram
):
    first = proposal(owner, [ana, bikram], title="First question")
    vote(ana, first, position="agree")
    signed_in(client, owner)
    target = url("proposal_list", owner.workspace)
    with CaptureQueriesContext(connection) as few:
        client.get(target)
    for n in range(5):
        proposal(owner, [ana], title=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(target)
    assert len(many) == len(few)
    assert "First question" in text(response) and "1 of 3" in text(response)

    partial = client.get(target + "?status=open", headers={"HX-Request": "true"})
    assert text(partial).lstrip().startswith('<div id="proposal-list"')


def test_drafts_are_listed_only_for_their_owner(client, owner, ana):
    proposal(owner, [ana], title="Secret draft", open_now=False)
    assert "Secret draft" in text(
        signed_in(client, owner).get(url("proposal_list", owner.workspace))
    )
    assert "Secret draft" not in text(
        signed_in(client, ana).get(url("proposal_list", owner.workspace))
    )


# --- Writing a proposal --------------------------------------------------------------------------


def test_a_new_proposal_form_sent_twice_opens_one_proposal_and_asks_once(
    client, owner, ana, sent_mail
):
    signed_in(client, owner)
    form = text(client.get(url("proposal_new", owner.workspace)))
    key = re.search(r'name="submission_key" value="([^"]+)"', form)
    assert key is not None
    data = new_proposal_post(ana, submission_key=key.group(1))
    with sent_mail.capture():
        first = client.post(url("proposal_new", owner.workspace), data)
    with sent_mail.capture():
        again = client.post(url("proposal_new", owner.workspace), data)

    p = Proposal.objects.get()
    assert first["Location"] == again["Location"] == page_of(p) and again.status_code == 303
    assert sent_mail.to() == [ana.user.email]


def test_a_new_proposal_opens_and_everyone_is_asked(client, owner, ana, bikram, sent_mail):
    signed_in(client, owner)
    with sent_mail.capture():
        response = client.post(url("proposal_new", owner.workspace), new_proposal_post(ana, bikram))

    p = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == page_of(p)
    assert p.is_open and p.kind == "single" and p.rule == "majority"
    assert list(p.options.values_list("label", flat=True)) == [
        "GitHub Actions",
        "Buildkite",
        "Woodpecker",
    ]
    assert sent_mail.to() == sorted([ana.user.email, bikram.user.email])


def test_bad_input_comes_back_with_each_problem_beside_its_field(client, owner, ana):
    signed_in(client, owner)
    response = client.post(
        url("proposal_new", owner.workspace),
        new_proposal_post(ana, options="Only one", rule="no_blocks"),
    )
    assert response.status_code == 422
    page = text(response)
    assert "Give at least 2 options." in page
    assert "does not apply to a single choice proposal" in page
    assert not Proposal.objects.exists()


def test_a_draft_can_be_saved_then_opened(client, owner, ana):
    signed_in(client, owner)
    data = new_proposal_post(ana)
    del data["open"]
    data["draft"] = "1"
    client.post(url("proposal_new", owner.workspace), data)
    p = Proposal.objects.get()
    assert p.status == ProposalStatus.DRAFT
    client.post(url("proposal_open", owner.workspace, proposal_id=p.pk))
    assert Proposal.objects.get().is_open


def test_a_brief_turns_into_a_proposal_whose_options_come_from_its_comments(
    client, owner, ana, bikram
):
    b = brief(owner, [ana, bikram], title="Where do we meet?")
    lisbon = comment(b, ana, "Lisbon, because flights are cheap")
    tallinn = comment(b, bikram, "Tallinn")
    comment(b, bikram, "Just a remark, not an option")
    signed_in(client, owner)
    form = client.get(url("proposal_new", owner.workspace) + f"?brief={b.pk}")
    page = text(form)
    assert 'type="checkbox" name="from_comments"' in page
    assert "Lisbon, because flights are cheap" in page
    assert 'value="Where do we meet?"' in page  # the title is the brief's

    data = new_proposal_post(ana, bikram, options="", from_comments=[lisbon.pk, tallinn.pk])
    response = client.post(url("proposal_new", owner.workspace) + f"?brief={b.pk}", data)

    p = Proposal.objects.get()
    assert response.status_code == 302 and p.brief == b
    assert list(p.options.values_list("label", "source_comment")) == [
        ("Lisbon, because flights are cheap", lisbon.pk),
        ("Tallinn", tallinn.pk),
    ]


def test_a_brief_turned_into_a_proposal_asks_its_required_people_not_its_optional_ones(
    client, owner, ana, bikram
):
    b = brief(owner, [ana], optional=[bikram], title="Where do we meet?")
    signed_in(client, owner)
    page = text(client.get(url("proposal_new", owner.workspace) + f"?brief={b.pk}"))
    chosen = re.findall(r'<option value="(member:\d+)"[^>]*selected', page)
    assert chosen == [f"member:{ana.pk}"]  # the owner is always asked, without choosing


def test_a_closed_brief_no_longer_offers_to_become_a_proposal(client, owner, ana):
    b = brief(owner, [ana], title="Where do we meet?")
    brief_close(acting=owner, brief=b, summary="Lisbon it is.")
    signed_in(client, owner)
    brief_page = reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    assert "Turn into a proposal" not in text(client.get(brief_page))

    response = client.post(
        url("proposal_new", owner.workspace) + f"?brief={b.pk}", new_proposal_post(ana)
    )
    assert response.status_code == 302 and response["Location"] == brief_page
    assert "This brief is closed" in text(client.get(brief_page))
    assert not Proposal.objects.exists()


# --- The proposal page: blind, hidden, anonymous, per-viewer order ----------------------------------


def test_blind_proposal_hides_other_stances_until_the_viewer_has_given_theirs(
    client, owner, ana, bikram
):
    p = proposal(owner, [ana, bikram], visibility="blind")
    vote(bikram, p, position="object", reason="Support would be uncovered on Fridays")
    proposal_comment_add(acting=bikram, proposal=p, body="Fridays worry me a lot")
    signed_in(client, ana)

    before = text(client.get(page_of(p)))
    assert "uncovered on Fridays" not in before and "Fridays worry me" not in before
    assert "Others' stances are not shown to you yet." in before
    assert "1 comment by others is hidden" in before

    client.post(url("proposal_stance", p.workspace, proposal_id=p.pk), {"position": "agree"})

    after = text(client.get(page_of(p)))
    assert "Support would be uncovered on Fridays" in after
    assert "Fridays worry me a lot" in after


def test_hidden_until_close_hides_the_tally_from_the_owner_too(client, owner, ana):
    p = proposal(owner, [ana], kind="single", visibility="hidden_until_close")
    vote(ana, p, choice=ids(p, "Rust")[0])
    vote(owner, p, choice=ids(p, "Go")[0])
    page = text(signed_in(client, owner).get(page_of(p)))
    assert "The tally is not shown to you yet." in page and "Leading" not in page
    proposal_close(acting=owner, proposal=p, reason="Enough")
    assert "Result" in text(client.get(page_of(p)))


def test_options_come_in_an_order_of_the_viewers_own_stable_across_visits(client, workspace, owner):
    from tests.briefs.factories import person

    people = [person(workspace) for _ in range(6)]
    labels = [f"Option {n}" for n in range(8)]
    p = proposal(owner, people, kind="single", options=labels)

    def order(member) -> list[str]:
        page = text(signed_in(client, member).get(page_of(p)))
        return re.findall(r'<label for="s-choice_\d+">(Option \d)</label>', page)

    orders = {m.pk: order(m) for m in people}
    assert all(sorted(o) == labels for o in orders.values())
    assert order(people[0]) == orders[people[0].pk]
    assert len({tuple(o) for o in orders.values()}) > 1


def test_a_ranking_with_a_duplicate_comes_back_naming_the_option(client, owner, ana):
    p = proposal(owner, [ana], kind="ranked")
    rust, go = ids(p, "Rust", "Go")
    response = signed_in(client, ana).post(
        url("proposal_stance", p.workspace, proposal_id=p.pk),
        {"rank_1": str(rust), "rank_2": str(go), "rank_3": str(rust)},
    )
    assert response.status_code == 422
    assert "“Rust” is ranked more than once." in text(response)


def test_the_dot_vote_form_states_the_budget_and_loads_its_module(client, owner, ana):
    p = proposal(owner, [ana], kind="dot", dot_budget=12)
    page = text(signed_in(client, ana).get(page_of(p)))
    assert "budget of <strong>12 points</strong>" in page
    assert 'data-budget="12"' in page and "meridian/ballot.js" in page
    response = client.post(
        url("proposal_stance", p.workspace, proposal_id=p.pk),
        {f"dot_{i}": "5" for i in ids(p, "Python", "Rust", "Go")},
    )
    assert response.status_code == 422 and "15 points were given, but the budget is 12." in text(
        response
    )


def test_a_stance_after_close_is_refused_with_the_close_time(client, owner, ana):
    p = proposal(owner, [ana])
    closed = proposal_close(acting=owner, proposal=p, reason="Done")
    response = signed_in(client, ana).post(
        url("proposal_stance", p.workspace, proposal_id=p.pk), {"position": "agree"}, follow=True
    )
    local = closed.closed_at.astimezone(ZoneInfo("America/New_York"))  # Ana's own zone
    assert f"closed on {local:%Y-%m-%d %H:%M} America/New_York" in text(response)


def test_the_owner_sees_the_fairness_figures_and_others_do_not(client, owner, ana, bikram):
    p = proposal(owner, [ana, bikram], visibility="open")
    vote(ana, p, position="agree")
    vote(bikram, p, position="agree")
    vote(ana, p, position="object", reason="Bikram convinced me otherwise")
    proposal_comment_add(acting=ana, proposal=p, body="One")
    proposal_comment_add(acting=ana, proposal=p, body="Two")
    owner_page = text(signed_in(client, owner).get(page_of(p)))
    assert "Fairness" in owner_page and "67%" in owner_page
    assert re.search(r"after others were visible</dt><dd>1 ", owner_page)
    assert "Fairness" not in text(signed_in(client, ana).get(page_of(p)))


def test_commenting_with_htmx_returns_the_discussion(client, owner, ana):
    p = proposal(owner, [ana], visibility="open")
    response = signed_in(client, ana).post(
        url("proposal_comment_new", p.workspace, proposal_id=p.pk),
        {"body": "Let's try it for a quarter."},
        headers={"HX-Request": "true"},
    )
    assert text(response).lstrip().startswith('<section id="discussion"')
    assert "try it for a quarter" in text(response)


# --- Closing, the outcome and the record --------------------------------------------------------------


def test_the_owner_closes_writes_the_outcome_and_lands_on_the_record(client, owner, ana):
    p = proposal(owner, [ana], kind="ranked", rule="majority")
    rank(ana, p, "Go", "Rust")
    signed_in(client, owner)
    closing = client.post(
        url("proposal_close", p.workspace, proposal_id=p.pk), {"reason": "All in"}
    )
    assert closing["Location"] == url("proposal_outcome", p.workspace, proposal_id=p.pk)

    missing = client.post(
        url("proposal_outcome", p.workspace, proposal_id=p.pk), {"statement": "Go"}
    )
    assert missing.status_code == 422 and "Why" in text(missing)

    done = client.post(
        url("proposal_outcome", p.workspace, proposal_id=p.pk),
        {"statement": "We use Go.", "rationale": "It won the count.", "expected_effect": "Faster"},
    )
    record = DecisionRecord.objects.get()
    assert done["Location"] == record.get_absolute_url()
    page = text(client.get(record.get_absolute_url()))
    assert "ADR-0001" in page and "We use Go." in page and "Instant-runoff, round by round" in page


def test_a_superseded_record_shows_what_superseded_it(client, owner, ana):
    old = decided(proposal(owner, [ana], title="Office in Lisbon"))
    new = decided(proposal(owner, [ana], title="Fully remote"), supersedes=old)
    page = text(signed_in(client, ana).get(old.get_absolute_url()))
    assert f'Superseded by <a href="{new.get_absolute_url()}">ADR-0002: Fully remote</a>' in page
    assert "supersedes <a" in text(client.get(new.get_absolute_url()))


def test_a_record_exports_as_an_adr_and_as_json(client, owner, ana):
    p = proposal(owner, [ana], kind="ranked", tags=["backend"])
    rank(ana, p, "Go")
    record = decided(
        p, statement="We use Go.", rationale="It won.", expected_effect="Faster builds"
    )
    signed_in(client, ana)
    md = client.get(url("decision_record_markdown", p.workspace, record_id=record.pk))
    assert md["Content-Type"].startswith("text/markdown")
    body = md.content.decode()
    assert body.startswith(f"# ADR-0001: {p.title}\n")
    for heading in (
        "## Context",
        "## Decision",
        "## Rationale",
        "## Consequences",
        "Instant-runoff rounds:",
    ):
        assert heading in body
    assert "- Status: Accepted" in body and "Expected effect: Faster builds" in body

    exported = json.loads(
        client.get(url("decision_record_json", p.workspace, record_id=record.pk)).content
    )
    assert exported["adr_id"] == "ADR-0001" and exported["status"] == "in_force"
    assert exported["tally"]["irv"]["winner"] == str(ids(p, "Go")[0])


# --- The decision log and start here ------------------------------------------------------------------


def test_the_log_filters_by_team_tag_status_and_participant(client, owner, ana, bikram):
    team = team_create(acting=owner, name="Platform")
    team_add_member(acting=owner, team=team, member=ana)
    a = decided(proposal(owner, [ana], title="Alpha decision", teams=["platform"], tags=["infra"]))
    decided(proposal(owner, [bikram], title="Beta decision"), supersedes=a)
    signed_in(client, owner)
    log = url("decision_log", owner.workspace)

    def titles(query: str) -> list[str]:
        return re.findall(r"</span> (\w+ decision)</a>", text(client.get(log + query)))

    assert titles("") == ["Beta decision", "Alpha decision"]
    assert titles("?team=platform") == ["Alpha decision"]
    assert titles("?tag=infra") == ["Alpha decision"]
    assert titles("?status=in_force") == ["Beta decision"]
    assert titles("?status=superseded") == ["Alpha decision"]
    assert titles(f"?participant={bikram.pk}") == ["Beta decision"]
    assert titles("?from=2000-01-01&to=2000-12-31") == []
    partial = client.get(log + "?tag=infra", headers={"HX-Request": "true"})
    assert text(partial).lstrip().startswith('<div id="record-list"')


def test_start_here_lists_pinned_and_linked_items_oldest_first(client, owner, ana):
    team = team_create(acting=owner, name="Platform")
    first = decided(proposal(owner, [ana], title="Foundations first", teams=["platform"]))
    second = decided(proposal(owner, [ana], title="Later decision", teams=["platform"]))
    b = brief(owner, [ana], title="A pinned brief")
    pin_add(acting=owner, team=team, brief=b, note="Read this on day one")
    pin_add(acting=owner, team=team, record=second)
    page = text(
        signed_in(client, ana).get(url("decision_start_here", owner.workspace, team="platform"))
    )
    assert (
        page.index("Foundations first")
        < page.index("Later decision")
        < page.index("A pinned brief")
    )
    assert "Read this on day one" in page
    assert first.adr_id in page


def test_pinning_from_the_record_page(client, owner, ana):
    team_create(acting=owner, name="Platform")
    record = decided(proposal(owner, [ana]))
    signed_in(client, ana)
    response = client.post(
        url("decision_record_pin", owner.workspace, record_id=record.pk),
        {"team": "platform", "note": ""},
    )
    assert response.status_code == 302
    assert record.pins.get().team.slug == "platform"


def test_a_refused_brief_pin_leaves_its_key_free_so_the_corrected_resend_pins(client, owner, ana):
    team_create(acting=owner, name="Platform")
    b = brief(owner, [ana], title="A pinned brief")
    signed_in(client, owner)
    pin = url("decision_brief_pin", owner.workspace, team="platform")

    refused = client.post(pin, {"brief": "", "submission_key": "pin-key-00000001"})
    fixed = client.post(pin, {"brief": str(b.pk), "submission_key": "pin-key-00000001"})
    again = client.post(pin, {"brief": str(b.pk), "submission_key": "pin-key-00000001"})

    assert refused.status_code == 302 and fixed.status_code == 302
    assert again.status_code == 303  # a true repeat goes to the first result
    assert Pin.objects.filter(brief=b).count() == 1


def test_option_rows_are_not_rewritten_by_viewing(client, owner, ana):
    p = proposal(owner, [ana], kind="single")
    before = list(Option.objects.values_list("pk", "position"))
    signed_in(client, ana).get(page_of(p))
    assert list(Option.objects.values_list("pk", "position")) == before


def test_a_briefs_page_offers_to_turn_it_into_a_proposal_and_links_its_decision(client, owner, ana):
    b = brief(owner, [ana], title="Where do we meet?")
    signed_in(client, ana)
    brief_page = reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    assert f"{url('proposal_new', b.workspace)}?brief={b.pk}" in text(client.get(brief_page))

    record = decided(proposal(owner, [ana], brief=b))
    label = f"{record.adr_id} {record.title}"
    assert f'href="{record.get_absolute_url()}">{label}</a>' in text(client.get(brief_page))


def test_the_proposal_page_reads_in_constant_queries_however_many_stances(client, workspace, owner):
    from tests.briefs.factories import person

    people = [person(workspace) for _ in range(12)]
    p = proposal(owner, people, kind="ranked", visibility="open")
    signed_in(client, owner)
    rank(people[0], p, "Go")
    proposal_comment_add(acting=people[0], proposal=p, body="First")
    with CaptureQueriesContext(connection) as few:
        client.get(page_of(p))
    for member in people[1:]:
        rank(member, p, "Rust", "Go")
        proposal_comment_add(acting=member, proposal=p, body="More")
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_of(p))
    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_owner_changes_the_proposal_until_the_first_stance_then_it_is_fixed(client, owner, ana):
    p = proposal(owner, [ana], kind="single", rule="owner_decides")
    signed_in(client, owner)
    edit = url("proposal_edit", p.workspace, proposal_id=p.pk)
    form = text(client.get(edit))
    assert "Python\nRust\nGo" in form
    data = new_proposal_post(ana, title="Which language, really?", options="Python\nRust\nGo\nZig")
    del data["open"]
    assert client.post(edit, data).status_code == 302
    p.refresh_from_db()
    assert p.title == "Which language, really?" and p.options.count() == 4 and p.rule == "majority"

    vote(ana, p, choice=ids(p, "Zig")[0])
    refused = client.post(edit, {**data, "rule": "owner_decides"}, follow=True)
    assert "The decision rule cannot change once the first stance is in" in text(refused)
    p.refresh_from_db()
    assert p.rule == "majority"


def test_a_large_proposal_lists_its_first_people_and_shows_all_on_request(client, workspace, owner):
    from meridian.decisions import selectors
    from tests.briefs.factories import person

    limit = selectors.PAGE_LIST_LIMIT
    people = [person(workspace) for _ in range(limit + 4)]
    p = proposal(owner, people, kind="consent", visibility="open")
    for member in people:
        vote(member, p, position="agree")
    vote(people[-1], p, position="object", reason="Not before the audit.")
    # The viewer sorts last by name, beyond the first rows, and still sees their own stance.
    last = max(people, key=lambda m: m.profile.display_name)
    signed_in(client, last)
    first = text(client.get(page_of(p)))
    assert f"Show all {limit + 5} participants" in first
    assert f"Show all {limit + 4} stances" in first
    assert "You said: <strong>Agree</strong>" in first or "You said: <strong>Object" in first
    assert f"{limit + 4} valid stances" in first  # the tally counts everyone, not the first rows
    # Stances with a reason come first, so the objection is on the first page.
    assert "Not before the audit." in first.split('id="stances"')[1].split("Show all")[0]
    # The link names the page, so it works from a page re-shown after a refused stance too.
    assert f'href="{page_of(p)}?all=1#stances"' in first
    everyone = text(client.get(page_of(p) + "?all=1"))
    assert "Show all" not in everyone
    assert everyone.count('<span class="badge ok">Took part</span>') == limit + 4


def test_the_running_tally_follows_every_changed_stance(client, workspace, owner, ana, bikram):
    p = proposal(owner, [ana, bikram], kind="consent", visibility="open")
    signed_in(client, owner)
    vote(ana, p, position="agree")
    vote(bikram, p, position="agree")
    assert "2 valid stances" in text(client.get(page_of(p)))
    vote(bikram, p, position="block", reason="Legal has not seen it.")
    page = text(client.get(page_of(p)))
    assert "Legal has not seen it." in page.split('id="tally"')[1].split("</section>")[0]


def test_a_record_from_a_brief_lists_the_briefs_files_and_they_download(
    client, settings, tmp_path, owner, ana
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from meridian.briefs.services import file_link_add

    settings.MEDIA_ROOT = tmp_path / "media"
    b = brief(owner, [ana], title="Pricing page rework")
    plan = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n" + b"0" * 100, "application/pdf")
    link = file_link_add(acting=owner, brief=b, file=plan, relation="context")
    record = decided(proposal(owner, [ana], brief=b))
    assert {"kind": "file", "id": link.pk, "brief_id": b.pk, "title": "plan.pdf"}.items() <= (
        record.links[1].items()
    )
    signed_in(client, ana)
    page = text(client.get(record.get_absolute_url()))
    download = reverse(
        "brief_link_file",
        kwargs={"workspace": b.workspace.slug, "brief_id": b.pk, "link_id": link.pk},
    )
    assert f'href="{download}">plan.pdf</a>' in page
    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF-1.4")

    # Taken off the brief later, the file stays in the record's snapshot, without a dead link.
    from meridian.briefs.services import link_remove

    link_remove(acting=owner, link=link)
    page = text(client.get(record.get_absolute_url()))
    assert "plan.pdf" in page and "since removed from the brief" in page
    assert download not in page


def test_the_running_tally_follows_a_change_even_when_a_server_clock_ran_ahead(
    client, workspace, owner, ana, bikram
):
    from datetime import timedelta

    from django.utils import timezone

    from meridian.decisions.models import Stance

    p = proposal(owner, [ana, bikram], kind="consent", visibility="open")
    signed_in(client, owner)
    vote(ana, p, position="agree")
    vote(bikram, p, position="agree")
    assert "Legal" not in text(client.get(page_of(p)))
    # Ana's stance was saved by a server whose clock is an hour ahead of Bikram's.
    Stance.objects.filter(membership=ana).update(updated_at=timezone.now() + timedelta(hours=1))
    assert "2 valid stances" in text(client.get(page_of(p)))
    vote(bikram, p, position="block", reason="Legal has not seen it.")
    page = text(client.get(page_of(p)))
    assert "Legal has not seen it." in page.split('id="tally"')[1].split("</section>")[0]
