"""What the delivery layer plugs into: it is a notification channel, it runs scheduled jobs,
and it has a section on the member's profile page."""

from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.delivery import schedule
from meridian.delivery.services import delivery_accept
from meridian.delivery.views import profile_panel

registry.register(registry.NOTIFICATION_CHANNELS, delivery_accept)

# In this order: a tick builds the digests that are due before it hands built ones to email.
registry.register(registry.SCHEDULED_JOBS, Job("delivery.send", schedule.deliveries_due))
registry.register(registry.SCHEDULED_JOBS, Job("delivery.digest", schedule.digests_due))
registry.register(registry.SCHEDULED_JOBS, Job("digest.send", schedule.digests_to_send))
registry.register(registry.SCHEDULED_JOBS, Job("delivery.retry", schedule.deliveries_to_retry))
registry.register(registry.SCHEDULED_JOBS, Job("digest.retry", schedule.digests_to_retry))

# Read by the profile page (meridian.workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", profile_panel)
