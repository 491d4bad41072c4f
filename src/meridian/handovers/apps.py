from django.apps import AppConfig


class HandoversConfig(AppConfig):
    name = "meridian.handovers"
    label = "handovers"
    verbose_name = "Handovers"
