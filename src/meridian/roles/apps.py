from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "meridian.roles"
    label = "roles"
    verbose_name = "Roles"
