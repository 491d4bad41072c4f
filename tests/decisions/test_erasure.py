"""A copy of the raw database files taken after any vote cannot link a voter to their choice.

The attack these tests replay: each anonymous vote rewrites all of the proposal's ballots, so
if the generation before a vote can still be read from the files (SQLite's -wal or free
space; PostgreSQL's dead tuples, with their transaction ids), the ballot that is new in the
later generation is the latest voter's, and responded_at says who voted last. Every ballot
carries a marker in its reason; after each vote the raw bytes must hold each marker exactly
once — only the current generation — and nothing else may set one ballot apart.
"""

import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from meridian.core.scheduler import Job, tick
from meridian.decisions import schedule
from meridian.decisions.erasure import superseded_ballots_erase
from meridian.decisions.models import AnonymousBallot, ProposalParticipant
from tests.conftest import need, wait_alone
from tests.decisions.factories import ids, proposal, vote

TABLE = AnonymousBallot._meta.db_table
ERASE = Job(schedule.ERASE, schedule.anonymous_ballots_erase)
NOON = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def markers(n: int) -> list[str]:
    return [f"marker-{i}-{secrets.token_hex(8)}" for i in range(n)]


def sqlite_files() -> list[Path]:
    """The database as someone copying it would find it: the main file and its -wal."""
    main = Path(connection.settings_dict["NAME"])
    return [main, main.with_name(main.name + "-wal")]


def sqlite_raw() -> bytes:
    return b"".join(path.read_bytes() for path in sqlite_files() if path.exists())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's files; PostgreSQL below")
@pytest.mark.django_db(transaction=True)
def test_sqlite_files_hold_only_the_current_ballots_after_every_vote(owner, ana, bikram, carmen):
    main = sqlite_files()[0]
    assert main.is_file()  # a real file in WAL mode, as in production (tests/conftest.py)
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    p = proposal(owner, [ana, bikram, carmen], kind="single", anonymous=True)
    go, rust = ids(p, "Go", "Rust")
    voters = [(ana, go), (bikram, rust), (carmen, go)]
    reasons = markers(len(voters))

    for n, ((voter, choice), reason) in enumerate(zip(voters, reasons, strict=True), 1):
        vote(voter, p, choice=choice, reason=reason)
        raw = sqlite_raw()
        # Every ballot cast so far is in the files once; no earlier generation is left.
        assert [raw.count(r.encode()) for r in reasons[:n]] == [1] * n
        assert not sqlite_files()[1].exists() or sqlite_files()[1].stat().st_size == 0
    assert AnonymousBallot.objects.filter(proposal=p).count() == 3


def pages(relation: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int", [relation]
        )
        return cursor.fetchone()[0]


def heap_tuples(relation: str) -> list[tuple[int, int, int, bytes]]:
    """Every line pointer of every heap page, live or dead: (flags, xmin, xmax, data)."""
    found = []
    with connection.cursor() as cursor:
        for page in range(pages(relation)):
            cursor.execute(
                "SELECT lp_flags, t_xmin::text::bigint, t_xmax::text::bigint, t_data"
                " FROM heap_page_items(get_raw_page(%s, %s))",
                [relation, page],
            )
            found += [(f, xmin, xmax, bytes(d or b"")) for f, xmin, xmax, d in cursor.fetchall()]
    return found


def raw_pages(relation: str) -> bytes:
    """The table's heap pages byte for byte, free space included."""
    with connection.cursor() as cursor:
        blocks = []
        for page in range(pages(relation)):
            cursor.execute("SELECT get_raw_page(%s, %s)", [relation, page])
            blocks.append(bytes(cursor.fetchone()[0]))
    return b"".join(blocks)


@pytest.fixture
def pageinspect(transactional_db):
    """pageinspect in the test database, with no other transaction holding old rows back.

    Rows a vote replaced stay while a transaction in this database may still read them, or
    while a writing transaction anywhere on the server was open across the vote (its id is in
    every snapshot), so PostgreSQL keeps them (docs/architecture.md); the erasure then happens
    at a later vote or scheduler run, which the first test here does not wait for.
    """
    wait_alone()
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        except Exception as exc:
            need(False, f"PostgreSQL's pageinspect extension ({exc})")
        cursor.execute(
            "SELECT datname, left(query, 60) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND (backend_xid IS NOT NULL"
            "      OR (datname = current_database() AND backend_xmin IS NOT NULL))"
        )
        others = cursor.fetchall()
    need(not others, f"a PostgreSQL server with no other open transaction (now: {others})")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pages; SQLite above")
@pytest.mark.server_alone
@pytest.mark.django_db(transaction=True)
def test_postgresql_pages_hold_no_dead_ballot_and_no_telling_xmin_after_every_vote(
    pageinspect, owner, ana, bikram, carmen
):
    p = proposal(owner, [ana, bikram, carmen], kind="ranked", anonymous=True)
    go, rust, python = ids(p, "Go", "Rust", "Python")
    voters = [(ana, [go, rust]), (bikram, [rust, python, go]), (carmen, [python])]
    reasons = markers(len(voters))

    for n, ((voter, ranking), reason) in enumerate(zip(voters, reasons, strict=True), 1):
        vote(voter, p, ranking=ranking, reason=reason)
        tuples = heap_tuples(TABLE)
        # No dead tuple, no unused or redirected line pointer: only the n live ballots...
        assert [(flags, xmax) for flags, _, xmax, _ in tuples] == [(1, 0)] * n
        # ...all written by one transaction, so no transaction id sets the new one apart...
        assert len({xmin for _, xmin, _, _ in tuples}) == 1
        # ...and not even the free space of a page keeps an earlier generation.
        raw = raw_pages(TABLE)
        assert [raw.count(r.encode()) for r in reasons[:n]] == [1] * n

    # The last voter's own row shares the ballots' transaction, as every voter's did in turn:
    # that says they voted last, which responded_at says anyway, and not which ballot is theirs.
    assert ProposalParticipant.objects.filter(proposal=p, responded_at__isnull=False).count() == 3


# --- When a reader holds the old rows -------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's files; PostgreSQL below")
@pytest.mark.django_db(transaction=True)
def test_sqlite_ballots_a_reader_held_back_are_erased_by_the_next_scheduler_run(
    owner, ana, bikram, caplog
):
    p = proposal(owner, [ana, bikram], kind="single", anonymous=True)
    go, rust = ids(p, "Go", "Rust")
    first, second = markers(2)
    vote(ana, p, choice=go, reason=first)
    # A reader (a report, a backup) still on the snapshot from before the next vote.
    reader = sqlite3.connect(sqlite_files()[0], isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM decisions_proposal").fetchall()

    vote(bikram, p, choice=rust, reason=second)
    # SQLite must keep the page that reader may still need: the erasure says so and waits.
    assert "stay in the -wal" in caplog.text
    assert sqlite_raw().count(first.encode()) == 2

    reader.rollback()
    reader.close()
    assert tick(timezone.now(), jobs=[ERASE]).ran != []
    raw = sqlite_raw()
    assert [raw.count(first.encode()), raw.count(second.encode())] == [1, 1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pages; SQLite above")
@pytest.mark.server_alone
@pytest.mark.django_db(transaction=True)
def test_postgresql_ballots_an_open_transaction_held_back_are_erased_by_the_next_scheduler_run(
    pageinspect, owner, ana, bikram
):
    p = proposal(owner, [ana, bikram], kind="single", anonymous=True)
    go, rust = ids(p, "Go", "Rust")
    first, second = markers(2)
    vote(ana, p, choice=go, reason=first)
    # A long report elsewhere in the database, whose snapshot is older than the next vote.
    database = connection.settings_dict
    reader = psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
    )
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    reader.execute("SELECT count(*) FROM decisions_proposal").fetchall()

    vote(bikram, p, choice=rust, reason=second)
    # PostgreSQL must keep the rows that transaction may still read.
    assert raw_pages(TABLE).count(first.encode()) == 2

    reader.rollback()
    reader.close()
    assert tick(timezone.now(), jobs=[ERASE]).ran != []
    tuples = heap_tuples(TABLE)
    assert [(flags, xmax) for flags, _, xmax, _ in tuples] == [(1, 0)] * 2
    raw = raw_pages(TABLE)
    assert [raw.count(first.encode()), raw.count(second.encode())] == [1, 1]


@pytest.mark.django_db
def test_the_scheduler_erases_once_an_hour_while_an_anonymous_proposal_is_open(
    owner, ana, django_capture_on_commit_callbacks
):
    proposal(owner, [ana], title="Named, not anonymous")
    assert tick(NOON, jobs=[ERASE]).ran == []
    proposal(owner, [ana], anonymous=True)

    with django_capture_on_commit_callbacks() as callbacks:
        first = tick(NOON, jobs=[ERASE])
        same_hour = tick(NOON + timedelta(minutes=59), jobs=[ERASE])
        next_hour = tick(NOON + timedelta(hours=1), jobs=[ERASE])

    assert first.ran == ["decision.ballots_erase:2026-03-09T12"] and same_hour.ran == []
    assert next_hour.ran == ["decision.ballots_erase:2026-03-09T13"]
    assert callbacks.count(superseded_ballots_erase) == 2
