"""What the delivery layer plugs into: it is a notification channel."""

from meridian.core import registry
from meridian.delivery.services import delivery_accept

registry.register(registry.NOTIFICATION_CHANNELS, delivery_accept)
