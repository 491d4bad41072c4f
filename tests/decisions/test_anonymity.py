"""An anonymous vote leaves no link between a person and their choice, anywhere.

After a whole anonymous proposal — stances through the page and the API, a discussion, the
close, the outcome, the record, its exports, search, queued notifications and the emails they
send — the test dumps every row of every table of the database and every log record, and looks
for one row (or record, or email) that names the voter *and* their choice. There is none: the
only place the choice exists is a ballot row that names nobody.
"""

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from meridian.core.models import AuditEntry
from meridian.decisions.models import AnonymousBallot, Proposal
from meridian.workspaces.models import Membership
from tests.api.support import bearer, send
from tests.decisions.factories import decided, ids, proposal, vote

pytestmark = pytest.mark.django_db

SECRET_REASON = "Rust-because-of-the-borrow-checker-7f3a"


def dump_database() -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table (Django's and any other, e.g. full-text indexes), as dicts."""
    rows: list[tuple[str, dict[str, Any]]] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if connection.vendor == "sqlite" and table.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [c[0] for c in cursor.description]
            rows += [(table, dict(zip(names, values, strict=True))) for values in cursor.fetchall()]
    return rows


def person_columns() -> dict[str, dict[str, str]]:
    """For each table, its columns that point at a membership or a user: {table: {column: kind}}."""
    found: dict[str, dict[str, str]] = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            target = getattr(field, "related_model", None)
            if target is Membership:
                found.setdefault(model._meta.db_table, {})[field.column] = "membership"
            elif target is not None and target._meta.label == "accounts.User":
                found.setdefault(model._meta.db_table, {})[field.column] = "user"
    return found


def names_voter(table: str, row: dict[str, Any], voter: Membership, columns: dict) -> bool:
    refs = columns.get(table, {})
    for column, kind in refs.items():
        wanted = voter.pk if kind == "membership" else voter.user_id
        if row.get(column) == wanted:
            return True
    if table == "workspaces_membership" and row.get("id") == voter.pk:
        return True
    if table == "accounts_user" and row.get("id") == voter.user_id:
        return True
    text = json.dumps(row, default=str)
    return voter.user.email in text or voter.profile.display_name in text


def carries_choice(row: dict[str, Any], choice_id: int) -> bool:
    text = json.dumps(row, default=str).replace("\\", "")
    return SECRET_REASON in text or f'"choice": "{choice_id}"' in text


def test_no_row_log_or_email_ties_the_voter_to_their_choice(
    client,
    owner,
    ana,
    bikram,
    carmen,
    caplog,
    mailoutbox,
    django_capture_on_commit_callbacks,
    settings,
):
    assert logging.getLogger("django.db.backends").getEffectiveLevel() >= logging.WARNING
    caplog.set_level(logging.DEBUG)
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        p = proposal(
            owner, [ana, bikram, carmen], kind="single", anonymous=True, title="Worker language"
        )
        rust, go, python = ids(p, "Rust", "Go", "Python")
        vote(bikram, p, choice=go)
        # The voter under test casts through the page, as a person would.
        client.force_login(ana.user)
        page = reverse(
            "proposal_stance", kwargs={"workspace": p.workspace.slug, "proposal_id": p.pk}
        )
        response = client.post(page, {"choice": str(rust), "reason": SECRET_REASON})
        assert response.status_code == 302
        # Another through the API, after them.
        answer = send(
            client, "POST", f"/proposals/{p.pk}/stance", {"choice": python}, bearer(carmen)
        )
        assert answer.status_code == 200 and answer.json()["stance"] is None
        record = decided(p, statement="We write it in Rust.")
        client.get(
            reverse("proposal_detail", kwargs={"workspace": p.workspace.slug, "proposal_id": p.pk})
        )
        client.get(
            reverse(
                "decision_record_markdown",
                kwargs={"workspace": p.workspace.slug, "record_id": record.pk},
            )
        )
        exported = client.get(
            reverse(
                "decision_record_json",
                kwargs={"workspace": p.workspace.slug, "record_id": record.pk},
            )
        )
    # Deliver every queued notification, as the worker would.
    for queued in DBTaskResult.objects.all():
        import_string(queued.task_path).call(
            *queued.args_kwargs["args"], **queued.args_kwargs["kwargs"]
        )
    assert mailoutbox  # people were told things (opened, closed, decided)

    columns = person_columns()
    ties = [
        (table, row)
        for table, row in dump_database()
        if names_voter(table, row, ana, columns) and carries_choice(row, rust)
    ]
    assert ties == []

    # The choice itself is stored exactly once, in a ballot that names nobody.
    holding = [(t, r) for t, r in dump_database() if carries_choice(r, rust)]
    assert [t for t, _ in holding] == [AnonymousBallot._meta.db_table]
    ballot_columns = {f.column for f in AnonymousBallot._meta.concrete_fields}
    assert ballot_columns == {"id", "proposal_id", "payload", "reason"}

    # The audit log says that a stance was given, and nothing of which.
    entry = AuditEntry.objects.get(action="decision.stance", actor=ana.user)
    assert entry.data == {}
    assert not carries_choice({"data": entry.data, "label": entry.object_label}, rust)

    # Nor do the logs, the emails or the exports.
    for log in caplog.records:
        message = log.getMessage()
        assert SECRET_REASON not in message and f'"choice": "{rust}"' not in message
    for mail in mailoutbox:
        assert SECRET_REASON not in mail.body and SECRET_REASON not in mail.subject
    assert SECRET_REASON not in exported.content.decode()
    assert json.loads(exported.content)["stances"] == []


def test_the_ballot_table_has_no_person_no_time_and_no_sequence():
    fields = {f.name: f for f in AnonymousBallot._meta.concrete_fields}
    assert fields["id"].get_internal_type() == "UUIDField"
    related = {f.related_model for f in fields.values() if f.is_relation}
    assert related == {Proposal}
    assert not any(f.get_internal_type() in ("DateTimeField", "DateField") for f in fields.values())


def test_after_each_vote_no_ballot_is_distinguishable_by_its_row_position(
    owner, ana, bikram, carmen
):
    p = proposal(owner, [ana, bikram, carmen], kind="single", anonymous=True)
    go, rust = ids(p, "Go", "Rust")
    vote(ana, p, choice=rust)
    vote(bikram, p, choice=go)
    before = set(AnonymousBallot.objects.values_list("pk", flat=True))
    vote(carmen, p, choice=go)
    after = set(AnonymousBallot.objects.values_list("pk", flat=True))
    assert len(after) == 3 and not before & after  # every ballot rewritten with a fresh id
    table = AnonymousBallot._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # All of the proposal's ballots were written by the last vote's transaction.
            cursor.execute(
                f"SELECT count(DISTINCT xmin::text) FROM {table} WHERE proposal_id = %s", [p.pk]
            )
            assert cursor.fetchone()[0] == 1
        else:
            # No hidden row number: rows are kept in the order of their random ids.
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
            assert cursor.fetchone()[0].endswith("WITHOUT ROWID")
            with pytest.raises(OperationalError, match="rowid"), transaction.atomic():
                cursor.execute(f"SELECT rowid FROM {table}")
