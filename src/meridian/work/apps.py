from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "meridian.work"
    label = "work"
    verbose_name = "Work"
