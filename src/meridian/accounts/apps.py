from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meridian.accounts"
    label = "accounts"
    verbose_name = "Accounts"
