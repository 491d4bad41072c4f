"""Property tests of the pure logic: cycle finding and readiness checks."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from meridian.handovers.kinds import readiness_score
from meridian.work.graph import cycle_text, dependency_cycle, parent_cycle
from meridian.work.readiness import Facts, readiness_checks

NODES = st.integers(min_value=1, max_value=8)
EDGES = st.lists(st.tuples(NODES, NODES).filter(lambda e: e[0] != e[1]), max_size=20)


def _reaches(edges, start, goal) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for a, b in edges:
            if a == node and b not in seen:
                if b == goal:
                    return True
                seen.add(b)
                todo.append(b)
    return start == goal


@given(EDGES, NODES, NODES)
def test_a_cycle_is_found_exactly_when_the_blocked_task_already_reaches_the_blocker(edges, a, b):
    cycle = dependency_cycle(edges, a, b)
    if a == b:
        assert cycle == [a, a]
        return
    assert bool(cycle) == _reaches(edges, b, a)
    if cycle:
        # It reads blocker → blocked → … → blocker, and each step is a real edge.
        assert cycle[0] == cycle[-1] == a and cycle[1] == b
        steps = list(itertools.pairwise(cycle[1:]))
        assert all(step in set(edges) for step in steps)
        assert len(set(cycle[:-1])) == len(cycle) - 1


def test_the_cycle_reads_with_titles():
    assert cycle_text([1, 2, 3, 1], {1: "A", 2: "B", 3: "C"}) == "A → B → C → A"


@given(st.dictionaries(NODES, st.one_of(st.none(), NODES)), NODES, st.one_of(st.none(), NODES))
def test_a_parent_loop_is_found_exactly_when_the_new_parent_is_under_the_task(parents, task, new):
    loop = parent_cycle(parents, task, new)
    chain, current, seen = [], new, set()
    under = False
    while current is not None and current not in seen:
        if current == task:
            under = True
            break
        seen.add(current)
        chain.append(current)
        current = parents.get(current)
    assert bool(loop) == under
    if loop:
        assert loop[0] == loop[-1] == task


FACTS = st.builds(
    Facts,
    description=st.text(max_size=5),
    criteria=st.integers(0, 3),
    open_questions=st.integers(0, 3),
    linked=st.integers(0, 3),
    updated_at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    contributors_90d=st.integers(0, 4),
)
NOW = datetime(2026, 12, 31, 12, tzinfo=UTC)


@given(FACTS)
def test_each_check_holds_exactly_when_its_fact_does_and_the_score_follows(facts):
    checks = {c.key: c for c in readiness_checks(facts, NOW)}
    assert list(checks) == [
        "description",
        "criteria",
        "no_open_questions",
        "linked",
        "recent",
        "contributors",
    ]
    assert checks["description"].ok == bool(facts.description.strip())
    assert checks["criteria"].ok == (facts.criteria > 0)
    assert checks["no_open_questions"].ok == (facts.open_questions == 0)
    assert checks["linked"].ok == (facts.linked > 0)
    assert checks["recent"].ok == (NOW - facts.updated_at <= timedelta(days=14))
    assert checks["contributors"].ok == (facts.contributors_90d > 1)
    held = sum(c.ok for c in checks.values())
    assert readiness_score(list(checks.values())) == (held * 200 + 6) // 12
    assert all(c.missing for c in checks.values() if not c.ok)
