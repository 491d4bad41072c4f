from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "meridian.recordings"
    label = "recordings"
    verbose_name = "Recordings"

    def ready(self) -> None:
        # Stored files go with the rows that name them, also when a cascade deletes the rows.
        from django.tasks.signals import task_finished

        from meridian.recordings import signals  # noqa: F401
        from meridian.recordings.tasks import processing_task_finished

        # A processing task that failed for good (it raised, or its workers kept dying) must
        # not leave its recording "processing" for ever.
        task_finished.connect(processing_task_finished, dispatch_uid="recordings.processing")
