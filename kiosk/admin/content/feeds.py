"""Import official CAP, RSS and Atom feeds as notices.

The feed is downloaded with the kiosk's bounded HTTP client and parsed with
the kiosk's feed parsers. Nothing in the database changes until the whole
feed has downloaded and parsed, so a malformed, hostile or truncated feed
leaves every notice as it was and is reported on its feed source.

A notice is matched to an earlier import by its id, which for CAP alerts is
derived from the sender and identifier. A changed notice becomes a draft
again, unless the feed source approves its notices. A CAP Update or Cancel
ends the validity of the alerts it references at the time it was sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy

from kiosk.admin.content.fields import LANGUAGES, MAX_TEXT_LENGTH, MAX_URL_LENGTH
from kiosk.admin.content.models import FeedSource, Notice, validate_http_url
from kiosk.config import SyncConfig
from kiosk.content.model import Notice as FeedNotice
from kiosk.feeds import KIND_CAP, KIND_CAP_INDEX, FeedError, parse_feed
from kiosk.sync.feeds import FEED_ACCEPT, MAX_LINKED_ALERTS, FeedResponseError, check_feed_response
from kiosk.sync.http import USER_AGENT, DisallowedUrl, DownloadError, HttpClient, check_url

logger = logging.getLogger(__name__)

#: Fields an import sets on a notice and compares to find changes.
_IMPORTED_FIELDS = ("title", "body", "instruction", "issuer", "severity", "source_url",
                    "published_at", "valid_from", "valid_until", "cap_sender", "cap_identifier")


@dataclass
class FeedImportResult:
    """The outcome of one import of one feed."""

    source: FeedSource
    ok: bool
    not_modified: bool = False
    created: list[Notice] = field(default_factory=list)
    updated: list[Notice] = field(default_factory=list)
    unchanged: int = 0
    #: Notices whose validity a CAP Update or Cancel ended.
    ended: int = 0
    #: Feed items left out: no title, already expired, or invalid.
    skipped: int = 0
    error: str = ""
    #: Names of the fields each updated notice changed, by notice id.
    changed_fields: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        """Describe the result for the person who ran the import."""
        if not self.ok:
            return str(gettext_lazy("%(source)s: import failed and nothing was changed: "
                                    "%(error)s") % {"source": self.source, "error": self.error})
        if self.not_modified:
            return str(gettext_lazy("%(source)s: not modified since the last import.")
                       % {"source": self.source})
        return str(gettext_lazy(
            "%(source)s: %(created)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(ended)d ended, %(skipped)d skipped.") % {
                "source": self.source, "created": len(self.created),
                "updated": len(self.updated), "unchanged": self.unchanged,
                "ended": self.ended, "skipped": self.skipped})


@dataclass(frozen=True)
class _Download:
    notices: tuple[FeedNotice, ...]
    etag: str
    last_modified: str
    not_modified: bool


def check_feed_url(url: str) -> str | None:
    """Return why ``url`` cannot be imported, or None when it can."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    try:
        check_url(url, (host,) if host else ())
    except DisallowedUrl:
        return str(gettext_lazy("Use an https address. Plain http is accepted only for "
                                "addresses on this computer (loopback)."))
    return None


def _sync_config(url: str) -> SyncConfig:
    host = (urlsplit(url).hostname or "").lower()
    return SyncConfig(allowed_hosts=(host,) if host else (),
                      max_feed_bytes=settings.KIOSK_FEED_MAX_BYTES)


def _download(source: FeedSource, client: HttpClient, config: SyncConfig) -> _Download:
    """Download and parse the feed, and for a CAP index the alerts it links to."""
    response = client.get(source.url, max_bytes=config.max_feed_bytes, accept=FEED_ACCEPT,
                          etag=source.etag or None, last_modified=source.last_modified or None)
    if response.not_modified:
        return _Download((), response.etag or "", response.last_modified or "", True)
    check_feed_response(response)
    feed_id = f"feed-{source.pk}"
    parsed = parse_feed(response.body, feed_id=feed_id, source_url=response.url,
                        content_type=response.headers.get("content-type"),
                        max_linked_alerts=MAX_LINKED_ALERTS, max_bytes=config.max_feed_bytes)
    notices = list(parsed.notices)
    if parsed.kind == KIND_CAP_INDEX:
        budget = config.max_feed_bytes
        for link in dict.fromkeys(urljoin(response.url, link) for link in parsed.linked_alerts):
            if budget <= 0:
                raise FeedResponseError(response.url, "linked alerts exceed the limit of "
                                                      f"{config.max_feed_bytes} bytes")
            linked = client.get(link, max_bytes=budget, accept=FEED_ACCEPT)
            budget -= len(linked.body)
            check_feed_response(linked)
            alert = parse_feed(linked.body, feed_id=feed_id, source_url=linked.url,
                               content_type=linked.headers.get("content-type"),
                               max_bytes=config.max_feed_bytes)
            if alert.kind != KIND_CAP:
                raise FeedResponseError(link, f"expected a CAP alert, got a {alert.kind} "
                                              "document")
            notices.extend(alert.notices)
    return _Download(tuple(notices), response.etag or "", response.last_modified or "", False)


def import_feed(source: FeedSource, *, now: datetime, user: models.Model | None = None,
                client: HttpClient | None = None) -> FeedImportResult:
    """Download ``source`` and create or update its notices.

    ``user`` is recorded in the change history of each notice. A download,
    response or parse failure is not raised: it is stored on the source and
    returned in the result.
    """
    config = _sync_config(source.url)
    try:
        if client is None:
            with HttpClient(config, USER_AGENT) as own_client:
                download = _download(source, own_client, config)
        else:
            download = _download(source, client, config)
    except (DownloadError, FeedResponseError, FeedError) as error:
        logger.warning("Importing feed %s (%s) failed; no notice changed: %s", source.pk,
                       source.url, error)
        result = FeedImportResult(source, ok=False, error=str(error))
        _record(source, now, result)
        return result

    if download.not_modified:
        result = FeedImportResult(source, ok=True, not_modified=True)
        _record(source, now, result)
        return result

    with transaction.atomic():
        result = _apply(source, download.notices, now=now)
        source.etag = download.etag[:512]
        source.last_modified = download.last_modified[:128]
        _record(source, now, result)
        if user is not None:
            _log(user, result)
    logger.info("Imported feed %s (%s): %s", source.pk, source.url, result.summary())
    return result


def _record(source: FeedSource, now: datetime, result: FeedImportResult) -> None:
    source.last_import_at = now
    source.last_import_ok = result.ok
    source.last_message = result.summary()
    source.save(update_fields=["etag", "last_modified", "last_import_at", "last_import_ok",
                               "last_message", "updated_at"])


def _log(user: models.Model, result: FeedImportResult) -> None:
    if result.created:
        LogEntry.objects.log_actions(user_id=user.pk, queryset=result.created,
                                     action_flag=ADDITION, change_message=[{"added": {}}])
    for notice in result.updated:
        fields = [str(Notice._meta.get_field(name).verbose_name)
                  for name in result.changed_fields.get(notice.bundle_id, [])]
        LogEntry.objects.log_actions(user_id=user.pk, queryset=[notice], action_flag=CHANGE,
                                     change_message=[{"changed": {"fields": fields}}],
                                     single_object=True)


def _clip_text(text: Any) -> dict[str, str]:
    """Keep the console's languages and cut each text to the bundle's length limit."""
    clipped = {}
    for language, value in dict(text or {}).items():
        if language in LANGUAGES and value and value.strip():
            clipped[language] = value if len(value) <= MAX_TEXT_LENGTH \
                else value[:MAX_TEXT_LENGTH - 1] + "…"
    return clipped


def _values(item: FeedNotice) -> dict[str, Any] | None:
    """Return the notice fields of a feed item, or None when it cannot become a notice."""
    title = _clip_text(item.title)
    if not title:
        return None
    body = _clip_text(item.body) or dict(title)
    valid_from = item.validity.valid_from
    valid_until = item.validity.valid_until
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        return None
    source_url = item.source_url or ""
    try:
        validate_http_url(source_url)
    except ValidationError:
        source_url = ""
    return {
        "title": title,
        "body": body,
        "instruction": _clip_text(item.instruction),
        "issuer": _clip_text(item.issuer),
        "severity": item.severity.name.lower(),
        "source_url": source_url if len(source_url) <= MAX_URL_LENGTH else "",
        "published_at": item.published_at,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "cap_sender": item.alert.sender[:512] if item.alert else "",
        "cap_identifier": item.alert.identifier[:512] if item.alert else "",
    }


def _end_referenced(item: FeedNotice, now: datetime) -> int:
    """End the validity of the alerts a CAP Update or Cancel references; return how many."""
    alert = item.alert
    if alert is None:
        return 0
    end = alert.sent or now
    ended = 0
    for sender, identifier, _sent in alert.references:
        if (sender, identifier) == (alert.sender, alert.identifier):
            continue
        for notice in Notice.objects.filter(cap_sender=sender, cap_identifier=identifier):
            if notice.valid_until is not None and notice.valid_until <= end:
                continue
            if notice.valid_from is not None and notice.valid_from >= end:
                # Ended before it began: it must not be published at all.
                notice.make_draft()
            else:
                notice.valid_until = end
            notice.save()
            ended += 1
    return ended


def _apply(source: FeedSource, items: tuple[FeedNotice, ...], *, now: datetime) \
        -> FeedImportResult:
    result = FeedImportResult(source, ok=True)
    for item in items:
        if item.alert is not None and item.alert.msg_type in {"Update", "Cancel"}:
            result.ended += _end_referenced(item, now)
            if item.alert.msg_type == "Cancel":
                continue
        values = _values(item)
        if values is None or (values["valid_until"] is not None and values["valid_until"] <= now):
            result.skipped += 1
            continue
        existing = Notice.objects.filter(bundle_id=item.id).first()
        if existing is None:
            _create(source, item.id, values, result, now)
        else:
            _update(source, existing, values, result, now)
    return result


def _create(source: FeedSource, notice_id: str, values: dict[str, Any],
            result: FeedImportResult, now: datetime) -> None:
    notice = Notice(bundle_id=notice_id, feed_source=source,
                    target_site_types=list(source.target_site_types),
                    target_regions=list(source.target_regions), **values)
    if source.auto_approve:
        notice.approve(None, now)
    try:
        notice.full_clean()
    except ValidationError as error:
        logger.warning("Feed %s: item %s is not a valid notice, skipped: %s", source.pk,
                       notice_id, error)
        result.skipped += 1
        return
    notice.save()
    notice.target_sites.set(source.target_sites.all())
    result.created.append(notice)


def _update(source: FeedSource, notice: Notice, values: dict[str, Any],
            result: FeedImportResult, now: datetime) -> None:
    changed = [name for name in _IMPORTED_FIELDS if getattr(notice, name) != values[name]]
    if not changed:
        result.unchanged += 1
        return
    for name in changed:
        setattr(notice, name, values[name])
    if source.auto_approve:
        notice.approve(None, now)
    else:
        notice.make_draft()
    try:
        notice.full_clean()
    except ValidationError as error:
        logger.warning("Feed %s: update of notice %s is not valid, skipped: %s", source.pk,
                       notice.bundle_id, error)
        result.skipped += 1
        return
    notice.save()
    result.updated.append(notice)
    result.changed_fields[notice.bundle_id] = changed
