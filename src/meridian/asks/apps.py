from django.apps import AppConfig


class AsksConfig(AppConfig):
    name = "meridian.asks"
    label = "asks"
    verbose_name = "Asks"
