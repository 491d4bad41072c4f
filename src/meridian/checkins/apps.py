from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "meridian.checkins"
    label = "checkins"
    verbose_name = "Check-ins"
