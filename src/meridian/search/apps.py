from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "meridian.search"
    label = "search"
    verbose_name = "Search"
