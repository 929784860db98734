"""One sync of one configured official feed: download, check, parse, reconcile, cache.

A failed sync of any kind leaves the feed's last good notices in place and
reports the failure in its result.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin

from kiosk.config import FeedConfig, SyncConfig
from kiosk.content.model import Notice
from kiosk.feeds import FeedError, ParsedFeed, parse_feed, reconcile_alerts
from kiosk.sync.cache import FeedCache, FeedCacheEntry
from kiosk.sync.http import DownloadError, HttpClient, Response
from kiosk.sync.status import SourceResult

logger = logging.getLogger(__name__)

#: Accept header for feed requests: the feed formats first, any XML next.
FEED_ACCEPT = ("application/cap+xml, application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")

#: Most CAP alerts fetched from one CAP index.
MAX_LINKED_ALERTS = 50

#: Media types a feed may be served as besides ``*/xml`` and ``*/*+xml``. Servers
#: often send XML files as plain text or octets; the body sniff still applies.
_LOOSE_MEDIA_TYPES = frozenset({"text/plain", "application/octet-stream"})

#: Parsed kinds that each configured kind accepts.
_ACCEPTED_KINDS = {"cap": {"cap", "cap-index"}, "rss": {"rss"}, "atom": {"atom"}}

# An XML declaration, processing instruction or comment before the first element.
_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_HTML_START = re.compile(rb"\s*<(!doctype\s+html|html[\s>/])", re.IGNORECASE)
_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FeedResponseError(Exception):
    """A download succeeded but is not a feed document; the message names the URL."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url


def media_type(content_type: str | None) -> str | None:
    """Return the lower-case media type of a Content-Type value, without parameters."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def check_feed_response(response: Response) -> None:
    """Raise :class:`FeedResponseError` unless ``response`` plausibly contains an XML feed.

    Rejects an empty body, an HTML page (a captive portal or error page served
    with status 200) and a media type that is clearly not XML.
    """
    url = response.url
    kind = media_type(response.headers.get("content-type"))
    if kind in {"text/html", "application/xhtml+xml"}:
        raise FeedResponseError(url, f"got an HTML page ({kind}), not a feed; "
                                     "a captive portal or error page may be in the way")
    if kind is not None and not (kind.endswith("/xml") or kind.endswith("+xml")
                                 or kind in _LOOSE_MEDIA_TYPES):
        raise FeedResponseError(url, f"content type {kind} is not XML")

    body = response.body
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    if not body.strip():
        raise FeedResponseError(url, "empty body")
    if b"\x00" in body[:4] or body.startswith(_WIDE_BOMS):
        return  # UTF-16 or UTF-32 text; the feed parser decodes and checks it.

    head = body[:4096]
    position = 0
    while match := _PROLOG_ITEM.match(head, position):
        position = match.end()
    if _HTML_START.match(head, position):
        raise FeedResponseError(url, "got an HTML page, not a feed; "
                                     "a captive portal or error page may be in the way")
    if not head[position:].lstrip().startswith(b"<"):
        raise FeedResponseError(url, "body is not XML")


class FeedSyncer:
    """Keeps one configured feed's notices current; a sync source for the worker.

    Holds the last good result in memory and in the feed cache. Not thread-safe:
    the sync worker is its only caller. Expired alerts stay in the result:
    content selection hides them at the time it trusts, which is not the
    wall clock when that is years ahead.
    """

    kind = "feed"

    def __init__(self, feed: FeedConfig, config: SyncConfig, client: HttpClient,
                 cache: FeedCache, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.feed = feed
        self._config = config
        self._client = client
        self._cache = cache
        self._clock = clock
        self._entry: FeedCacheEntry | None = None

    @property
    def name(self) -> str:
        return self.feed.id

    @property
    def url(self) -> str:
        return self.feed.url

    def restore(self, now: datetime) -> SourceResult | None:
        """Load the last good result from the feed cache; ``None`` when there is none."""
        entry = self._cache.load(self.feed.id)
        if entry is None:
            return None
        if entry.url != self.feed.url:
            logger.info("feed %s: ignoring cached notices from %s; the feed now reads %s",
                        self.feed.id, entry.url, self.feed.url)
            return None
        self._entry = entry
        logger.info("feed %s: restored %d cached notices checked at %s",
                    self.feed.id, len(entry.notices), entry.checked_at.isoformat())
        return SourceResult(self.name, ok=True, notices=reconcile_alerts(entry.notices, None),
                            confirmed_at=entry.checked_at)

    def sync(self, now: datetime) -> SourceResult:
        """Download and apply the feed once.

        Download errors, rejected responses and parse errors are returned in the
        result, with the last good notices, instead of being raised.
        """
        try:
            entry, not_modified = self._fetch(now)
        except (DownloadError, FeedResponseError, FeedError) as error:
            previous_notices = self._entry.notices if self._entry else ()
            logger.warning("feed %s: sync failed, keeping %d earlier notices: %s",
                           self.feed.id, len(previous_notices), error)
            return SourceResult(self.name, ok=False,
                                notices=reconcile_alerts(previous_notices, None),
                                error=str(error),
                                confirmed_at=self._entry.checked_at if self._entry else None)

        self._entry = entry
        notices = reconcile_alerts(entry.notices, None)
        save_error = self._save(entry)
        return SourceResult(self.name, ok=True, notices=notices, error=save_error,
                            not_modified=not_modified, confirmed_at=entry.checked_at)

    def _fetch(self, now: datetime) -> tuple[FeedCacheEntry, bool]:
        previous = self._entry
        response = self._client.get(
            self.feed.url, max_bytes=self._config.max_feed_bytes, accept=FEED_ACCEPT,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None)
        if response.not_modified and previous is not None:
            logger.info("feed %s: not modified", self.feed.id)
            return replace(previous, etag=response.etag, last_modified=response.last_modified,
                           checked_at=now), True

        check_feed_response(response)
        parsed = parse_feed(response.body, feed_id=self.feed.id, source_url=response.url,
                            content_type=response.headers.get("content-type"),
                            max_linked_alerts=MAX_LINKED_ALERTS,
                            max_bytes=self._config.max_feed_bytes)
        self._check_kind(parsed, response.url)
        notices = parsed.notices
        if parsed.kind == "cap-index":
            notices += self._fetch_linked_alerts(parsed, response.url)
        logger.info("feed %s: downloaded %d bytes, %d notices",
                    self.feed.id, len(response.body), len(notices))
        entry = FeedCacheEntry(feed_id=self.feed.id, url=self.feed.url, notices=notices,
                               etag=response.etag, last_modified=response.last_modified,
                               fetched_at=now, checked_at=now)
        return entry, False

    def _check_kind(self, parsed: ParsedFeed, url: str) -> None:
        if self.feed.kind == "auto":
            return
        accepted = _ACCEPTED_KINDS.get(self.feed.kind, {self.feed.kind})
        if parsed.kind not in accepted:
            raise FeedResponseError(
                url, f"expected a {self.feed.kind} feed, got a {parsed.kind} document")

    def _fetch_linked_alerts(self, index: ParsedFeed, index_url: str) -> tuple[Notice, ...]:
        """Download the CAP alerts an index links to, all or none.

        The alerts share one byte budget of ``max_feed_bytes`` and one time
        budget of ``deadline_s`` (checked between downloads, so the phase can
        overrun by at most one download's deadline).
        """
        links = list(dict.fromkeys(urljoin(index_url, link) for link in index.linked_alerts))
        if len(links) > MAX_LINKED_ALERTS:
            raise FeedResponseError(index_url, f"links {len(links)} alerts, "
                                               f"more than the limit of {MAX_LINKED_ALERTS}")
        budget = self._config.max_feed_bytes
        started = self._clock()
        notices: list[Notice] = []
        for link in links:
            if self._clock() - started > self._config.deadline_s:
                raise FeedResponseError(
                    index_url, f"linked alerts took longer than {self._config.deadline_s:g} s")
            if budget <= 0:
                raise FeedResponseError(index_url, "linked alerts exceed the limit of "
                                                   f"{self._config.max_feed_bytes} bytes")
            response = self._client.get(link, max_bytes=budget, accept=FEED_ACCEPT)
            budget -= len(response.body)
            check_feed_response(response)
            parsed = parse_feed(response.body, feed_id=self.feed.id, source_url=response.url,
                                content_type=response.headers.get("content-type"),
                                max_bytes=self._config.max_feed_bytes)
            if parsed.kind != "cap":
                raise FeedResponseError(link, f"expected a CAP alert, got a {parsed.kind} document")
            notices.extend(parsed.notices)
        return tuple(notices)

    def _save(self, entry: FeedCacheEntry) -> str | None:
        """Write the cache entry; return the problem as text when the write fails."""
        try:
            self._cache.save(entry)
        except OSError as error:
            path = self._cache.path(self.feed.id)
            logger.warning("feed %s: cannot write feed cache %s; the new notices are shown "
                           "but not kept over a restart: %s", self.feed.id, path, error)
            return f"cannot write feed cache {path}: {error}"
        return None
