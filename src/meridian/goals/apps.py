from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "meridian.goals"
    label = "goals"
    verbose_name = "Goals"
