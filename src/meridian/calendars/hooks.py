"""What calendar feeds add to other areas' pages: the feed address on the member's profile."""

from meridian.calendars.views import profile_panel
from meridian.core import registry

# Read by the profile page (meridian.workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", profile_panel)
