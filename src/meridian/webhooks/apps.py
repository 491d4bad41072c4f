from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "meridian.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"
