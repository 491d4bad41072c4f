"""The sync's own PostgreSQL encoding: binary COPY rows written by hand (``ingest._copy_rows``)
must store exactly what psycopg's ``write_row`` stores, and a sync by COPY exactly what the
plain upsert stores."""

import uuid
from datetime import UTC, date, datetime, timedelta

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
    connection.vendor != "postgresql", reason="PostgreSQL's binary COPY, written by hand"
)

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
days = st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 1, 1))
figures = st.integers(0, 900)
COLUMNS = "s timestamptz, c text, a text, t text, ac integer, af integer, d date"


class TestCopyRows(HypothesisTestCase):
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.dictionaries(
            st.tuples(instants, texts, texts, texts),
            st.tuples(days, figures, figures),
            max_size=25,
        )
    )
    def test_rows_written_by_hand_store_what_write_row_stores(self, given_rows):
        rows = {key: (day, Figures(a, f)) for key, (day, a, f) in given_rows.items()}
        with connection.cursor() as cursor:
            for name in ("by_hand", "by_psycopg"):
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({COLUMNS})")
                cursor.execute(f"TRUNCATE {name}")
            with cursor.cursor.copy("COPY by_hand FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(ingest._copy_rows(b"\x00\x07", rows))
            with cursor.cursor.copy("COPY by_psycopg FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["timestamptz", "text", "text", "text", "int4", "int4", "date"])
                for (start, category, app, title), (day, (active, afk)) in rows.items():
                    copy.write_row((start, category, app, title, active, afk, day))
            stored = []
            for name in ("by_hand", "by_psycopg"):
                cursor.execute(f"SELECT * FROM {name} ORDER BY 1, 2, 3, 4")
                stored.append(cursor.fetchall())
        assert stored[0] == stored[1]
        assert len(stored[0]) == len(rows)


class TestCopySync(HypothesisTestCase):
    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.dictionaries(
            st.tuples(st.integers(0, 3000), texts.filter(str.strip), texts, texts),
            st.tuples(figures, figures),
            min_size=1,
            max_size=40,
        )
    )
    def test_a_sync_by_copy_stores_what_the_plain_upsert_stores(self, given_rows):
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
        ingest._slots_copy_pg(member, by_copy, now, rows, {})
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
        stored = [
            sorted(ActivitySlot.objects.filter(agent_id=agent).values_list(*fields))
            for agent in (by_copy, by_upsert)
        ]
        assert stored[0] == stored[1]
        assert len(stored[0]) == len(rows)
