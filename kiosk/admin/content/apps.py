"""Application configuration of the content app."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class ContentConfig(AppConfig):
    name = "kiosk.admin.content"
    label = "content"
    verbose_name = gettext_lazy("Content")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate,
                             dispatch_uid="kiosk.admin.content.sync_roles")


def _sync_roles_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # The permissions of an app exist once the post_migrate signal for that app
    # was handled. The roles take permissions from several apps (content, admin,
    # fleet), so they are synced after each app; a sync only adds what is missing.
    from django.contrib.auth.models import Group, Permission

    from kiosk.admin.content.roles import sync_role_groups

    sync_role_groups(Group, Permission, using=using)
