from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "meridian.calendars"
    label = "calendars"
    verbose_name = "Calendar feeds"
