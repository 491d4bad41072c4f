from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "meridian.metrics"
    label = "metrics"
    verbose_name = "Metrics"
