"""Benchmark data: workspaces full of members, in a database of their own.

    .venv/bin/python bench/generate.py --members 1000 --workspaces 1
    .venv/bin/python bench/generate.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench

The database is made fresh on every run: by default a new SQLite file in ``var/bench/``
(``--data-dir``), or the PostgreSQL database named by ``--database-url``, which is dropped and
created again — so its name must contain "bench", a guard against pointing this at real data.

Workspaces, admins and teams are made through the real services (with their audit entries);
the bulk of people, memberships, profiles and team places go in with ``bulk_create`` so that
thousands of members take seconds. ``--members`` counts the members of *each* workspace,
its admin included; every workspace but the first only adds rows the first must not see.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "var" / "bench"
PASSWORD = "bench-password-not-secret"  # every generated person signs in with it

FIRST = (  # noqa: SIM905 (a list of names reads better as text)
    "Ada Alan Amara Ana Aziz Bea Bruno Chen Chiara Dara Diego Elif Emeka Eva Farah Femi Goran "
    "Hana Ines Ivan Jae Jonas Kai Kemal Lars Leila Lena Malik Mei Mira Nadia Nils Noor Oren "
    "Paula Priya Quinn Rafael Rosa Sami Sofia Tariq Tomas Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST = (  # noqa: SIM905 (a list of names reads better as text)
    "Abara Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski Larsen "
    "Moreau Nakamura Okafor Petrov Quispe Rossi Santos Tanaka Urban Vargas Weber Xu Yilmaz "
    "Zhang"
).split()
TITLES = ["", "", "Engineer", "Senior engineer", "Designer", "Product manager", "Support", "Writer"]
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Lisbon",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Los_Angeles",
]
TEAMS = [
    "Platform",
    "Web",
    "Mobile",
    "Data",
    "Design",
    "Support",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Security",
    "Research",
]


@dataclass
class BenchData:
    """What the generator made, and how to act as the first workspace's admin."""

    database: str
    workspaces: list[str]
    admin_email: str
    password: str
    members_per_workspace: int
    users: int = 0
    teams: int = 0
    team_places: int = 0
    invitations: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def configure(*, data_dir: Path, database_url: str = "") -> None:
    """Point Django at the bench database (settings read these variables once, at setup)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["MERIDIAN_DATA_DIR"] = str(data_dir)
    os.environ["MERIDIAN_DATABASE_URL"] = database_url
    os.environ["MERIDIAN_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "meridian.settings"
    import django

    django.setup()


def fresh_database(*, data_dir: Path, database_url: str = "") -> str:
    """Throw away the previous bench database and make an empty one; returns its description."""
    if not database_url:
        db = data_dir / "meridian.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"SQLite {db}"
    url = urlparse(database_url)
    if url.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("--database-url must be a postgres:// URL (SQLite is the default).")
    name = url.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to drop the database {name!r}: the bench database's name must contain "
            "'bench' (e.g. postgres://postgres@127.0.0.1:5432/meridian_bench)."
        )
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"PostgreSQL {url.hostname}:{url.port or 5432}/{name}"


def generate(*, members: int, workspaces: int, seed: int = 1, database: str = "") -> BenchData:
    """Fill the (migrated, empty) database; Django must be configured already."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from meridian.accounts.models import User
    from meridian.workspaces.models import Membership, Profile, Role, TeamMembership
    from meridian.workspaces.services import (
        DEFAULT_HOURS,
        invitation_create,
        team_create,
        workspace_create,
    )

    if members < 1 or workspaces < 1:
        raise SystemExit("--members and --workspaces must be at least 1.")
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    rng = random.Random(seed)
    hashed = make_password(PASSWORD)  # argon2 once, shared: hashing 1,000 times takes a minute
    data = BenchData(
        database=database,
        workspaces=[],
        admin_email="admin1@bench.example",
        password=PASSWORD,
        members_per_workspace=members,
    )
    for w in range(1, workspaces + 1):
        with transaction.atomic():
            admin_user = User.objects.create_user(
                email=f"admin{w}@bench.example", password=PASSWORD, name=f"Bench Admin {w}"
            )
            ws = workspace_create(user=admin_user, name=f"Bench Company {w}", slug=f"bench-{w}")
            admin = Membership.objects.select_related("workspace", "user").get(
                workspace=ws, user=admin_user
            )
            n_teams = min(len(TEAMS), max(1, members // 25))
            teams = [
                team_create(acting=admin, name=TEAMS[t], description=f"The {TEAMS[t]} team.")
                for t in range(n_teams)
            ]
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"person{w}-{i}@bench.example",
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        password=hashed,
                    )
                    for i in range(1, members)
                ],
                batch_size=500,
            )
            roles = [
                Role.ADMIN if i % 20 == 0 else Role.GUEST if i % 10 == 3 else Role.MEMBER
                for i in range(1, members)
            ]
            memberships = Membership.objects.bulk_create(
                [
                    Membership(workspace=ws, user=u, role=r)
                    for u, r in zip(users, roles, strict=True)
                ],
                batch_size=500,
            )
            Profile.objects.bulk_create(
                [
                    Profile(
                        workspace=ws,
                        membership=m,
                        display_name=u.name,
                        title=rng.choice(TITLES),
                        time_zone=rng.choice(ZONES),
                        working_hours=DEFAULT_HOURS,
                        focus_blocks={"0": [[540, 660]], "2": [[540, 660]]} if i % 3 == 0 else {},
                    )
                    for i, (m, u) in enumerate(zip(memberships, users, strict=True))
                ],
                batch_size=500,
            )
            places = []
            for m in [admin, *memberships]:
                for team in rng.sample(teams, k=min(len(teams), rng.choice((1, 1, 2)))):
                    places.append(TeamMembership(workspace=ws, team=team, membership=m))
            TeamMembership.objects.bulk_create(places, batch_size=500)
        for k in range(3):
            invitation_create(acting=admin, email=f"invitee{w}-{k}@bench.example", role=Role.MEMBER)
        data.workspaces.append(ws.slug)
        data.users += len(users) + 1
        data.teams += len(teams)
        data.team_places += len(places)
        data.invitations += 3
    data.seconds = round(time.monotonic() - started, 1)
    return data


def describe(data: BenchData) -> str:
    return (
        f"Made {len(data.workspaces)} workspace(s) × {data.members_per_workspace} members "
        f"({data.users} people, {data.teams} teams, {data.team_places} team places, "
        f"{data.invitations} open invitations) in {data.seconds} s into {data.database}.\n"
        f"Sign in as {data.admin_email} / {data.password} (admin of {data.workspaces[0]}); "
        f"every generated person has the same password."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members per workspace")
    parser.add_argument("--workspaces", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--database-url", default="", help="a postgres:// URL; default SQLite")
    parser.add_argument("--json", action="store_true", help="print what was made as JSON")
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve()
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    configure(data_dir=data_dir, database_url=args.database_url)
    data = generate(
        members=args.members, workspaces=args.workspaces, seed=args.seed, database=database
    )
    if args.json:
        import json

        print(json.dumps(asdict(data), indent=2))
    else:
        print(describe(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
