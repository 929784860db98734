"""Application configuration of the accounts app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "kiosk.admin.accounts"
    label = "accounts"
    verbose_name = gettext_lazy("Accounts")
