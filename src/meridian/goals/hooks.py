"""What the goals area plugs into the others: its page in the navigation."""

from meridian.core import registry

registry.nav(
    registry.NavEntry(label="Goals", url_name="goal_list", order=46, current_prefixes=("goal_",))
)
