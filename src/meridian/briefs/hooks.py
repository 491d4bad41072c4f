"""What briefs add to the other areas through the registry (meridian.core.registry)."""

from meridian.briefs.calendar import brief_deadlines
from meridian.core import registry

registry.register(registry.CALENDAR_SOURCES, brief_deadlines)
