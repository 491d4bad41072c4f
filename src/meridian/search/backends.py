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

On PostgreSQL the candidates come from one GIN index per column over ``search_match_vector()``
(migrations/0002): each document's words, the beginnings of 3 to 6 letters of each word, and
the blocks of its workspace's ids it lies in. "The newest 200 matches" is then asked of the
index for the newest blocks of the workspace's ids only, so the table is read for about as
many rows as are needed, and a word being typed is an exact entry rather than a merge of
every word that begins so. The words' own vectors (``search_vector``, ``title_vector``) give
the scores, the phrases' positions and the snippets.

The constants were tuned with bench/search.py on 1,100,000 documents (docs/benchmarks.md).
"""

import json
import math
import re
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
SPAN_MARGIN = 2.0  # the newest ids searched first are expected to hold twice the matches needed
SPAN_STEPS = 3  # spans of ids searched before the rest is read whole
SPAN_BLOCKS = 3  # blocks of ids (index entries) of the first span, at most
MAX_BLOCKS = 6  # more for an older span, and the rest is read whole
BEGINNINGS = range(3, 7)  # lengths of the beginnings of words that the match index holds
_SHIFTS = (8, 10, 12, 14, 16, 18)  # its blocks of ids: 256 … 262,144 ids
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


_BEGINNING = re.compile(r"'([^']*)':\*")
_PHRASE = re.compile(r"<(?:-|\d+)>")


def _index_tsquery(stemmed: str) -> str:
    """The stemmed query as the match index reads it (see migrations/0002).

    A beginning of 3 to 6 letters (``'plea':*``) is the exact entry ``'^plea'``; a phrase
    becomes its words (the index has no positions: the phrase itself is checked on the row).
    """

    def entry(beginning: re.Match[str]) -> str:
        return f"'^{beginning[1]}'" if len(beginning[1]) in BEGINNINGS else beginning[0]

    return _PHRASE.sub("&", _BEGINNING.sub(entry, stemmed))


def _token(workspace_id: int, shift: int, block: int) -> str:
    # As search_match_vector() writes them: level 1 ("a") is shift 8, level 6 ("f") shift 18.
    return f"'#{workspace_id}{chr(96 + (shift - 6) // 2)}{block}'"


def _cover(workspace_id: int, upper: int, span: float, *, newest: bool) -> tuple[list[str], int]:
    """Tokens of the id blocks that cover at least ``span`` ids below ``upper``, and their start.

    The newest span may run past ``upper`` (nothing is newer), so it takes at most SPAN_BLOCKS
    blocks of the smallest size that does: a few large entries rather than many small ones,
    because GIN reads every entry of an OR whose entries are each rarer than the words. An
    older span ends exactly at ``upper`` (the start of a block), so it is cut into the fewest
    blocks that end there. No tokens (or more than MAX_BLOCKS): the span is too long for the
    blocks to pay, read the rest of the workspace whole.
    """
    target = max(0, math.floor(upper - span))
    if newest:
        for shift in _SHIFTS:
            top, bottom = (upper - 1) >> shift, target >> shift
            if top - bottom < SPAN_BLOCKS:
                return [_token(workspace_id, shift, n) for n in range(bottom, top + 1)], (
                    bottom << shift
                )
        return [], 0
    tokens: list[str] = []
    start = upper
    while start > target and len(tokens) <= MAX_BLOCKS:
        shift = max(
            s for s in _SHIFTS if start % (1 << s) == 0 and 1 << s <= max(start - target, 256)
        )
        start -= 1 << shift
        tokens.append(_token(workspace_id, shift, start >> shift))
    return tokens, start


def _postgres_newest(
    cursor: CursorWrapper,
    vector: str,
    scope: Scope,
    *,
    stemmed: str,
    tsquery: str,
    limit: int,
    first: int,
    last: int,
) -> list[tuple[int, float]]:
    """(id, score) of the newest ``limit`` documents (aliased c) whose ``vector`` matches.

    The match index (migrations/0002) answers "which of the workspace's documents in these
    blocks of ids match" by itself, so only matches among the newest ids are read from the
    table: a span expected to hold SPAN_MARGIN times the matches needed, by the planner's
    estimate of how many match. A span that falls short is followed by the next older one,
    sized by the matches it held; after SPAN_STEPS, or when the span would be longer than
    three of the largest blocks (a word that few documents hold), the rest is read whole.
    Candidates are scored here, on the rows already read.
    """
    filters, filter_params = _filters(scope, "c")
    matching = f"search_match_vector(c.{vector}, c.workspace_id, c.id) @@ %s::tsquery"
    index_query = _index_tsquery(stemmed)
    # The index has no positions: a phrase is checked on the row.
    exact = f" AND c.{vector} @@ {_TSQUERY}" if _PHRASE.search(stemmed) else ""
    # The query is a constant in each statement, so the planner sees how common its words are.
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT c.id FROM search_searchdocument AS c "  # noqa: S608 (placeholders only)
        f"WHERE {matching} AND {filters}",
        [index_query, *filter_params],
    )
    expected = max(_plan_rows(cursor.fetchone()[0]), 1.0)
    found: list[tuple[int, float]] = []
    upper = last + 1  # exclusive
    span = SPAN_MARGIN * limit * (last - first + 1) / expected
    for step in range(SPAN_STEPS + 1):
        blocks: list[str] = []
        start = first
        if step < SPAN_STEPS and upper - span > first:
            blocks, start = _cover(scope.workspace_id, upper, span, newest=step == 0)
        whole = not blocks or len(blocks) > MAX_BLOCKS
        # Read whole, the workspace is a filter on the rows: another workspace's matches are
        # read too, as a workspace-wide index entry would cost more (like a block of a million
        # ids, see migrations/0002).
        older = " AND c.id + 0 < %s" if whole and upper <= last else ""
        cursor.execute(
            f"""SELECT d.id, {_RANK} FROM (
                SELECT c.id, c.search_vector FROM search_searchdocument AS c
                WHERE {matching} AND {filters}{exact}{older}
                ORDER BY c.id + 0 DESC LIMIT %s
            ) AS d""",  # noqa: S608 (placeholders only)
            [
                tsquery,
                index_query if whole else f"({index_query}) & ({' | '.join(blocks)})",
                *filter_params,
                *([tsquery] if exact else []),
                *([upper] if older else []),
                limit - len(found),
            ],
        )
        rows = sorted(((int(r[0]), float(r[1])) for r in cursor.fetchall()), reverse=True)
        found += rows
        if len(found) >= limit or whole:
            return found
        # Too few: size the next span by how many matches this one held.
        held = upper - start
        span = SPAN_MARGIN * (limit - len(found)) * held / len(rows) if rows else held * 8
        upper = start
    return found


def _postgres_ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None
) -> list[tuple[int, float]]:
    tsquery = query.tsquery()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT min(id), max(id), {_TSQUERY}::text
            FROM search_searchdocument WHERE workspace_id = %s""",  # noqa: S608 (placeholders only)
            [tsquery, scope.workspace_id],
        )
        first, last, stemmed = cursor.fetchone()
        if first is None or not stemmed:
            return []  # nothing to search, or only words too common to be indexed ("the")
        candidates: dict[int, float] = {}
        for vector, wanted in (
            ("search_vector", POSTGRES_RECENT),
            ("title_vector", POSTGRES_TITLED),
        ):
            candidates.update(
                _postgres_newest(
                    cursor,
                    vector,
                    scope,
                    stemmed=stemmed,
                    tsquery=tsquery,
                    limit=wanted,
                    first=first,
                    last=last,
                )
            )
    # Best first, as ORDER BY score DESC, id DESC would put them, after the cursor's position.
    best = sorted(((score, doc_id) for doc_id, score in candidates.items()), reverse=True)
    if after is not None:
        best = [(s, i) for s, i in best if s < after[0] or (s == after[0] and i < after[1])]
    return [(doc_id, score) for score, doc_id in best[:limit]]


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
