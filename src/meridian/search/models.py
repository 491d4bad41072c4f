"""The search index: one row per searchable thing, whichever area it comes from.

The full-text index itself is not a Django field, because it differs per database (see
migrations/0001_initial.py): on SQLite an FTS5 table ``search_fts`` that triggers on this table
keep in step, on PostgreSQL the generated ``tsvector`` columns ``search_vector`` and
``title_vector`` with GIN indexes over ``search_match_vector()`` of each (migrations/0002). Django rebuilds a SQLite table when a migration alters it,
which drops its triggers: a later migration that alters this table must create them again.
"""

from django.db import models


class SearchDocument(models.Model):
    """The searchable text of one object of an area (a brief, a comment, a decision record…)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    # What the object is ("brief", "comment", "decision"…) and its id in its own table.
    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    # The object it belongs to, e.g. the brief of a comment (its meaning depends on the kind).
    parent_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)
    # Plain text (Markdown removed) that is searched and from which snippets are cut.
    body = models.TextField(blank=True)
    # Shown with a hit, not searched: where the object lives, e.g. the title of a comment's brief.
    context = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=500)
    # "" when every member of the workspace may see it; else "<rule>:<key>", a rule that the
    # owning area registered decides per viewer (e.g. "decisions.blind:42").
    audience = models.CharField(max_length=100, blank=True, default="")
    # When the object itself was written (not when it was indexed).
    created_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]
        indexes = [
            models.Index(fields=["workspace", "id"], name="search_doc_workspace"),
            models.Index(fields=["workspace", "audience"], name="search_doc_audience"),
            models.Index(fields=["kind", "parent_id"], name="search_doc_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
