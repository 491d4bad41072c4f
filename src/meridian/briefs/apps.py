from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "meridian.briefs"
    label = "briefs"
    verbose_name = "Briefs"
