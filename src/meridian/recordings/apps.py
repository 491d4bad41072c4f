from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "meridian.recordings"
    label = "recordings"
    verbose_name = "Recordings"

    def ready(self) -> None:
        # Stored files go with the rows that name them, also when a cascade deletes the rows.
        from meridian.recordings import signals  # noqa: F401
