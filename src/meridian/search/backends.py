"""The two engines behind search: SQLite FTS5 and PostgreSQL full-text search.

Both answer the same two questions in SQL of their own:

1. ``ranked``: which documents of the workspace match, best first. Ranking every match of a
   common word would cost time in proportion to the whole workspace, so each engine ranks a
   bounded set of candidates: the most recent matches in any column (``RECENT`` on SQLite,
   ``POSTGRES_RECENT`` on PostgreSQL, whose GIN index has no order and makes each candidate
   dearer), plus the most recent matches in the title (``TITLED``, ``POSTGRES_TITLED``), so
   the record named after what you search for is found however old it is. A query that fewer documents match than
   that is ranked in full. Candidates are chosen after the workspace, kind and audience
   filters, so another workspace's documents, or hidden ones, never take their places.
2. ``highlighted``: the title and a snippet of each of one page of hits, with the matches
   marked (only for that page, never for every match).

Scores are "higher is better" on both: SQLite's ``-bm25()`` with the title weighing ten
times the body; PostgreSQL's ``ts_rank_cd()`` with weight 1.0 for the title (A) and 0.1 for
the body (B), divided by 1 + log(length) so long texts do not win by volume alone. On SQLite
a document found only among the title matches is scored by its title alone (FTS5 scores what
its query matched), which puts it a little lower than a full score would.

The constants were tuned with bench/search.py on 1,100,000 documents (docs/benchmarks.md).
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.backends.utils import CursorWrapper

from meridian.search.query import ParsedQuery
from meridian.search.text import GREATER_THAN, LESS_THAN, MATCH_END, MATCH_START

RECENT = 2000
POSTGRES_RECENT = 200
TITLED = 500
POSTGRES_TITLED = 100
WALK_CHUNK = 5000
WALK_CHUNKS = 10  # then the estimate was wrong: read the rest from the index
SNIPPET_WORDS = 24


@dataclass(frozen=True)
class Scope:
    """Whose documents a search may return: one workspace, some kinds, some audiences."""

    workspace_id: int
    kinds: tuple[str, ...] = ()  # empty: every kind
    audiences: tuple[str, ...] = ()  # restricted audiences the viewer belongs to


@dataclass(frozen=True)
class Highlight:
    """A hit's title and snippet with the matches between MATCH_START and MATCH_END."""

    title: str
    snippet: str


Params = list[str | int | float]


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _filters(scope: Scope, alias: str) -> tuple[str, Params]:
    sql = f"{alias}.workspace_id = %s"
    params: Params = [scope.workspace_id]
    if scope.kinds:
        sql += f" AND {alias}.kind IN ({_placeholders(scope.kinds)})"
        params += scope.kinds
    if scope.audiences:
        sql += f" AND ({alias}.audience = '' OR {alias}.audience IN ("
        sql += _placeholders(scope.audiences) + "))"
        params += scope.audiences
    else:
        sql += f" AND {alias}.audience = ''"
    return sql, params


def _after(after: tuple[float, int] | None) -> tuple[str, Params]:
    if after is None:
        return "", []
    score, last_id = after
    return "WHERE score < %s OR (score = %s AND id < %s)", [score, score, last_id]


def ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None = None
) -> list[tuple[int, float]]:
    """(document id, score) of the best matches, best first, after the cursor position."""
    if connection.vendor == "postgresql":
        return _postgres_ranked(query, scope, limit=limit, after=after)
    return _sqlite_ranked(query, scope, limit=limit, after=after)


def highlighted(query: ParsedQuery, ids: Sequence[int]) -> dict[int, Highlight]:
    """The marked title and snippet of each of the given documents."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        return _postgres_highlighted(query, ids)
    return _sqlite_highlighted(query, ids)


# --- SQLite FTS5 ----------------------------------------------------------------------------


def _sqlite_ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None
) -> list[tuple[int, float]]:
    filters, filter_params = _filters(scope, "d")
    cursor_sql, cursor_params = _after(after)
    candidates = f"""
        SELECT * FROM (
            SELECT search_fts.rowid AS id, -bm25(search_fts, 10.0, 1.0) AS score
            FROM search_fts JOIN search_searchdocument AS d ON d.id = search_fts.rowid
            WHERE search_fts MATCH %s AND {filters}
            ORDER BY search_fts.rowid DESC LIMIT %s
        )"""  # noqa: S608 (placeholders only)
    # A title-only match scores its title alone; the same document among the recent
    # matches scores title and body, and the better of the two counts.
    sql = f"""
        SELECT id, score FROM (
            SELECT id, MAX(score) AS score FROM ({candidates} UNION ALL {candidates})
            GROUP BY id
        ) {cursor_sql}
        ORDER BY score DESC, id DESC LIMIT %s"""  # noqa: S608 (placeholders only)
    params = [
        query.fts5(),
        *filter_params,
        RECENT,
        query.fts5("title"),
        *filter_params,
        TITLED,
        *cursor_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def _sqlite_highlighted(query: ParsedQuery, ids: Sequence[int]) -> dict[int, Highlight]:
    sql = f"""
        SELECT rowid, highlight(search_fts, 0, %s, %s),
            snippet(search_fts, 1, %s, %s, '…', {SNIPPET_WORDS})
        FROM search_fts
        WHERE search_fts MATCH %s AND rowid IN ({_placeholders(ids)})"""  # noqa: S608 (placeholders only)
    params: Params = [MATCH_START, MATCH_END, MATCH_START, MATCH_END, query.fts5(), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(r[0]): Highlight(title=r[1] or "", snippet=r[2] or "") for r in cursor}


# --- PostgreSQL -----------------------------------------------------------------------------

_TSQUERY = "to_tsquery('english'::regconfig, %s)"
# Weights of {D, C, B, A}: the title is A, the body B. Normalization 1: ÷ (1 + log(length)).
# As float8: a float4 sent as text and read back as a double would not equal itself in a cursor.
_RANK = f"ts_rank_cd('{{0.1, 0.1, 0.1, 1.0}}'::float4[], d.search_vector, {_TSQUERY}, 1)::float8"
_HEADLINE_OPTIONS = (
    f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", MaxWords={SNIPPET_WORDS}, MinWords=12'
)
_TITLE_OPTIONS = f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", HighlightAll=true'


def _plan_rows(plan: object) -> float:
    """The number of rows the top node of an ``EXPLAIN (FORMAT JSON)`` plan expects."""
    parsed = json.loads(plan) if isinstance(plan, str) else plan
    return float(parsed[0]["Plan"]["Plan Rows"])  # type: ignore[index]


def _postgres_newest(
    cursor: CursorWrapper,
    vector: str,
    where: str,
    params: Params,
    *,
    limit: int,
    rows: float,
    scale: float = 1,
    walk_cost: float = 0.2,
) -> list[int]:
    """The ids of the newest ``limit`` documents (aliased c) whose ``vector`` matches, cheaply.

    Few matches are all read from the GIN index ("+ 0" keeps the planner from walking an id
    index instead). For many, the newest documents are walked back by id, WALK_CHUNK at a
    time, testing each, until ``limit`` have matched (or WALK_CHUNKS have gone by, when the
    rest is read from the index after all). Reading m matches costs m heap visits;
    walking back costs limit × rows ÷ m rows of ``walk_cost`` visits each (measured: a fifth
    through all documents, whose rows lie together; a whole one through the titled ones,
    which lie apart): the two are equal at m = √(limit × rows × walk_cost), and the planner's
    estimate of m decides. Left to itself, the planner walks back far too often, pricing heap
    visits too high, and for a title word, whose share it underestimates, scans the table.
    """
    tsquery, *where_params = params
    match = f"c.{vector} @@ {_TSQUERY}"
    matching = f"""SELECT c.id FROM search_searchdocument AS c
        WHERE {match} AND {where}"""  # noqa: S608 (placeholders only)
    cursor.execute(f"EXPLAIN (FORMAT JSON) {matching}", params)
    expected = _plan_rows(cursor.fetchone()[0]) * scale
    if expected <= math.sqrt(limit * rows * walk_cost):
        cursor.execute(f"{matching} ORDER BY c.id + 0 DESC LIMIT %s", [*params, limit])
        return [row[0] for row in cursor.fetchall()]
    found: list[int] = []
    before: int | None = None
    for _ in range(WALK_CHUNKS):
        older = "AND c.id < %s" if before is not None else ""
        cursor.execute(
            f"""SELECT array_agg(id) FILTER (WHERE hit), min(id), count(*) FROM (
                SELECT c.id, {match} AS hit FROM search_searchdocument AS c
                WHERE {where} {older} ORDER BY c.id DESC LIMIT %s
            ) AS walked""",  # noqa: S608 (placeholders only)
            [tsquery, *where_params, *([before] if before is not None else []), WALK_CHUNK],
        )
        hits, oldest, walked = cursor.fetchone()
        found += sorted(hits or [], reverse=True)[: limit - len(found)]
        if len(found) >= limit or walked < WALK_CHUNK:
            return found
        before = oldest
    # The estimate was far too high: read the older rest from the GIN index after all.
    cursor.execute(
        f"{matching} AND c.id < %s ORDER BY c.id + 0 DESC LIMIT %s",
        [*params, before, limit - len(found)],
    )
    return found + [row[0] for row in cursor.fetchall()]


def _postgres_ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None
) -> list[tuple[int, float]]:
    filters, filter_params = _filters(scope, "c")
    tsquery = query.tsquery()
    # The tsquery is a constant in each statement, so the planner sees how common its words are.
    params: Params = [tsquery, *filter_params]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relname IN ('search_searchdocument', 'search_doc_titled')"
        )
        sizes = {name: max(float(n), 1.0) for name, n in cursor.fetchall()}
        documents = sizes.get("search_searchdocument", 1.0)
        with_title = sizes.get("search_doc_titled", 1.0)
        ids = _postgres_newest(
            cursor, "search_vector", filters, params, limit=POSTGRES_RECENT, rows=documents
        )
        # The planner takes a title word's share of all documents and then multiplies by the
        # share of titled ones again; the scale undoes the second.
        ids += _postgres_newest(
            cursor,
            "title_vector",
            f"c.title <> '' AND {filters}",
            params,
            limit=POSTGRES_TITLED,
            rows=with_title,
            scale=documents / with_title,
            walk_cost=1,
        )
        if not ids:
            return []
        cursor_sql, cursor_params = _after(after)
        cursor.execute(
            f"""SELECT id, score FROM (
                SELECT d.id, {_RANK} AS score FROM search_searchdocument AS d
                WHERE d.id = ANY(%s)
            ) AS ranked {cursor_sql}
            ORDER BY score DESC, id DESC LIMIT %s""",  # noqa: S608 (placeholders only)
            [tsquery, sorted(set(ids)), *cursor_params, limit],
        )
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def _postgres_highlighted(query: ParsedQuery, ids: Sequence[int]) -> dict[int, Highlight]:
    # PostgreSQL's headline parser drops anything that looks like an HTML tag, so < and >
    # travel as stand-ins and come back in text.marked().
    sql = f"""
        SELECT d.id,
            ts_headline('english'::regconfig, translate(d.title, '<>', %s), q, %s),
            ts_headline('english'::regconfig, translate(d.body, '<>', %s), q, %s)
        FROM search_searchdocument AS d, {_TSQUERY} AS q
        WHERE d.id IN ({_placeholders(ids)})"""  # noqa: S608 (placeholders only)
    stand_ins = LESS_THAN + GREATER_THAN
    params: Params = [
        stand_ins,
        _TITLE_OPTIONS,
        stand_ins,
        _HEADLINE_OPTIONS,
        query.tsquery(),
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(r[0]): Highlight(title=r[1] or "", snippet=r[2] or "") for r in cursor}
