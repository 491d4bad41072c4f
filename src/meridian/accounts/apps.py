from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meridian.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import (
            password_changed,
            password_reset,
            password_set,
            user_signed_up,
        )

        from meridian.accounts.signals import (
            audit_sign_up,
            revoke_tokens_on_change,
            revoke_tokens_on_reset,
        )

        user_signed_up.connect(audit_sign_up, dispatch_uid="meridian.audit_sign_up")
        password_reset.connect(revoke_tokens_on_reset, dispatch_uid="meridian.revoke_tokens")
        for changed in (password_changed, password_set):
            changed.connect(revoke_tokens_on_change, dispatch_uid="meridian.revoke_tokens_change")
