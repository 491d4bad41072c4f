from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "meridian.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from meridian.core import checks  # noqa: F401  (registers the deployment checks)
