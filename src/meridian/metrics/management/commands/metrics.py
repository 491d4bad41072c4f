"""``meridian metrics rebuild``: backfill the built-in facts and recompute every rollup."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from meridian.metrics.services import metrics_rebuild
from meridian.workspaces.models import Workspace


@contextmanager
def rebuild_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per workspace, facts done of its facts: ``step(slug, done, total)``
    (the rebuild's ``progress``; bench/metrics.py shows the same one)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=None,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def step(slug: str, done: int, total: int) -> None:
            if slug not in tasks:
                tasks[slug] = bar.add_task(f"Rollups of {slug}", total=total)
            bar.update(tasks[slug], completed=done, total=total)

        yield step


class Command(BaseCommand):
    help = "Metrics maintenance: `rebuild` recomputes the facts and rollups (with a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--workspace", help="Only this workspace (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = None
        if options["workspace"]:
            ids = list(
                Workspace.objects.filter(slug=options["workspace"]).values_list("pk", flat=True)
            )
            if not ids:
                raise CommandError(f"No workspace “{options['workspace']}”.")
        with rebuild_bar() as step:
            result = metrics_rebuild(workspace_ids=ids, progress=step)
        self.stdout.write(
            f"Rebuilt: {result['facts_changed']} facts written or removed, "
            f"{result['rollup_rows']} rollup rows."
        )
