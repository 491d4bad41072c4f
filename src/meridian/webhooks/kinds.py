"""The workspace events an endpoint can subscribe to: what the areas declare in their hooks.py
(``registry.webhook_event``) and emit from their services (meridian.core.events).

Each payload carries ids, titles, absolute URLs and the acting member's name; never a blind
stance before its proposal closes, nor who voted in an anonymous proposal, nor the text of a
comment or a blocker.
"""

from meridian.core import registry


def event_kinds() -> dict[str, str]:
    """Every event kind an endpoint may subscribe to, with what it means, in the areas' order."""
    return {name: event.label for name, event in registry.webhook_events().items()}
