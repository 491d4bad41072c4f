from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "meridian.delivery"
    label = "delivery"
    verbose_name = "Delivery"
