"""The demo workspace `make run` shows: people across time zones, teams, and an admin to sign in as."""

from dataclasses import dataclass

from django.db import transaction

from meridian.accounts.models import User
from meridian.accounts.services import user_create
from meridian.core import registry
from meridian.core.muting import muted
from meridian.workspaces.models import Membership, Role, Workspace
from meridian.workspaces.services import (
    membership_add,
    profile_update,
    team_add_member,
    team_create,
    workspace_create,
)

DEMO_SLUG = "demo"
DEMO_EMAIL = "ada@demo.meridian.test"
DEMO_PASSWORD = "meridian-demo-2026"

H = 60  # minutes per hour

# Weekly patterns, weekday (0 = Monday) -> [start, end) minutes in the person's own zone.
REGULAR = {str(d): [[9 * H, 17 * H]] for d in range(5)}
SPLIT = {str(d): [[8 * H, 12 * H], [14 * H, 18 * H]] for d in range(5)}
EARLY = {str(d): [[7 * H, 15 * H]] for d in range(5)}
LATE = {str(d): [[11 * H, 19 * H + 30]] for d in range(5)}
FOUR_DAYS = {str(d): [[9 * H, 18 * H]] for d in range(4)}
SUN_THU = {str(d): [[9 * H, 17 * H]] for d in (6, 0, 1, 2, 3)}
MORNING_FOCUS = {str(d): [[9 * H, 11 * H]] for d in range(5)}


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    zone: str
    hours: dict[str, list[list[int]]]
    teams: tuple[str, ...]
    role: Role = Role.MEMBER
    focus: dict[str, list[list[int]]] | None = None


PEOPLE = [
    Person(
        "Ada Okafor", "CEO", "Europe/Berlin", REGULAR, ("Leadership",), Role.ADMIN, MORNING_FOCUS
    ),
    Person(
        "Bruno Costa",
        "Head of Engineering",
        "America/Sao_Paulo",
        SPLIT,
        ("Leadership", "Platform"),
        Role.ADMIN,
    ),
    Person(
        "Chen Wei", "Staff Engineer", "Asia/Shanghai", REGULAR, ("Platform",), focus=MORNING_FOCUS
    ),
    Person("Divya Nair", "Engineer", "Asia/Kolkata", LATE, ("Platform",)),
    Person("Emeka Eze", "Engineer", "Africa/Lagos", REGULAR, ("Platform",)),
    Person("Freya Lind", "Engineer", "Europe/Stockholm", FOUR_DAYS, ("Platform",)),
    Person("Gabriel Roux", "SRE", "Europe/Paris", EARLY, ("Platform",)),
    Person("Hana Sato", "Designer", "Asia/Tokyo", REGULAR, ("Product",)),
    Person("Ines Duarte", "Product Manager", "Europe/Lisbon", SPLIT, ("Product", "Leadership")),
    Person("Jonah Miller", "Designer", "America/New_York", REGULAR, ("Product",)),
    Person("Kiri Walker", "Researcher", "Pacific/Auckland", EARLY, ("Product",)),
    Person("Leila Haddad", "Engineer", "Asia/Dubai", SUN_THU, ("Product",)),
    Person("Mateo Rojas", "Support Lead", "America/Bogota", REGULAR, ("Customers",)),
    Person("Nadia Petrova", "Support", "Europe/Sofia", REGULAR, ("Customers",)),
    Person("Oliver Hughes", "Account Manager", "Europe/London", REGULAR, ("Customers",)),
    Person("Priya Shah", "Support", "Asia/Kathmandu", SPLIT, ("Customers",)),
    Person("Quinn Taylor", "Engineer", "America/Los_Angeles", LATE, ("Platform",)),
    Person("Rosa Jiménez", "Finance", "America/Mexico_City", REGULAR, ("Leadership",)),
    Person("Sam Carter", "Engineer", "Australia/Sydney", REGULAR, ("Platform",)),
    Person("Tala Ngata", "Support", "Pacific/Chatham", EARLY, ("Customers",)),
    Person("Uma Reddy", "Data Analyst", "Asia/Kolkata", REGULAR, ("Product",)),
    Person("Victor Dubois", "Engineer", "America/Toronto", FOUR_DAYS, ("Platform",)),
    Person("Wanjiru Kamau", "People Ops", "Africa/Nairobi", REGULAR, ("Leadership",)),
    Person("Xavier Lopez", "Contractor", "America/Chicago", REGULAR, (), Role.GUEST),
    Person("Yara Aziz", "Writer", "Australia/Lord_Howe", SPLIT, ("Product",)),
]

TEAMS = {
    "Leadership": "Sets direction, owns goals, keeps the decision log honest.",
    "Platform": "Builds and runs the product's backbone.",
    "Product": "Research, design and product management.",
    "Customers": "Support and accounts, following the sun.",
}


def _email(name: str) -> str:
    return name.split()[0].lower().replace("é", "e").replace("í", "i") + "@demo.meridian.test"


def demo_email(name: str) -> str:
    """The sign-in email of a demo person (all share DEMO_PASSWORD)."""
    return DEMO_EMAIL if name == PEOPLE[0].name else _email(name)


# Who `meridian demo` suggests signing in as besides Ada: people the demo briefs and
# proposals ask, in different zones, so asking and answering can be tried from both sides.
SUGGESTED = ("Bruno Costa", "Chen Wei", "Ines Duarte", "Mateo Rojas", "Xavier Lopez")


@transaction.atomic
def demo_build() -> tuple[Workspace, bool]:
    """Build the demo workspace once; running it again changes nothing."""
    existing = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing, False
    founder = PEOPLE[0]
    ada = User.objects.filter(email=DEMO_EMAIL).first() or user_create(
        email=DEMO_EMAIL, password=DEMO_PASSWORD, name=founder.name
    )
    workspace = workspace_create(user=ada, name="Meridian Demo Co.", slug=DEMO_SLUG)
    admin = Membership.objects.select_related("profile").get(workspace=workspace, user=ada)
    members: dict[str, Membership] = {founder.name: admin}
    for person in PEOPLE[1:]:
        user = User.objects.filter(email=_email(person.name)).first() or user_create(
            email=_email(person.name), password=DEMO_PASSWORD, name=person.name
        )
        members[person.name] = membership_add(
            workspace=workspace, user=user, role=person.role, display_name=person.name
        )
    for person in PEOPLE:
        m = members[person.name]
        profile_update(
            acting=m,
            member=m,
            title=person.title,
            time_zone=person.zone,
            working_hours=person.hours,
            focus_blocks=person.focus or {},
        )
    teams = {
        name: team_create(acting=admin, name=name, description=text) for name, text in TEAMS.items()
    }
    for person in PEOPLE:
        for team_name in person.teams:
            team_add_member(acting=admin, team=teams[team_name], member=members[person.name])
    # Every area adds its part from its hooks.py (briefs, then the decisions built on them).
    with muted():
        for seeder in registry.demo_seeders():
            seeder.seed(workspace, members)
    return workspace, True
