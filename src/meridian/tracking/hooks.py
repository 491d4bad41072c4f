"""What the tracking area plugs into the others: the "Time" entry of the navigation (with a
running-timer badge), the retention job and the demo data. No search documents (on purpose:
time entries are private) and no notifications."""

from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.tracking import schedule
from meridian.tracking.demo import demo_tracking

registry.nav(
    registry.NavEntry(
        label="Time",
        url_name="tracking_home",
        order=40,
        current_prefixes=("tracking_",),
        badge_url_name="tracking_timer_badge",
        badge_event="timer-changed",
    )
)

# The timer on every page: a slot that loads its control by htmx, so a page costs no query.
registry.panel(registry.Panel(point="site.header", template="tracking/_timer_slot.html"))

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.slots_retention))

registry.demo_seeder(registry.DemoSeeder(name="tracking", order=80, seed=demo_tracking))
