"""The two engines behind search: SQLite FTS5 and PostgreSQL full-text search.

Both answer the same two questions in SQL of their own:

1. ``ranked``: which documents of the workspace match, best first. Ranking every match of a
   common word would cost time in proportion to the whole workspace, so each engine ranks a
   bounded set of candidates: the ``RECENT`` most recent matches in any column, plus the
   ``TITLED`` most recent matches in the title (so the record named after what you search
   for is found however old it is). A query matched by fewer documents than that, which is
   most of them, is ranked in full. The candidates are chosen after the workspace, kind and
   audience filters, so another workspace's documents never take their places.
2. ``highlighted``: the title and a snippet of each of one page of hits, with the matches
   marked (only for that page, never for every match).

Scores are "higher is better" on both: SQLite's ``-bm25()`` with the title weighing ten
times the body; PostgreSQL's ``ts_rank_cd()`` with weight 1.0 for the title (A) and 0.1 for
the body (B), divided by 1 + log(length) so long texts do not win by volume alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from meridian.search.query import ParsedQuery
from meridian.search.text import GREATER_THAN, LESS_THAN, MATCH_END, MATCH_START

RECENT = 2000
TITLED = 500
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


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _filters(scope: Scope, alias: str) -> tuple[str, list[object]]:
    sql, params = f"{alias}.workspace_id = %s", [scope.workspace_id]
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


def _after(after: tuple[float, int] | None) -> tuple[str, list[object]]:
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

_SQLITE_CANDIDATES = """
    SELECT * FROM (
        SELECT search_fts.rowid AS id, -bm25(search_fts, 10.0, 1.0) AS score
        FROM search_fts JOIN search_searchdocument AS d ON d.id = search_fts.rowid
        WHERE search_fts MATCH %s AND {filters}
        ORDER BY search_fts.rowid DESC LIMIT %s
    )"""


def _sqlite_ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None
) -> list[tuple[int, float]]:
    filters, filter_params = _filters(scope, "d")
    candidates = _SQLITE_CANDIDATES.format(filters=filters)
    cursor_sql, cursor_params = _after(after)
    # A title-only match scores its title alone; the same document among the recent
    # matches scores title and body, and the better of the two counts.
    sql = (
        f"SELECT id, MAX(score) AS score FROM ({candidates} UNION ALL {candidates}) "  # noqa: S608 (placeholders only)
        "GROUP BY id"
    )
    sql = f"SELECT id, score FROM ({sql}) {cursor_sql} ORDER BY score DESC, id DESC LIMIT %s"  # noqa: S608
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
    sql = (
        "SELECT rowid, highlight(search_fts, 0, %s, %s), "
        f"snippet(search_fts, 1, %s, %s, '…', {SNIPPET_WORDS}) "
        f"FROM search_fts WHERE search_fts MATCH %s AND rowid IN ({_placeholders(ids)})"  # noqa: S608
    )
    params = [MATCH_START, MATCH_END, MATCH_START, MATCH_END, query.fts5(), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(r[0]): Highlight(title=r[1] or "", snippet=r[2] or "") for r in cursor}


# --- PostgreSQL -----------------------------------------------------------------------------

_TSQUERY = "to_tsquery('english'::regconfig, %s)"
# Weights of {D, C, B, A}: the title is A, the body B. Normalization 1: ÷ (1 + log(length)).
_RANK = f"ts_rank_cd('{{0.1, 0.1, 0.1, 1.0}}'::float4[], d.search_vector, {_TSQUERY}, 1)"
_HEADLINE_OPTIONS = (
    f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", MaxWords={SNIPPET_WORDS}, '
    'MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)
_TITLE_OPTIONS = f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", HighlightAll=true'


def _postgres_ranked(
    query: ParsedQuery, scope: Scope, *, limit: int, after: tuple[float, int] | None
) -> list[tuple[int, float]]:
    filters, filter_params = _filters(scope, "c")
    tsquery = query.tsquery()
    cursor_sql, cursor_params = _after(after)
    # The tsquery is repeated rather than shared in a CTE: as a constant in each place, the
    # planner can see how common its words are and pick the index scan or the bitmap.
    sql = f"""
        SELECT id, score FROM (
            SELECT d.id, {_RANK} AS score
            FROM search_searchdocument AS d
            WHERE d.id IN (
                (SELECT c.id FROM search_searchdocument AS c
                 WHERE c.search_vector @@ {_TSQUERY} AND {filters}
                 ORDER BY c.id DESC LIMIT %s)
                UNION
                (SELECT c.id FROM search_searchdocument AS c
                 WHERE c.title <> '' AND c.title_vector @@ {_TSQUERY} AND {filters}
                 ORDER BY c.id DESC LIMIT %s)
            )
        ) AS ranked {cursor_sql}
        ORDER BY score DESC, id DESC LIMIT %s"""  # noqa: S608 (placeholders only)
    params = [
        tsquery,
        tsquery,
        *filter_params,
        RECENT,
        tsquery,
        *filter_params,
        TITLED,
        *cursor_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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
    params = [stand_ins, _TITLE_OPTIONS, stand_ins, _HEADLINE_OPTIONS, query.tsquery(), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(r[0]): Highlight(title=r[1] or "", snippet=r[2] or "") for r in cursor}
