"""What the dashboards area plugs into the others: its page in the navigation."""

from meridian.core import registry

registry.nav(
    registry.NavEntry(
        label="Dashboards",
        url_name="dashboard_workspace",
        order=44,
        current_prefixes=("dashboard_",),
        group="Measure",
    )
)
