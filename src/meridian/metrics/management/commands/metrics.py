"""``meridian metrics rebuild``: backfill the built-in facts and recompute every rollup."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from meridian.metrics.services import metrics_rebuild
from meridian.workspaces.models import Workspace


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

            result = metrics_rebuild(workspace_ids=ids, progress=step)
        self.stdout.write(
            f"Rebuilt: {result['facts_changed']} facts written or removed, "
            f"{result['rollup_rows']} rollup rows."
        )
