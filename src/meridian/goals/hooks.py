"""What the goals area plugs into the others: its page in the navigation, and the weekly goal
status in each member's digest (the delivery area asks through registry.DIGEST_SECTIONS)."""

from datetime import date
from typing import Any

from django.urls import reverse

from meridian.core import registry
from meridian.goals.demo import demo_goals
from meridian.goals.selectors import team_goal_summaries

registry.nav(
    registry.NavEntry(
        label="Goals", url_name="goal_list", order=46, current_prefixes=("goal_",), group="Measure"
    )
)


@registry.hook(registry.DIGEST_SECTIONS)
def goal_status_sections(
    wanted: list[tuple[Any, date]],
) -> dict[int, list[registry.DigestSection]]:
    """The week's status of the goals of each recipient's teams and of the workspace."""
    out: dict[int, list[registry.DigestSection]] = {}
    slugs = {member.pk: member.workspace.slug for member, _ in wanted}
    for member_id, groups in team_goal_summaries(wanted).items():
        out[member_id] = [
            registry.DigestSection(
                title=f"Goals this week — {title}",
                lines=tuple(
                    registry.DigestLine(
                        summary.text,
                        reverse(
                            "goal_detail",
                            kwargs={"workspace": slugs[member_id], "goal_id": summary.goal.pk},
                        ),
                    )
                    for summary in summaries
                ),
                order=50,
            )
            for title, summaries in groups
        ]
    return out


# After the metrics' year of history (order 95), so the key results have data on first run.
registry.demo_seeder(registry.DemoSeeder(name="goals", order=96, seed=demo_goals))
