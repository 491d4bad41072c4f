"""PostgreSQL: one GIN index that finds a workspace's newest matches without visiting the rest.

The GIN indexes of 0001 hold each document's words. Finding "the newest 200 matches" of a
word in 3 % of a million documents meant reading all 30,000 matches from the table (one
8 kB block each) or walking back through the newest documents testing each, and a last word
being typed (``plea:*``) made the index itself merge every word that begins so. The index
of this migration is over ``search_match_vector()``: the document's words, plus

- every beginning of 3 to 6 letters of each word (``^plea``), so that a word being typed is
  one exact entry, as SQLite's ``prefix='4 5 6'`` index does;
- the blocks of its workspace's ids it lies in, of 256, 1,024, 4,096 … 262,144 ids
  (``#7a4296``: workspace 7, the 4,296th block of 256), so that the index itself answers
  "matches among workspace 7's ids 1,085,000 to 1,100,000", intersecting in the index
  instead of in the table. Larger blocks would not pay: GIN reads a block's entry page by
  page for each candidate of a rarer word, and a block of a million ids costs more than
  reading the word's matches from the table.

Only the index holds these entries (an expression index, nothing stored in the row). The
function returns NULL for an empty vector, so the title index holds titled documents only
while the planner still has statistics on it (a partial index has none). See
search/backends.py and docs/benchmarks.md.

On an existing instance the migration builds the indexes in one transaction, during which
writes to the search table (every new comment, brief or record) wait: about 6.5 minutes for
1.1 million documents on a 2-core machine; a few seconds for tens of thousands.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION search_match_vector(vector tsvector, workspace bigint, doc bigint)
RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN vector = ''::tsvector THEN NULL ELSE array_to_tsvector(
        tsvector_to_array(vector)
        || ARRAY(
            SELECT '^' || left(lexeme, n)
            FROM unnest(tsvector_to_array(vector)) AS lexeme, generate_series(3, 6) AS n
            WHERE length(lexeme) >= n)
        || ARRAY(
            SELECT '#' || workspace::text || chr(96 + level) || (doc >> (6 + 2 * level))::text
            FROM generate_series(1, 6) AS level)
    ) END
$$"""

# Also used by bench/search.py, which builds them after loading its documents.
INDEXES = {
    # fastupdate off: a search never scans a pending list of recent entries (one insert
    # writes its entries at once instead, a few ms for a long document).
    "search_doc_match": """CREATE INDEX search_doc_match ON search_searchdocument
        USING gin (search_match_vector(search_vector, workspace_id, id))
        WITH (fastupdate = off)""",
    "search_doc_title_match": """CREATE INDEX search_doc_title_match ON search_searchdocument
        USING gin (search_match_vector(title_vector, workspace_id, id))
        WITH (fastupdate = off)""",
}
# How common a word is decides how search reads it: ten times the default statistics, on
# what the indexes hold (the vectors themselves are no longer searched through an index).
STATISTICS = [
    "ALTER INDEX search_doc_match ALTER COLUMN 1 SET STATISTICS 1000",
    "ALTER INDEX search_doc_title_match ALTER COLUMN 1 SET STATISTICS 1000",
]
POSTGRES = [
    FUNCTION,
    "DROP INDEX IF EXISTS search_doc_vector",
    "DROP INDEX IF EXISTS search_doc_title_vector",
    "DROP INDEX IF EXISTS search_doc_titled",
    *INDEXES.values(),
    *STATISTICS,
    "ALTER TABLE search_searchdocument ALTER COLUMN search_vector SET STATISTICS -1",
    "ALTER TABLE search_searchdocument ALTER COLUMN title_vector SET STATISTICS -1",
]
POSTGRES_REVERSE = [
    "ALTER TABLE search_searchdocument ALTER COLUMN search_vector SET STATISTICS 1000",
    "ALTER TABLE search_searchdocument ALTER COLUMN title_vector SET STATISTICS 1000",
    "DROP INDEX IF EXISTS search_doc_title_match",
    "DROP INDEX IF EXISTS search_doc_match",
    "CREATE INDEX search_doc_vector ON search_searchdocument USING gin (search_vector)",
    """CREATE INDEX search_doc_title_vector ON search_searchdocument USING gin (title_vector)
        WHERE title <> ''""",
    """CREATE INDEX search_doc_titled ON search_searchdocument (workspace_id, id)
        WHERE title <> ''""",
    "DROP FUNCTION IF EXISTS search_match_vector(tsvector, bigint, bigint)",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES), _run(POSTGRES_REVERSE)),
    ]
