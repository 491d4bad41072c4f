"""`meridian demo`: build the demo workspace (once) and print how to sign in."""

from typing import Any

from django.core.management.base import BaseCommand

from meridian.workspaces.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    PEOPLE,
    SUGGESTED,
    demo_build,
    demo_email,
)


class Command(BaseCommand):
    help = "Build the demo workspace (idempotent) and print the demo sign-ins."

    def handle(self, *args: Any, **options: Any) -> None:
        workspace, created = demo_build()
        verb = "Built" if created else "Found"
        people = {p.name: p for p in PEOPLE}
        others = [people[name] for name in SUGGESTED]
        width = max(len(demo_email(p.name)) for p in others)
        lines = [
            f"{verb} the demo workspace “{workspace.name}” "
            f"({workspace.memberships.count()} members).",
            f"Sign in at /accounts/login/ as {DEMO_EMAIL} with password {DEMO_PASSWORD}",
            "To ask and answer as someone else, sign in (e.g. in a private window) as:",
            *(
                f"  {demo_email(p.name):<{width}}  {p.name}, {p.title} "
                f"({p.role.label.lower()}, {p.zone})"
                for p in others
            ),
            f"Every demo member signs in as <first name>@demo.meridian.test, "
            f"password {DEMO_PASSWORD}.",
        ]
        self.stdout.write("\n".join(lines))
