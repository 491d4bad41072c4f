"""What the accounts area plugs into the others: the API tokens page in the navigation."""

from typing import Any

from meridian.core import registry


def _not_a_guest(membership: Any) -> bool:
    return bool(membership is not None and membership.role != "guest")


registry.nav(
    registry.NavEntry(
        label="API tokens",
        url_name="tokens",
        order=70,
        current_prefixes=("tokens",),
        group="You",
        visible=_not_a_guest,
    )
)
