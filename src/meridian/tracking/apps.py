from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "meridian.tracking"
    label = "tracking"
    verbose_name = "Tracking"
