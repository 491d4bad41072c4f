"""What the roles area plugs into the others: its page in the navigation, role documents for
search, the rota job, its demo data, its notification kinds and inbox source, and roles as a
kind of item that can be handed over."""

from datetime import datetime

from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.core.scheduler import Job
from meridian.handovers.kinds import HandoverKind, handover_kind
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.roles import handover, schedule, search
from meridian.roles.demo import demo_roles
from meridian.roles.services import member_departed
from meridian.search.registry import Kind
from meridian.workspaces.models import Membership

registry.nav(
    registry.NavEntry(
        label="Roles", url_name="role_list", order=27, current_prefixes=("role_",), group="Work"
    )
)

registry.register(registry.SEARCH_DOCUMENTS, Kind("role", "Role", "Roles", search.role_documents))

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.rota_turns_due))

registry.demo_seeder(registry.DemoSeeder(name="roles", order=45, seed=demo_roles))

registry.notification_kind(
    NotificationKind("roles.assigned", "You now hold a role (assigned, rota or handover)", "now")
)

inbox_source(
    InboxSource(
        "roles.role",
        "Roles you hold",
        "{actor} made you a holder of this role",
        reason_without_actor="Your turn on the rota: you hold this role now",
    )
)

handover_kind(
    HandoverKind(
        kind="role",
        noun="role",
        titles=handover.titles,
        url=handover.role_url,
        owned=handover.owned,
        owners=handover.owners,
        packet=handover.packet,
        transfer=handover.transfer,
        readiness=handover.readiness,
        order=30,
    )
)


def _departed(member: Membership, now: datetime) -> None:
    member_departed(member=member, now=now)


# A member who leaves holds nothing more, and the rotas go on without them.
registry.register(registry.MEMBER_DEACTIVATED, _departed)
