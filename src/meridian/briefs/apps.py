from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "meridian.briefs"
    label = "briefs"
    verbose_name = "Briefs"

    def ready(self) -> None:
        # Stored files go with the rows that name them, also when a cascade deletes the rows.
        from meridian.briefs import signals  # noqa: F401
