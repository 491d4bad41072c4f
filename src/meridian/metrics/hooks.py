"""What the metrics area plugs into the others: its page in the navigation, and the listener
that rewrites an item's facts when its area says it changed (meridian.core.facts)."""

from meridian.core import registry
from meridian.metrics.demo import demo_metrics
from meridian.metrics.services import facts_stale

registry.nav(
    registry.NavEntry(
        label="Metrics",
        url_name="metrics_catalogue",
        order=45,
        current_prefixes=("metrics_",),
        group="Measure",
    )
)

registry.register(registry.FACTS_STALE, facts_stale)

# After every other area's seeder (their items exist and are aged): a year of history.
registry.demo_seeder(registry.DemoSeeder(name="metrics", order=95, seed=demo_metrics))
