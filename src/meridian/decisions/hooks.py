"""What decisions add to the other areas through the registry (meridian.core.registry)."""

from meridian.core import registry
from meridian.decisions.calendar import proposal_deadlines

registry.register(registry.CALENDAR_SOURCES, proposal_deadlines)
