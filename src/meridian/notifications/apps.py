from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "meridian.notifications"
    label = "notifications"
    verbose_name = "Notifications"
