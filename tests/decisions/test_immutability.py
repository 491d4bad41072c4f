"""A decision record cannot be changed or deleted: not by the ORM, raw SQL, the pages or the API."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from meridian.decisions.immutability import purge_for_tests
from meridian.decisions.models import DecisionRecord, RecordImmutable
from tests.api.support import API, bearer, problem, send
from tests.decisions.factories import decided, proposal

pytestmark = pytest.mark.django_db

TABLE = DecisionRecord._meta.db_table


@pytest.fixture
def record(owner, ana):
    return decided(proposal(owner, [ana], title="Four-day week"), statement="We try it.")


def statement_in_db(record: DecisionRecord) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT statement FROM {TABLE} WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


def test_saving_an_existing_record_raises(record):
    record.statement = "We don't."
    with pytest.raises(RecordImmutable):
        record.save()
    assert statement_in_db(record) == "We try it."


def test_deleting_a_record_raises(record):
    with pytest.raises(RecordImmutable):
        record.delete()
    with pytest.raises(RecordImmutable):
        DecisionRecord.objects.filter(pk=record.pk).delete()
    assert DecisionRecord.objects.filter(pk=record.pk).exists()


def test_a_queryset_update_raises(record):
    with pytest.raises(RecordImmutable):
        DecisionRecord.objects.filter(pk=record.pk).update(statement="We don't.")
    assert statement_in_db(record) == "We try it."


def test_raw_sql_update_is_refused_by_the_database(record):
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {TABLE} SET statement = %s WHERE id = %s", ["x", record.pk])
    assert statement_in_db(record) == "We try it."


def test_raw_sql_delete_is_refused_by_the_database(record):
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [record.pk])
    assert DecisionRecord.objects.filter(pk=record.pk).exists()


def test_the_api_has_no_way_to_change_or_delete_a_record(client, record, owner):
    headers = bearer(owner)
    path = f"/decisions/{record.pk}"
    for method in ("PATCH", "PUT", "DELETE"):
        body = problem(send(client, method, path, {"statement": "x"}, headers), 405)
        assert "GET" in body["detail"]
    outcome = send(
        client,
        "POST",
        f"/proposals/{record.proposal_id}/outcome",
        {"statement": "Changed", "rationale": "Because"},
        headers,
    )
    assert problem(outcome, 409)["detail"].startswith("This proposal's outcome is recorded already")
    assert statement_in_db(record) == "We try it."
    assert client.get(f"{API}{path}", headers=headers).json()["statement"] == "We try it."


def test_the_record_page_offers_no_edit_control(client, record, owner):
    client.force_login(owner.user)
    page = client.get(
        reverse(
            "decision_record", kwargs={"workspace": record.workspace.slug, "record_id": record.pk}
        )
    ).content.decode()
    assert "We try it." in page
    assert ">Edit<" not in page and "/edit/" not in page and "Delete" not in page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's test flush uses DELETE")
def test_the_test_suites_purge_lifts_the_trigger_only_for_itself(record):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        purge_for_tests(connection)
        assert not DecisionRecord.objects.exists()
        raise Undo
    assert DecisionRecord.objects.filter(pk=record.pk).exists()
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE}")


@pytest.mark.django_db(transaction=True)
def test_a_committed_record_is_refused_changes_outside_any_transaction(owner, ana):
    record = decided(proposal(owner, [ana]), statement="Committed for real.")
    with connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="immutable"):
            cursor.execute(f"UPDATE {TABLE} SET statement = 'x' WHERE id = %s", [record.pk])
        with pytest.raises(DatabaseError, match="immutable"):
            cursor.execute(f"DELETE FROM {TABLE}")
    assert statement_in_db(record) == "Committed for real."
