from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "meridian.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from meridian.dashboards import freshness

        freshness.connect()
