"""Pure logic of task dependencies and subtasks: finding the cycle a new edge would close.

No ORM here: the services load the workspace's edges (one query) and ask these functions,
which the tests check with hypothesis against a brute-force search.
"""

from collections import deque
from collections.abc import Iterable, Mapping


def dependency_cycle(edges: Iterable[tuple[int, int]], blocker: int, blocked: int) -> list[int]:
    """The cycle that ``blocker`` blocks ``blocked`` would close, or [] when there is none.

    ``edges`` are the existing (blocker, blocked) pairs. The cycle is returned as the tasks in
    blocking order, starting and ending with ``blocker``: [A, B, C, A] reads "A → B → C → A"
    (A blocks B, B blocks C, C blocks A). The shortest such cycle is chosen.
    """
    if blocker == blocked:
        return [blocker, blocker]
    blocks: dict[int, list[int]] = {}
    for a, b in edges:
        blocks.setdefault(a, []).append(b)
    # Breadth-first from ``blocked`` along "blocks": reaching ``blocker`` closes the cycle.
    came_from: dict[int, int] = {blocked: blocked}
    queue = deque([blocked])
    while queue:
        current = queue.popleft()
        for nxt in blocks.get(current, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = current
            if nxt == blocker:
                path = [blocker]
                while path[-1] != blocked:
                    path.append(came_from[path[-1]])
                path.reverse()  # blocked … blocker
                return [blocker, *path]
            queue.append(nxt)
    return []


def parent_cycle(parents: Mapping[int, int | None], task: int, new_parent: int | None) -> list[int]:
    """The loop that making ``new_parent`` the parent of ``task`` would close, or [].

    ``parents`` maps each task to its current parent. The loop is returned from ``task`` up
    to ``task`` again: [A, P, A] reads "A is under P, which is under A".
    """
    if new_parent is None:
        return []
    chain = [task, new_parent]
    seen = {task}
    current: int | None = new_parent
    while current is not None:
        if current == task:
            return chain
        if current in seen:  # an older loop not through ``task``: not this edit's doing
            return []
        seen.add(current)
        current = parents.get(current)
        if current is not None:
            chain.append(current)
    return []


def cycle_text(cycle: list[int], titles: Mapping[int, str]) -> str:
    """ "A → B → C → A" with each task's title (its number when it has none)."""
    return " → ".join(titles.get(task, f"#{task}") for task in cycle)
