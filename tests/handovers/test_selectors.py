"""Readiness and "what I hold" reads: who is at risk, worst first, in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from meridian.briefs.models import Brief
from meridian.handovers.kinds import Check, Readiness, readiness_score
from meridian.handovers.selectors import AT_RISK_BELOW, is_at_risk, owned_items_for, readiness_for
from tests.briefs.factories import brief, comment, person
from tests.handovers.factories import handover, many_briefs

pytestmark = pytest.mark.django_db


def bare(author, asked, title: str) -> Brief:
    b = brief(author, [asked], title=title)
    Brief.objects.filter(pk=b.pk).update(body="")
    return b


def test_readiness_lists_at_risk_items_per_member_worst_first(workspace, giver, receiver, member):
    bare(giver, member, "No description")
    questioned = bare(giver, member, "No description, open question")
    comment(questioned, giver, "Anyone?", is_question=True)
    bare(receiver, member, "Receiver's")
    report = readiness_for(viewer=member)

    assert [(row.member.pk, row.count) for row in report.members] == [
        (giver.pk, 2),
        (receiver.pk, 1),
    ]
    assert [i.title for i in report.members[0].items] == [
        "No description, open question",
        "No description",
    ]
    assert [g.name for g in report.groups] == ["Briefs"]


def test_an_item_with_another_contributor_is_not_at_risk(workspace, giver, member):
    shared = bare(giver, member, "Shared")
    comment(shared, member, "I helped.")
    assert readiness_for(viewer=member).members == []


def test_readiness_takes_a_constant_number_of_queries(workspace, giver, member):
    bare(giver, member, "One")
    with CaptureQueriesContext(connection) as one:
        readiness_for(viewer=member)
    for i in range(8):
        bare(person(workspace), member, f"More {i}")
    with CaptureQueriesContext(connection) as many:
        report = readiness_for(viewer=member)
    assert report.total == 9
    assert len(many) == len(one)


def test_owned_items_show_what_is_already_in_handover(giver, receiver):
    first, second = many_briefs(giver, 2)
    h = handover(first, receiver)
    items = owned_items_for(viewer=giver, member=giver)
    assert [(i.object_id, i.pending.pk if i.pending else None) for i in items] == [
        (first.pk, h.pk),
        (second.pk, None),
    ]


checks = st.lists(
    st.builds(
        Check, key=st.just("k"), label=st.just("l"), ok=st.booleans(), weight=st.integers(0, 5)
    ),
    max_size=8,
)


@given(checks)
def test_an_item_is_at_risk_exactly_when_alone_and_below_the_threshold(found):
    for contributors in (0, 1, 2):
        item = Readiness("x", 1, "t", "/", found, contributors_90d=contributors)
        expected = contributors <= 1 and readiness_score(found) < AT_RISK_BELOW
        assert is_at_risk(item) is expected
