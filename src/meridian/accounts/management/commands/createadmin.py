"""`meridian createadmin`: create an instance admin who can sign in and start workspaces."""

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meridian.accounts.services import user_create
from meridian.core.errors import MeridianError


class Command(BaseCommand):
    help = "Create an instance admin (password from --password-env or a prompt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password-env",
            default="",
            help="Read the password from this environment variable instead of prompting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The environment variable {options['password_env']} is empty.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            user = user_create(
                email=options["email"], password=password, name=options["name"], is_superuser=True
            )
        except MeridianError as exc:
            raise CommandError(
                "; ".join(m for msgs in exc.errors.values() for m in msgs) or exc.detail
            ) from exc
        self.stdout.write(f"Created admin {user.email}. Sign in and create a workspace at /new/.")
