"""Handovers: packet assembly (p50/p95) and "hand over everything" with 1,000 items.

    .venv/bin/python bench/handovers.py
    .venv/bin/python bench/handovers.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/handovers.py --demo     # also the packets of the registered kinds

It makes a fresh database (SQLite in ``var/bench-handovers/`` or the PostgreSQL database
given, whose name must contain "bench") with a workspace of 20 people (bench/generate.py), and
installs the briefs-based test kind of tests/handovers/kinds.py beside whatever kinds the areas
registered (tasks, projects, roles). Then, in this process:

- **packet**: a brief with 100 comments (half of them unanswered questions), its packet
  assembled ``--repeats`` times through the kind: median and p95. With ``--demo`` the demo
  workspace is built as well (``meridian demo``, through the areas' own seeders) and the packet
  of every item each registered kind says a demo member holds is timed the same way, per kind.
- **bulk**: one member holds ``--items`` open briefs (1,000 by default); everything is handed
  over to four people, spread in turn: ``handover_bulk_start`` (checks, the batch row) and the
  background run (``handover_batch_run``) timed together, with the number of SQL queries.

Targets (issue 10): a packet ≤ 30 ms, bulk handover of 1,000 items ≤ 5 s. Exit code 0 when
met, 1 when not. Results go to bench/results/handovers.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, describe, fresh_database, generate  # noqa: E402
from bench.timing import sample_ms, summary, timings  # noqa: E402

PACKET_TARGET_MS = 30.0
BULK_TARGET_S = 5.0


def _brief_with_thread(author: Any, others: list[Any], comments: int) -> Any:
    from meridian.briefs.models import Brief, Comment
    from meridian.core.markdown import render_markdown

    body = "Move billing to the **new** vendor.\n\n- contract\n- export\n- invoices"
    brief = Brief.objects.create(
        workspace_id=author.workspace_id,
        author=author,
        title="Vendor migration",
        body=body,
        body_html=render_markdown(body),
        questions=["Is the export final?", "Who signs?", "Old invoices?"],
    )
    Comment.objects.bulk_create(
        Comment(
            workspace_id=author.workspace_id,
            brief=brief,
            author=others[i % len(others)],
            body=f"Comment {i} with *some* Markdown.",
            body_html=render_markdown(f"Comment {i} with *some* Markdown."),
            is_question=i % 2 == 0,
        )
        for i in range(comments)
    )
    return brief


def measure(*, items: int, repeats: int, demo: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tests.handovers.factories import many_briefs
    from tests.handovers.kinds import BRIEF_KIND

    from meridian.core import registry
    from meridian.core.muting import muted
    from meridian.handovers.kinds import HANDOVER_KINDS, handover_kinds
    from meridian.handovers.models import Handover
    from meridian.handovers.services import bulk_assign, handover_batch_run, handover_bulk_start
    from meridian.workspaces.models import Membership

    results: dict[str, Any] = {"packet": {}, "bulk": {}}
    registered = list(handover_kinds().values())
    people = list(
        Membership.objects.select_related("profile", "workspace")
        .filter(workspace__slug="bench-1", is_active=True)
        .order_by("pk")[:6]
    )
    author, receivers = people[0], people[1:5]
    with registry.replaced(HANDOVER_KINDS, [*registered, BRIEF_KIND]):
        brief = _brief_with_thread(author, receivers, 100)
        results["packet"]["brief (100 comments)"] = timings(
            lambda: BRIEF_KIND.packet(author, brief.pk), repeats
        )
        if demo:
            from meridian.workspaces.demo import demo_build

            workspace, _ = demo_build()
            demo_people = list(Membership.objects.filter(workspace=workspace, is_active=True))
            for kind in registered:
                held = [(m, pk) for m in demo_people for pk, _ in kind.owned(workspace.pk, m.pk)]
                if not held:
                    continue
                samples: list[float] = []
                for member, pk in held:
                    samples += sample_ms(
                        lambda k=kind, m=member, p=pk: k.packet(m, p),
                        max(1, repeats // 10),
                        warmup=0,
                    )
                results["packet"][f"{kind.kind} (demo, {len(held)} items)"] = summary(samples)

        owner = people[5]
        made = many_briefs(owner, items)
        plan = bulk_assign([("brief", b.pk) for b in made], [m.pk for m in receivers], {})
        with muted(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            batch = handover_bulk_start(actor=owner, member=owner, assignments=plan, note="Leave.")
            handover_batch_run(batch_id=batch.pk)
            seconds = time.perf_counter() - started
        results["bulk"] = {
            "items": items,
            "receivers": len(receivers),
            "seconds": round(seconds, 3),
            "queries": len(queries.captured_queries),
            "handed_over": Handover.objects.filter(batch=batch).count(),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-handovers")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--demo", action="store_true", help="also time the registered kinds")
    args = parser.parse_args(argv)

    database = fresh_database(data_dir=args.data_dir, database_url=args.database_url)
    configure(data_dir=args.data_dir, database_url=args.database_url)
    print(describe(generate(members=20, workspaces=1, database=database)))
    results = measure(items=args.items, repeats=args.repeats, demo=args.demo)
    results["database"] = database
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "handovers.json").write_text(json.dumps(results, indent=2) + "\n")
    packets_ok = all(r["p95_ms"] <= PACKET_TARGET_MS for r in results["packet"].values())
    bulk_ok = results["bulk"]["seconds"] <= BULK_TARGET_S
    print(
        f"packet p95 ≤ {PACKET_TARGET_MS:.0f} ms: {'met' if packets_ok else 'NOT met'}; "
        f"bulk of {args.items} ≤ {BULK_TARGET_S:.0f} s: {'met' if bulk_ok else 'NOT met'}"
    )
    return 0 if packets_ok and bulk_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
