"""Publish the approved content as a signed repository and record who published what.

The bundle goes through the same checks as ``kiosk publish``; the console
adds its own first: no problems from the export and Simplified Chinese text
everywhere. The kiosks' remote settings go out beside the bundle as the
target ``kiosk-settings.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.db import models, transaction
from django.utils.translation import gettext_lazy

from kiosk.admin.content.export import Export, Problem, export_bundle, publish_problems, timestamp
from kiosk.admin.content.models import Publication, Site
from kiosk.publish import PublishError, publish

logger = logging.getLogger(__name__)

#: Target path of the kiosks' remote settings in the repository.
KIOSK_SETTINGS_TARGET = "kiosk-settings.json"


class PublishRefused(Exception):
    """The content cannot be published as it stands; ``problems`` says what to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class PublishFailed(Exception):
    """Signing or writing the repository failed; the previous version is still served
    unless the message says otherwise."""


@dataclass(frozen=True)
class KioskSettings:
    """The remote settings document and the warnings found while building it."""

    document: dict[str, Any]
    warnings: list[str]


def kiosk_settings(now: datetime) -> KioskSettings | None:
    """Build the remote settings of every kiosk, or None when the fleet app has no kiosks model.

    Each entry has the kiosk id, its site, enabled and default languages, idle
    timeout in seconds and the Argon2 hash of its maintenance PIN.
    """
    try:
        kiosk_model = apps.get_model("fleet", "Kiosk")
    except LookupError:
        return None
    site_ids = set(Site.objects.values_list("bundle_id", flat=True))
    entries = []
    warnings = []
    for kiosk in kiosk_model.objects.order_by("kiosk_id"):
        if kiosk.site_id and kiosk.site_id not in site_ids:
            warnings.append(str(gettext_lazy(
                "Kiosk %(kiosk)s is set to site %(site)s, which is not in the content, so it "
                "shows only items meant for every site.") % {"kiosk": kiosk.kiosk_id,
                                                            "site": kiosk.site_id}))
        entries.append({
            "kiosk_id": kiosk.kiosk_id,
            "site_id": kiosk.site_id,
            "languages": list(kiosk.languages),
            "default_language": kiosk.default_language,
            "idle_timeout_s": kiosk.idle_timeout_s,
            # NOTE: the repository is readable by anyone who can reach it, and an
            # Argon2 hash of a 4-digit PIN falls to an offline search in minutes, so
            # serve the repository only to the kiosks' network or use long PINs.
            "maintenance_pin_hash": kiosk.maintenance_pin_hash,
        })
    document = {"schema_version": 1, "generated_at": timestamp(now), "kiosks": entries}
    return KioskSettings(document, warnings)


def publish_content(user: models.Model | None, *, now: datetime, note: str = "") -> Publication:
    """Export the approved content, publish it signed and record the publication.

    Raises PublishRefused, before anything is written, when the content has
    problems or lacks Simplified Chinese text, and PublishFailed when signing
    or writing the repository fails.
    """
    export = export_bundle(now=now)
    problems = publish_problems(export)
    if problems:
        logger.info("Publish refused: %d problems, the first: %s", len(problems),
                    problems[0].message)
        raise PublishRefused(problems)
    remote = kiosk_settings(now)
    return _publish_export(export, remote, user, now=now, note=note)


def _publish_export(export: Export, remote: KioskSettings | None, user: models.Model | None,
                    *, now: datetime, note: str) -> Publication:
    repo_dir = Path(settings.KIOSK_REPOSITORY_DIR)
    keys_dir = Path(settings.KIOSK_KEYS_DIR)
    with tempfile.TemporaryDirectory(prefix="kiosk-publish-") as scratch:
        extra_targets: dict[str, Path] = {}
        if remote is not None:
            settings_file = Path(scratch) / KIOSK_SETTINGS_TARGET
            settings_file.write_text(json.dumps(remote.document, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
            extra_targets[KIOSK_SETTINGS_TARGET] = settings_file
        try:
            result = publish(export.document, repo_dir, keys_dir, now=now,
                             extra_targets=extra_targets)
        except PublishError as error:
            logger.error("Publishing to %s failed: %s", repo_dir, error)
            raise PublishFailed(str(error)) from error

    bundle_path = result.bundle_path
    digest = hashlib.sha256(bundle_path.read_bytes()).hexdigest() if bundle_path else ""
    with transaction.atomic():
        publication = Publication.objects.create(
            version=result.bundle_version, published_at=now, published_by=user,
            bundle_sha256=digest, counts=export.counts, kiosk_settings=remote is not None,
            note=note[:500])
        if user is not None:
            LogEntry.objects.log_actions(
                user_id=user.pk, queryset=[publication], action_flag=ADDITION,
                change_message=[{"added": {}}], single_object=True)
    logger.info("Published bundle version %d (sha256 %s) by %s", publication.version, digest,
                user)
    return publication
