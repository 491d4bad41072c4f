from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "meridian.workspaces"
    label = "workspaces"
    verbose_name = "Workspaces"
