"""The index follows the briefs services, and other areas' calls, on SQLite and PostgreSQL."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from meridian.briefs.services import Deadline, brief_close, brief_update, comment_edit, respond
from meridian.core.errors import ValidationFailed
from meridian.search.models import SearchDocument
from meridian.search.services import (
    search_index_delete,
    search_index_relabel,
    search_index_upsert,
    search_reindex,
)
from tests.briefs.factories import brief, comment
from tests.search.conftest import found

pytestmark = pytest.mark.django_db


def test_a_new_brief_is_found_by_its_title_body_and_questions(author, reader):
    b = brief(
        author,
        [reader],
        title="Warehouse migration",
        body="Move the **nightly** jobs.",
        questions=["Which quarter suits finance?"],
    )
    for q in ("warehouse", "nightly", "finance"):
        assert found(reader, q) == [("brief", b.pk)]
    doc = SearchDocument.objects.get(kind="brief", object_id=b.pk)
    assert doc.body == "Move the nightly jobs. Which quarter suits finance?"
    assert doc.url == f"/w/{b.workspace.slug}/briefs/{b.pk}/"
    assert doc.created_at == b.created_at


def test_changing_a_brief_replaces_its_text_and_relabels_its_comments(author, reader):
    b = brief(author, [reader], title="Warehouse migration", body="Nightly jobs.")
    c = comment(b, reader, "Fine by me.")
    brief_update(acting=author, brief=b, title="Lakehouse migration", body="Hourly jobs.")
    assert found(reader, "warehouse") == []
    assert found(reader, "nightly") == []
    assert found(reader, "lakehouse hourly") == [("brief", b.pk)]
    assert SearchDocument.objects.get(kind="comment", object_id=c.pk).context == (
        "Lakehouse migration"
    )


def test_closing_a_brief_makes_its_summary_searchable(author, reader):
    b = brief(author, [reader], title="Office move")
    brief_close(acting=author, brief=b, summary="We chose **Lisbon**.")
    assert found(reader, "lisbon") == [("brief", b.pk)]


def test_comments_responses_and_edits_are_indexed(author, reader):
    b = brief(author, [reader], title="Office move", deadline=Deadline())
    c = comment(b, author, "Parking is *limited*.")
    r = respond(acting=reader, brief=b, body="I need a bicycle rack.")
    assert found(reader, "parking") == [("comment", c.pk)]
    assert found(reader, "bicycle") == [("comment", r.pk)]
    comment_edit(acting=author, comment=c, body="Parking is plentiful.")
    assert found(reader, "limited") == []
    assert found(reader, "plentiful") == [("comment", c.pk)]
    doc = SearchDocument.objects.get(kind="comment", object_id=c.pk)
    assert (doc.parent_id, doc.context, doc.title) == (b.pk, "Office move", "")
    assert doc.url.endswith(f"/briefs/{b.pk}/#comment-{c.pk}")


def test_upsert_and_delete_keep_the_index_in_step(workspace, author):
    def put(body: str) -> None:
        search_index_upsert(
            workspace_id=workspace.pk,
            kind="note",
            object_id=7,
            title="Quarterly plan",
            body=body,
            url="/n/7/",
        )

    put("First draft about budgets.")
    put("Second draft about hiring.")
    assert SearchDocument.objects.filter(kind="note").count() == 1
    assert found(author, "budgets") == []
    assert found(author, "hiring") == [("note", 7)]
    search_index_delete(kind="note", object_id=7)
    search_index_delete(kind="note", object_id=7)  # not there any more: harmless
    assert found(author, "hiring") == []
    assert found(author, "quarterly") == []


def test_relabel_changes_the_context_of_children_only(workspace, author):
    for object_id, parent in ((1, 10), (2, 10), (3, 11)):
        search_index_upsert(
            workspace_id=workspace.pk,
            kind="note",
            object_id=object_id,
            parent_id=parent,
            title="",
            body="text",
            url="/",
            context="Old",
        )
    assert search_index_relabel(kind="note", parent_id=10, context="New") == 2
    assert list(SearchDocument.objects.order_by("object_id").values_list("context", flat=True)) == [
        "New",
        "New",
        "Old",
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("kind", "Bad Kind"), ("kind", ""), ("audience", "no-colon")]
)
def test_upsert_refuses_malformed_kinds_and_audiences(workspace, field, value):
    arguments = {"kind": "note", "audience": None, field: value}
    with pytest.raises(ValueError):
        search_index_upsert(
            workspace_id=workspace.pk, object_id=1, title="t", body="b", url="/", **arguments
        )


def test_reindex_rebuilds_briefs_and_comments_from_their_tables(author, reader):
    b = brief(author, [reader], title="Warehouse migration")
    c = comment(b, reader, "Nightly jobs first.")
    SearchDocument.objects.all().delete()
    SearchDocument.objects.create(
        workspace=b.workspace,
        kind="brief",
        object_id=999,
        title="Stale",
        url="/",
        created_at=b.created_at,
    )
    assert found(reader, "warehouse") == []
    counts = search_reindex()
    assert counts["brief"] == 1
    assert counts["comment"] == 1
    assert found(reader, "warehouse") == [("brief", b.pk)]
    assert found(reader, "nightly") == [("comment", c.pk)]
    assert found(reader, "stale") == []


def test_reindex_command_names_what_it_rebuilt_and_refuses_unknown_kinds(author, reader, capsys):
    brief(author, [reader], title="Warehouse migration")
    call_command("search_reindex", "--kind", "brief")
    assert "brief: 1 document indexed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Unknown search kind “nope”"):
        call_command("search_reindex", "--kind", "nope")
    with pytest.raises(ValidationFailed):
        search_reindex(kinds=["nope"])
