from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "meridian.recordings"
    label = "recordings"
    verbose_name = "Recordings"
