"""What the delivery layer plugs into: it is a notification channel, and it has a section on
the member's profile page."""

from meridian.core import registry
from meridian.delivery.services import delivery_accept
from meridian.delivery.views import profile_panel

registry.register(registry.NOTIFICATION_CHANNELS, delivery_accept)
# Read by the profile page (meridian.workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", profile_panel)
