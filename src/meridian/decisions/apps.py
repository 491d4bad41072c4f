from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "meridian.decisions"
    label = "decisions"
    verbose_name = "Decisions"
