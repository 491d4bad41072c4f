"""A brief's related material can point at a decision record: checked, named, chosen on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs import links
from meridian.briefs.models import Brief, BriefLink
from meridian.briefs.services import link_add
from meridian.core import registry
from meridian.core.errors import ValidationFailed
from meridian.decisions.models import DecisionRecord
from meridian.decisions.selectors import record_link_url
from meridian.workspaces.models import Membership
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief, person
from tests.decisions.factories import decided, proposal

pytestmark = pytest.mark.django_db


def signed_in(client, membership: Membership):
    client.force_login(membership.user)
    return client


def page_of(b: Brief) -> str:
    return reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})


def link_page_of(b: Brief) -> str:
    return reverse("brief_link_new", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})


def record_page_of(record: DecisionRecord) -> str:
    return reverse(
        "decision_record", kwargs={"workspace": record.workspace.slug, "record_id": record.pk}
    )


def link_post(**fields) -> dict:
    return {"relation": "context", "target_brief": "", "url": "", "note": "", **fields}


@pytest.fixture
def asked(author, kathmandu) -> Brief:
    return brief(author, [kathmandu], title="Which database?")


@pytest.fixture
def record(author, kathmandu) -> DecisionRecord:
    return decided(proposal(author, [kathmandu], title="Use PostgreSQL"))


@pytest.fixture
def foreign_record(outsider) -> DecisionRecord:
    return decided(proposal(outsider, [person(outsider.workspace)], title="Their secret plan"))


# --- On the page ---------------------------------------------------------------------------------


def test_a_decision_chosen_on_the_page_is_linked_and_shown_by_its_adr_label(
    client, asked, record, kathmandu
):
    signed_in(client, kathmandu)
    page = client.get(page_of(asked)).content.decode()
    assert '<label for="l-target_record">or a decision</label>' in page
    assert f'<option value="{record.pk}">ADR-0001 Use PostgreSQL</option>' in page

    response = client.post(link_page_of(asked), link_post(target_record=record.pk, note="Why"))

    assert response.status_code == 302
    link = BriefLink.objects.get()
    assert (link.target, link.target_id, link.note) == ("decision", record.pk, "Why")
    page = client.get(page_of(asked)).content.decode()
    assert f'<a href="{record_page_of(record)}">ADR-0001 Use PostgreSQL</a>' in page


@pytest.mark.parametrize("which", ["another workspace's", "unknown"])
def test_a_record_that_is_not_the_workspaces_is_a_field_error_on_the_page(
    client, asked, record, foreign_record, kathmandu, which
):
    record_id = {"another workspace's": foreign_record.pk, "unknown": 987654}[which]
    before = BriefLink.objects.count()

    response = signed_in(client, kathmandu).post(
        link_page_of(asked), link_post(target_record=record_id)
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="l-target_record_error"' in page
    assert f"No decision record #{record_id} in this workspace." in page
    assert "Their secret plan" not in page
    assert BriefLink.objects.count() == before


def test_choosing_a_brief_and_a_decision_at_once_is_a_form_error(
    client, asked, record, author, kathmandu
):
    other = brief(author, [kathmandu], title="Older")

    response = signed_in(client, kathmandu).post(
        link_page_of(asked), link_post(target_brief=other.pk, target_record=record.pk)
    )

    assert response.status_code == 422
    assert "Link one thing at a time" in response.content.decode()
    assert not BriefLink.objects.exists()


def test_choosing_nothing_names_all_three_choices(client, asked, record, kathmandu):
    response = signed_in(client, kathmandu).post(link_page_of(asked), link_post())

    assert response.status_code == 422
    assert "Choose a brief, a decision or give a web address." in response.content.decode()
    assert not BriefLink.objects.exists()


def test_without_records_the_page_offers_no_decision_menu(client, asked, kathmandu):
    page = signed_in(client, kathmandu).get(page_of(asked)).content.decode()
    assert "target_record" not in page
    assert "Link a brief or a web address" in page


def test_a_link_to_a_record_that_cannot_be_found_still_reads_as_a_decision(
    client, asked, author, kathmandu
):
    record = decided(proposal(author, [kathmandu], title="Use PostgreSQL"))
    link_add(acting=author, brief=asked, target="decision", target_id=record.pk)
    unfindable = links.LinkKind("decision", "decision record", _none, _nothing, url=record_link_url)
    with registry.replaced(registry.LINK_KINDS, [unfindable]):
        page = signed_in(client, kathmandu).get(page_of(asked)).content.decode()

    assert f'<a href="{record_page_of(record)}">Decision record #{record.pk}</a>' in page


def _none(workspace_id: int, ids: list[int]) -> dict[int, str]:
    return {}


def _nothing(workspace_id: int, limit: int) -> list[tuple[int, str]]:
    return []


def test_the_brief_page_reads_in_constant_queries_however_many_decisions_it_links(
    client, author, kathmandu
):
    records = [decided(proposal(author, [kathmandu], title=f"Decision {n}")) for n in range(1, 6)]
    one = brief(author, [kathmandu], title="One link")
    five = brief(author, [kathmandu], title="Five links")
    link_add(acting=author, brief=one, target="decision", target_id=records[0].pk)
    for r in records:
        link_add(acting=author, brief=five, target="decision", target_id=r.pk)
    signed_in(client, author)

    def page_queries(b: Brief) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page_of(b))
        assert response.status_code == 200
        return len(captured), response.content.decode()

    few, _ = page_queries(one)
    many, page = page_queries(five)

    assert few == many
    assert all(f">{r.adr_id} {r.title}</a>" in page for r in records)


# --- Through the API -----------------------------------------------------------------------------


def test_a_decision_is_linked_through_the_api_with_its_label(client, asked, record, kathmandu):
    body = {"target": "decision", "target_id": record.pk, "relation": "depends_on"}

    made = send(client, "POST", f"/briefs/{asked.pk}/links", body, bearer(kathmandu))

    assert made.status_code == 201, made.content
    link = made.json()
    assert (link["target"], link["target_id"], link["target_title"]) == (
        "decision",
        record.pk,
        "ADR-0001 Use PostgreSQL",
    )
    listed = get(client, f"/briefs/{asked.pk}/links", bearer(kathmandu)).json()
    assert [x["target_title"] for x in listed] == ["ADR-0001 Use PostgreSQL"]
    detail = get(client, f"/briefs/{asked.pk}", bearer(kathmandu)).json()
    assert [x["target_title"] for x in detail["links"]] == ["ADR-0001 Use PostgreSQL"]


def test_links_other_than_decisions_carry_a_briefs_title_or_nothing(
    client, asked, author, kathmandu
):
    other = brief(author, [kathmandu], title="Older")
    link_add(acting=author, brief=asked, target_brief=other)
    link_add(acting=author, brief=asked, url="https://example.com/db")

    listed = get(client, f"/briefs/{asked.pk}/links", bearer(kathmandu)).json()

    assert [(x["target"], x["target_title"]) for x in listed] == [
        ("brief", "Older"),
        ("url", None),
    ]


@pytest.mark.parametrize("which", ["another workspace's", "unknown"])
def test_a_record_that_is_not_the_workspaces_is_422_on_target_id(
    client, asked, record, foreign_record, kathmandu, which
):
    record_id = {"another workspace's": foreign_record.pk, "unknown": 987654}[which]
    before = BriefLink.objects.count()
    body = {"target": "decision", "target_id": record_id}

    out = problem(send(client, "POST", f"/briefs/{asked.pk}/links", body, bearer(kathmandu)), 422)

    assert out["errors"] == {"target_id": [f"No decision record #{record_id} in this workspace."]}
    assert "Their secret plan" not in str(out)
    assert BriefLink.objects.count() == before


def test_an_id_beyond_any_record_is_422_not_a_database_error(client, asked, kathmandu):
    body = {"target": "decision", "target_id": 2**63}

    out = problem(send(client, "POST", f"/briefs/{asked.pk}/links", body, bearer(kathmandu)), 422)

    assert list(out["errors"]) == ["target_id"]
    assert not BriefLink.objects.exists()


def test_a_task_links_through_the_registry_and_an_unknown_one_is_refused(client, asked, kathmandu):
    body = {"target": "task", "target_id": 987654}

    out = problem(send(client, "POST", f"/briefs/{asked.pk}/links", body, bearer(kathmandu)), 422)

    assert out["errors"] == {"target_id": ["No task #987654 in this workspace."]}
    assert not BriefLink.objects.exists()


# --- The registry --------------------------------------------------------------------------------


def test_a_kind_nobody_registered_cannot_be_linked_and_has_no_titles(asked, record, author):
    with registry.replaced(registry.LINK_KINDS, []):
        with pytest.raises(ValidationFailed) as caught:
            link_add(acting=author, brief=asked, target="decision", target_id=record.pk)
        titles = links.titles_for("decision", asked.workspace_id, [record.pk])

    assert caught.value.errors == {
        "target": ["Decisions cannot be linked yet; link their web address instead."]
    }
    assert titles is None
    assert not BriefLink.objects.exists()


def test_record_titles_come_in_one_query_and_only_from_the_workspace(
    author, kathmandu, foreign_record, django_assert_num_queries
):
    ours = [decided(proposal(author, [kathmandu], title=f"Decision {n}")) for n in (1, 2, 3)]
    ids = [r.pk for r in ours] + [foreign_record.pk, 987654]

    with django_assert_num_queries(1):
        titles = links.titles_for("decision", author.workspace_id, ids)

    assert titles == {r.pk: f"{r.adr_id} {r.title}" for r in ours}
