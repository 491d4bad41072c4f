"""`meridian demo`: build the demo workspace (once) and print how to sign in."""

from typing import Any

from django.core.management.base import BaseCommand

from meridian.workspaces.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_build


class Command(BaseCommand):
    help = "Build the demo workspace (idempotent) and print the demo sign-in."

    def handle(self, *args: Any, **options: Any) -> None:
        workspace, created = demo_build()
        verb = "Built" if created else "Found"
        self.stdout.write(
            f"{verb} the demo workspace “{workspace.name}” "
            f"({workspace.memberships.count()} members).\n"
            f"Sign in at /accounts/login/ as {DEMO_EMAIL} with password {DEMO_PASSWORD}"
        )
