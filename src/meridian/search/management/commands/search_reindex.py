"""`meridian search_reindex`: rebuild the search index from the areas' own tables."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meridian.core.errors import MeridianError
from meridian.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the search index of every registered kind (or of those named) from its area."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", action="append", dest="kinds", help="only this kind (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = search_reindex(kinds=options["kinds"])
        except MeridianError as exc:
            raise CommandError(exc.detail) from exc
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} document{'s' if count != 1 else ''} indexed")
