"""A sync's new slots by PostgreSQL's COPY (the path of a sync of mostly new slots) store
exactly what the plain upsert stores."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from meridian.tracking import ingest
from meridian.tracking.models import ActivitySlot
from meridian.tracking.rules import Figures
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's COPY of new slots"
)

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
figures = st.integers(0, 900)
# Quarter hours from 2026-03-20: back to 1997 and on to 2054.
quarter_hours = st.one_of(st.integers(0, 3000), st.integers(-1_000_000, 1_000_000))


class TestCopySync(HypothesisTestCase):
    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.dictionaries(
            st.tuples(quarter_hours, texts.filter(str.strip), texts, texts),
            st.tuples(figures, figures),
            min_size=1,
            max_size=40,
        ),
        st.data(),
    )
    def test_a_sync_by_copy_stores_what_the_plain_upsert_stores(self, given_rows, data):
        """The same rows, whatever the texts and instants (before 2000 too, where PostgreSQL's
        binary times are negative); the slots already stored are left out of the COPY."""
        base = datetime(2026, 3, 20, tzinfo=UTC)  # Berlin's summer time starts in range
        now = datetime(2026, 4, 2, 12, 34, 56, 789012, tzinfo=UTC)
        rows = {
            (base + timedelta(minutes=15 * n), c, a, t): (
                (base + timedelta(minutes=15 * n)).date(),
                Figures(active, afk),
            )
            for (n, c, a, t), (active, afk) in given_rows.items()
        }
        member = factories.member(factories.workspace())
        by_copy, by_upsert = uuid.uuid4(), uuid.uuid4()
        stored = {k: rows[k] for k in data.draw(st.sets(st.sampled_from(sorted(rows))))}
        ingest._slots_copy_pg(member, by_copy, now, rows, stored)
        rows = {k: v for k, v in rows.items() if k not in stored}
        if rows:
            ingest._slots_upsert(member, by_upsert, now, rows)
        fields = (
            "workspace_id",
            "member_id",
            "start",
            "category",
            "app",
            "title",
            "active_seconds",
            "afk_seconds",
            "day",
            "received_at",
        )
        written = [
            sorted(ActivitySlot.objects.filter(agent_id=agent).values_list(*fields))
            for agent in (by_copy, by_upsert)
        ]
        assert written[0] == written[1]
        assert len(written[0]) == len(rows)
