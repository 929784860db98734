"""The console's roles as Django groups: editor, publisher and viewer, with their permissions.

An editor writes and translates drafts. A publisher also approves, publishes,
sends urgent broadcasts and manages feeds and bundle settings. A viewer only
sees the fleet. Syncing adds missing permissions and never removes any, so
permissions an administrator granted by hand stay.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q

logger = logging.getLogger(__name__)

EDITOR = "editor"
PUBLISHER = "publisher"
VIEWER = "viewer"
ROLES = (EDITOR, PUBLISHER, VIEWER)

#: Models editors create, change and delete.
EDITABLE_MODELS = ("site", "notice", "travelrule", "symptomguidance", "hotline", "risklevel",
                   "selfcheckquestion", "selfcheckrule")

_EDITOR_PERMISSIONS = [
    *(("content", f"{action}_{model}") for model in EDITABLE_MODELS
      for action in ("add", "change", "delete", "view")),
    ("content", "view_feedsource"),
    ("content", "import_feed"),
    ("content", "view_publication"),
    ("content", "view_bundlesettings"),
]

_PUBLISHER_PERMISSIONS = [
    *_EDITOR_PERMISSIONS,
    ("content", "approve_content"),
    ("content", "publish_bundle"),
    ("content", "send_broadcast"),
    ("content", "add_feedsource"),
    ("content", "change_feedsource"),
    ("content", "delete_feedsource"),
    ("content", "change_bundlesettings"),
    ("admin", "view_logentry"),
]

#: Permissions of each role as (app label, codename) pairs. Publishers and
#: viewers also get every "view" permission of the fleet app.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    EDITOR: _EDITOR_PERMISSIONS,
    PUBLISHER: _PUBLISHER_PERMISSIONS,
    VIEWER: [],
}
ROLES_SEEING_FLEET = (PUBLISHER, VIEWER)


def sync_role_groups(group_model: Any, permission_model: Any, using: str = "default") -> None:
    """Create the role groups and add the permissions they lack.

    Takes the Group and Permission models as arguments, so a data migration can
    pass its historical models. A permission that does not exist yet, such as
    one of an app not migrated so far, is skipped and added by a later sync.
    """
    fleet_views = list(permission_model.objects.using(using).filter(
        content_type__app_label="fleet", codename__startswith="view_"))
    for role in ROLES:
        group, created = group_model.objects.using(using).get_or_create(name=role)
        wanted = ROLE_PERMISSIONS[role]
        permissions = list(fleet_views) if role in ROLES_SEEING_FLEET else []
        if wanted:
            query = Q()
            for app_label, codename in wanted:
                query |= Q(content_type__app_label=app_label, codename=codename)
            permissions += list(permission_model.objects.using(using).filter(query))
        group.permissions.add(*permissions)
        if created:
            logger.info("Created the %s role group with %d permissions", role, len(permissions))
