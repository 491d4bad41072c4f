"""Search: 100,000 decision records and 1,000,000 comments, 200 queries, p95 ≤ 15 ms.

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_search
    .venv/bin/python bench/search.py --records 10000 --comments 100000 --queries 100

The database is made fresh: a SQLite file in ``var/bench-search/`` (``--data-dir``), or the
PostgreSQL database named by ``--database-url``, which is dropped and created again (its name
must contain "bench"). After ``migrate``, one workspace and its admin are made through the real
services, then the documents go straight into the search table (SQLite: ``executemany``, with
the FTS5 triggers indexing each row as in production; PostgreSQL: ``COPY``, with the GIN indexes
built afterwards as a restore would, then ``VACUUM ANALYZE``).

The text is generated from a fixed seed: a vocabulary of 30,000 words — English function
words, then about 400 words of a software company's work, then invented words — drawn with
Zipf frequencies (the n-th most common word has weight 1/n), in sentences of twelve words.
Decision records have a title of 4–9 words and 80–300 words of text; comments 3–120 words
(log-normal, median ~27). Decision records and comments are interleaved, oldest first.

Queries are what a person remembers of something they read: a random document's 1–3
consecutive words that are not function words ("the", "of", "which"…), and in a quarter of
them the last word cut to its first 4+ letters, as it is while typing. Each query goes through ``search_for`` in this process as the
workspace's admin, with the product's defaults (20 hits, snippets, the last word matched as a
beginning), after 50 other, uncounted queries made the same way. A second, untargeted set
searches the 30 most common domain words one by one, and 60 of the realistic queries are
asked of the search page itself (server time: the whole Django stack and the template, in
this process with the test client). ``--reuse`` queries the last run's
database again without building it. The queries run ``--rounds`` times (3); the round with
the median p95 is reported, each round's p95 beside it.

Target (issue 8): p95 ≤ 15 ms (it was 50 ms). Exit code 0 when met, 1 when not.
``measure()`` returns the figures for bench/run.py; every run writes bench/results/search-<engine>.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import random
import re
import shlex
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-search"
RESULTS = ROOT / "bench" / "results"
TARGET_P95_MS = 15.0
SEED = 20260401
WARMUP = 50
PAGE_QUERIES = 60  # of the realistic queries, also asked of the search page

FUNCTION_WORDS = (  # noqa: SIM905 (a list of words reads better as text)
    "the of and to a in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if so "
    "no will can more about out up what them into than then some could only other time new "
    "these two may first any like now our my over such also after most should very just where "
    "its how before here through each those much well because does both still own being while "
    "off again why same did under never few once already yet"
).split()
DOMAIN_WORDS = (  # noqa: SIM905 (a list of words reads better as text)
    "team release customer design review plan decision product meeting feedback data support "
    "deploy deployment pricing customers onboarding latency database migration budget hiring "
    "roadmap quarter launch feature features proposal outcome rationale option options vote "
    "consent objection block advice teams engineering sales marketing finance security privacy "
    "compliance audit incident postmortem outage rollback staging production api endpoint "
    "mobile web android ios desktop dashboard analytics metrics retention churn revenue growth "
    "experiment hypothesis test tests testing coverage performance benchmark cache caching "
    "queue worker scheduler timezone calendar meetings async remote office travel offsite "
    "contract vendor license invoice billing subscription plans tier enterprise startup "
    "partner partners integration slack email notification notifications digest reminder "
    "deadline deadlines owner owners stakeholder stakeholders priority priorities scope "
    "estimate estimates sprint backlog ticket tickets bug bugs fix regression refactor "
    "architecture service services monolith microservice kubernetes docker terraform cloud "
    "region regions europe america asia throughput capacity storage backup backups encryption "
    "token tokens password login signup sso oauth saml accessibility keyboard screen reader "
    "contrast theme dark light font typography layout navigation search index ranking snippet "
    "query filter export import csv json markdown editor comment comments thread reply mention "
    "question answer brief briefs recording video audio caption transcript upload download "
    "share link links permission permissions role roles admin guest member members invitation "
    "policy handbook guideline process workflow handover offboarding payroll benefits salary "
    "equity vacation leave holiday wellbeing burnout mentoring career promotion ladder "
    "interview candidate candidates recruiter offer headcount forecast spreadsheet report "
    "reports quarterly annual goal goals okr okrs milestone milestones risk risks dependency "
    "dependencies blocker blockers tradeoff tradeoffs cost costs savings spend procurement "
    "legal gdpr certification pilot beta alpha rollout flag flags toggle sunset deprecate "
    "deprecation legacy rewrite prototype mockup wireframe research survey persona journey "
    "funnel conversion landing copy brand logo website blog newsletter webinar conference "
    "community forum docs documentation changelog version versions upgrade downgrade python "
    "django postgres sqlite redis rust golang typescript react htmx frontend backend infra "
    "platform pipeline warehouse model training inference gpu sla slo uptime paging oncall "
    "rotation escalation runbook alert alerts monitoring logging tracing observability"
).split()
COMMON = len(FUNCTION_WORDS)  # "the", "of", "which"…: words nobody searches for
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sl sp ch sh th pl bl cl"
_VOWELS = "a e i o u ai ea ou io ie"
_CODAS = ["", "", "n", "r", "s", "l", "t", "m", "nd", "st", "rk", "ng", "x"]


def vocabulary(size: int = 30_000, seed: int = SEED) -> list[str]:
    """Words from the most to the least common: function words, domain words, invented words."""
    rng = random.Random(seed)
    words = list(dict.fromkeys(FUNCTION_WORDS + DOMAIN_WORDS))
    known = set(words)
    onsets, vowels = _ONSETS.split(), _VOWELS.split()
    invented: set[str] = set()
    while len(words) + len(invented) < size:
        syllables = rng.choice((2, 2, 3, 3, 4))
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        word += rng.choice(_CODAS)
        if word not in known:
            invented.add(word)
    tail = sorted(invented)
    rng.shuffle(tail)
    return words + tail


class Writer:
    """Sentences of Zipf-distributed words from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.weights = list(itertools.accumulate(1 / r for r in range(1, len(self.words) + 1)))
        self.topical = self.words[COMMON:]
        self.topical_weights = list(
            itertools.accumulate(1 / r for r in range(1, len(self.topical) + 1))
        )

    def text(self, n: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.weights, k=n)
        return " ".join(
            " ".join(words[i : i + 12]).capitalize() + "." for i in range(0, len(words), 12)
        )

    def title(self, n: int) -> str:
        words = self.rng.choices(self.topical, cum_weights=self.topical_weights, k=n)
        return " ".join(words).capitalize()


def documents(
    workspace_id: int, workspace_slug: str, records: int, comments: int, seed: int
) -> Iterator[tuple[Any, ...]]:
    """Rows for the search table, decision records and comments interleaved, oldest first."""
    writer = Writer(seed)
    rng = writer.rng
    total = records + comments
    start = datetime(2023, 1, 2, tzinfo=UTC)
    step = timedelta(days=3 * 365) / max(total, 1)
    left = {"decision": records, "comment": comments}
    record_id = 0
    for n in range(total):
        kind = (
            "decision"
            if rng.random() * (left["decision"] + left["comment"]) < left["decision"]
            else "comment"
        )
        left[kind] -= 1
        created = start + step * n
        if kind == "decision":
            record_id += 1
            title = writer.title(rng.randint(4, 9))
            body = writer.text(rng.randint(80, 300))
            yield (
                workspace_id, "decision", record_id, None, title, body, "",
                f"/w/{workspace_slug}/decisions/log/{record_id}/", "", created, created,
            )  # fmt: skip
        else:
            words = min(120, max(3, int(rng.lognormvariate(3.3, 0.6))))
            parent = rng.randint(1, max(record_id, 1))
            yield (
                workspace_id, "comment", n + 1, parent, "", writer.text(words),
                f"Decision record {parent}", f"/w/{workspace_slug}/decisions/{parent}/#c{n + 1}",
                "", created, created,
            )  # fmt: skip


COLUMNS = (
    "workspace_id, kind, object_id, parent_id, title, body, context, url, audience, "
    "created_at, indexed_at"
)


def load(rows: Iterator[tuple[Any, ...]], *, batch: int = 20_000) -> int:
    """Bulk-insert the rows into the search table of the configured database; returns how many."""
    from django.db import connection, transaction

    count = 0
    if connection.vendor == "postgresql":
        migration = import_module("meridian.search.migrations.0002_postgres_match_index")
        indexes = migration.INDEXES
        with connection.cursor() as cursor:
            for name in indexes:
                cursor.execute(f"DROP INDEX {name}")
            copy_sql = f"COPY search_searchdocument ({COLUMNS}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for sql in [*indexes.values(), *migration.STATISTICS]:
                cursor.execute(sql)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_searchdocument")
        return count
    sql = f"INSERT INTO search_searchdocument ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
    stored = connection.ops.adapt_datetimefield_value
    while True:
        chunk = [(*r[:9], stored(r[9]), stored(r[10])) for r in itertools.islice(rows, batch)]
        if not chunk:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, chunk)
        count += len(chunk)
        if count % 200_000 < batch:
            print(f"    {count:,} documents", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        cursor.execute("ANALYZE")
    return count


_WORD = re.compile(r"[a-z]+")


def make_queries(n: int, seed: int) -> list[str]:
    """What people type: 1–3 remembered words of a random document, some cut short."""
    from meridian.search.models import SearchDocument

    rng = random.Random(seed)
    common = set(vocabulary()[:COMMON])
    last = SearchDocument.objects.order_by("-id").values_list("id", flat=True).first() or 0
    queries: list[str] = []
    while len(queries) < n:
        doc = (
            SearchDocument.objects.filter(id__gte=rng.randint(1, last))
            .order_by("id")
            .values("title", "body")
            .first()
        )
        if doc is None:
            continue
        source = doc["title"] if doc["title"] and rng.random() < 0.3 else doc["body"]
        words = [w for w in _WORD.findall(source.lower()) if w not in common]
        if not words:
            continue
        k = min(len(words), rng.choice((1, 1, 2, 2, 3)))
        first = rng.randrange(len(words) - k + 1)
        terms = words[first : first + k]
        if rng.random() < 0.25 and len(terms[-1]) > 4:
            terms[-1] = terms[-1][: rng.randint(4, len(terms[-1]) - 1)]
        queries.append(" ".join(terms))
    return queries


def _percentile(sorted_ms: Sequence[float], p: float) -> float:
    index = max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)
    return sorted_ms[index]


def _summary(timed: list[tuple[float, str, int]]) -> dict[str, Any]:
    ms = sorted(t for t, _, _ in timed)
    return {
        "queries": len(timed),
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "p99_ms": round(_percentile(ms, 99), 1),
        "max_ms": round(ms[-1], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "with_hits": sum(1 for _, _, h in timed if h),
        "load_average": round(os.getloadavg()[0], 2),
        "slowest": [
            {"q": q, "ms": round(t, 1), "hits": h} for t, q, h in sorted(timed, reverse=True)[:5]
        ],
    }


def run_queries(
    queries: Sequence[str], *, warmup: Sequence[str] = (), rounds: int = 1
) -> dict[str, Any]:
    """Time each query through search_for as the workspace's admin, after the warm-up ones.

    With several rounds (the same queries again), the round with the median p95 is reported,
    so that a burst of load from other processes on the machine does not decide the verdict.
    """
    from meridian.search.selectors import search_for
    from meridian.workspaces.models import Membership

    viewer = Membership.objects.select_related("workspace").order_by("id").first()
    assert viewer is not None
    for q in warmup:
        search_for(viewer=viewer, q=q)
    summaries = []
    for _ in range(rounds):
        timed: list[tuple[float, str, int]] = []
        for q in queries:
            started = time.perf_counter()
            hits = len(search_for(viewer=viewer, q=q))
            timed.append(((time.perf_counter() - started) * 1000, q, hits))
        summaries.append(_summary(timed))
    median = sorted(summaries, key=lambda r: r["p95_ms"])[(rounds - 1) // 2]
    return {
        **median,
        "rounds": [
            {k: r[k] for k in ("p50_ms", "p95_ms", "p99_ms", "load_average")} for r in summaries
        ],
    }


def page_times(queries: Sequence[str], *, warmup: Sequence[str] = ()) -> dict[str, Any]:
    """The search page's own server time: each query as a GET through Django's whole stack.

    Middleware, session, the admin's membership, ``search_for``, the template: in this
    process with the test client (no network, no web server), signed in as the admin.
    """
    from django.test import Client

    from meridian.workspaces.models import Membership

    viewer = Membership.objects.select_related("workspace", "user").order_by("id").first()
    assert viewer is not None
    browser = Client()
    browser.force_login(viewer.user)
    url = f"/w/{viewer.workspace.slug}/search/"
    for q in warmup:
        browser.get(url, {"q": q})
    timed: list[tuple[float, str, int]] = []
    for q in queries:
        started = time.perf_counter()
        response = browser.get(url, {"q": q})
        timed.append(((time.perf_counter() - started) * 1000, q, response.status_code))
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}?q={q} answered {response.status_code}")
    summary = _summary(timed)
    summary.pop("with_hits")
    return summary


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def measure(
    *,
    records: int = 100_000,
    comments: int = 1_000_000,
    queries: int = 200,
    database_url: str = "",
    data_dir: Path = DEFAULT_DATA_DIR,
    seed: int = SEED,
    reuse: bool = False,
    rounds: int = 3,
) -> dict[str, Any]:
    """Build the data (unless reusing the last run's), run the queries, return the figures."""
    host = machine()
    if reuse:
        database = f"the last run's database ({database_url or data_dir})"
    else:
        database = fresh_database(data_dir=data_dir, database_url=database_url)
    os.environ["MERIDIAN_ALLOWED_HOSTS"] = "testserver"  # the test client's host name
    os.environ["MERIDIAN_STATIC_MANIFEST"] = "false"  # pages without collectstatic
    (data_dir / "static").mkdir(parents=True, exist_ok=True)
    configure(data_dir=data_dir, database_url=database_url)
    from django.core.management import call_command
    from django.db import connection

    from meridian.accounts.models import User
    from meridian.search.models import SearchDocument
    from meridian.workspaces.services import workspace_create

    started = time.monotonic()
    if reuse:
        count = SearchDocument.objects.count()
        records = SearchDocument.objects.filter(kind="decision").count()
        comments = count - records
    else:
        call_command("migrate", interactive=False, verbosity=0)
        owner = User.objects.create_user(email="admin@bench.example", password="bench-password-x")
        ws = workspace_create(user=owner, name="Bench Company", slug="bench-search")
        print(f"==> {database}: loading {records:,} decision records and {comments:,} comments")
        count = load(documents(ws.pk, ws.slug, records, comments, seed))
    load_s = time.monotonic() - started
    size = _database_size()
    print(f"    {count:,} documents in {load_s:.0f} s; database {size / 1e6:,.0f} MB", flush=True)
    # The warm-up queries are other ones than those timed: a server that has been answering
    # searches has the index's upper pages in memory, not the pages of the next query.
    main = run_queries(
        make_queries(queries, seed + 1), warmup=make_queries(WARMUP, seed + 2), rounds=rounds
    )
    stress = run_queries(DOMAIN_WORDS[:30], rounds=rounds)
    page = page_times(make_queries(PAGE_QUERIES, seed + 1), warmup=make_queries(10, seed + 2))
    version = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if version == "sqlite" else "SHOW server_version")
        version += " " + str(cursor.fetchone()[0])
    host["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return {
        "engine": version,
        "database": database,
        "documents": count,
        "records": records,
        "comments": comments,
        "load_seconds": round(load_s, 1),
        "database_mb": round(size / 1e6),
        "machine": host,
        "results": main,
        "common_words": stress,
        "page": page,
        "target": f"p95 ≤ {TARGET_P95_MS:.0f} ms",
        "passed": main["p95_ms"] <= TARGET_P95_MS,
    }


def _database_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        return int(cursor.fetchone()[0])


def _report(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:<28} p50 {r['p50_ms']:>6.1f}  p95 {r['p95_ms']:>6.1f}  p99 {r['p99_ms']:>6.1f}  "
        f"max {r['max_ms']:>6.1f} ms  ({r['queries']} queries, {r['with_hits']} with hits)"
    )
    rounds = ", ".join(f"{x['p95_ms']} ms (load {x['load_average']})" for x in r["rounds"])
    print(f"    p95 of each round: {rounds}")
    for s in r["slowest"][:3]:
        print(f"    {s['ms']:>7.1f} ms  {s['q']!r} ({s['hits']} hits)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="decision records")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--reuse", action="store_true", help="query the database of the last run, as it is"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of the queries; median counts")
    args = parser.parse_args(argv)
    if min(args.records, args.comments) < 0 or min(args.queries, args.rounds) < 1:
        parser.error("--records and --comments must be 0 or more, --queries and --rounds 1 or more")
    r = measure(
        records=args.records,
        comments=args.comments,
        queries=args.queries,
        database_url=args.database_url,
        data_dir=args.data_dir.resolve(),
        seed=args.seed,
        reuse=args.reuse,
        rounds=args.rounds,
    )
    r["command"] = "bench/search.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    m = r["machine"]
    print(
        f"==> {r['engine']}; {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}, "
        f"load {m['load_average_at_start']:.2f} at start, {m['load_average_at_end']:.2f} at end"
    )
    _report("realistic queries", r["results"])
    _report("30 most common domain words", r["common_words"])
    p = r["page"]
    print(
        f"{'search page, server time':<28} p50 {p['p50_ms']:>6.1f}  p95 {p['p95_ms']:>6.1f}  "
        f"p99 {p['p99_ms']:>6.1f}  max {p['max_ms']:>6.1f} ms  ({p['queries']} queries)"
    )
    print(f"{'PASS' if r['passed'] else 'FAIL'}  search {r['target']}: {r['results']['p95_ms']} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"search-{r['engine'].split()[0]}.json"
    out.write_text(json.dumps(r, indent=2, default=str) + "\n")
    print(f"Wrote {out.relative_to(ROOT)}")
    return 0 if r["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
