"""Ranked-choice tallying: 100,000 random ballots over 20 options, IRV and Borda, best of 3.

    .venv/bin/python bench/tally.py
    .venv/bin/python bench/tally.py --ballots 200000 --options 30 --partial

It generates the ballots from a fixed seed (each a random ordering of all the options as
option-id strings, the way the decisions service passes stored stances; with ``--partial``
each ranks a random 1 to all of them), then times meridian.decisions.tally in this process:
``tally_irv`` and ``tally_borda`` on their own (each validating and grouping the ballots
itself), and ``tally_ranked``, which the product calls on close and which does both from one
pass over the ballots. Random ballots are almost all distinct, so grouping identical ones
saves nothing here: this is the worst case for the tally, not the typical one.

Target: IRV + Borda (timed separately, added up) ≤ 1,000 ms. Exit code 0 when met, 1 when not.
``measure()`` returns the figures for bench/run.py.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from meridian.decisions.tally import tally_borda, tally_irv, tally_ranked  # noqa: E402

TARGET_MS = 1000.0
SEED = 20260401


def make_ballots(
    ballots: int, options: int, *, partial: bool = False, seed: int = SEED
) -> tuple[list[str], list[tuple[str, ...]]]:
    """The option ids and ``ballots`` random rankings of them, the same for the same seed."""
    rng = random.Random(seed)
    ids = [f"option-{i:02d}" for i in range(1, options + 1)]
    made = []
    for _ in range(ballots):
        ranking = rng.sample(ids, options)
        if partial:
            ranking = ranking[: rng.randint(1, options)]
        made.append(tuple(ranking))
    return ids, made


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs of ``fn``, in milliseconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(
    ballots: int = 100_000, options: int = 20, *, partial: bool = False, repeats: int = 3
) -> dict[str, Any]:
    """Time IRV, Borda and both together on generated ballots; the figures and the verdict."""
    ids, data = make_ballots(ballots, options, partial=partial)
    seed = "bench"
    load_at_start = os.getloadavg()[0]
    irv = tally_irv(ids, data, seed=seed)
    irv_ms = best_ms(lambda: tally_irv(ids, data, seed=seed), repeats)
    borda_ms = best_ms(lambda: tally_borda(ids, data, seed=seed), repeats)
    ranked_ms = best_ms(lambda: tally_ranked(ids, data, seed=seed), repeats)
    total = irv_ms + borda_ms
    return {
        "ballots": ballots,
        "options": options,
        "partial": partial,
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "irv_rounds": len(irv.rounds),
        "irv_ms": round(irv_ms, 1),
        "borda_ms": round(borda_ms, 1),
        "irv_plus_borda_ms": round(total, 1),
        "ranked_ms": round(ranked_ms, 1),
        "target": f"IRV + Borda ≤ {TARGET_MS:,.0f} ms",
        "passed": total <= TARGET_MS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--options", type=int, default=20)
    parser.add_argument("--partial", action="store_true", help="rank 1 to all options at random")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the best counts")
    args = parser.parse_args(argv)
    r = measure(args.ballots, args.options, partial=args.partial, repeats=args.repeats)
    kind = "partial" if r["partial"] else "complete"
    print(
        f"==> {r['ballots']:,} random {kind} rankings over {r['options']} options, "
        f"best of {r['repeats']}; {r['cpus']} CPUs, load average {r['load_average'][0]:.2f} "
        f"at start, {r['load_average'][1]:.2f} at end"
    )
    print(f"IRV ({r['irv_rounds']} rounds)     {r['irv_ms']:>8.1f} ms")
    print(f"Borda                {r['borda_ms']:>8.1f} ms")
    print(f"IRV + Borda          {r['irv_plus_borda_ms']:>8.1f} ms")
    print(f"tally_ranked (both)  {r['ranked_ms']:>8.1f} ms")
    print(f"{'PASS' if r['passed'] else 'FAIL'}  {r['target']}: {r['irv_plus_borda_ms']:.1f} ms")
    return 0 if r["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
