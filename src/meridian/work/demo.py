"""Demo data of the work area (filled below)."""

from typing import Any


def demo_work(workspace: Any, members: dict[str, Any]) -> None:
    """Projects and tasks for the demo workspace."""
