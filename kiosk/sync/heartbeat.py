"""The kiosk's heartbeat: a small periodic report to the admin console's fleet view.

A heartbeat contains the kiosk id, the app and content versions, the sync status
of each source, recent error messages, the clock status, the uptime and how
often each screen was shown in each language since the last heartbeat. It
contains nothing a passenger entered or chose beyond those counts. Self-check
answers, touches and the times of single views never leave the kiosk.

The wire format (schema 1) is a JSON object with exactly the keys in
:data:`PAYLOAD_KEYS`; each entry of ``sources`` has exactly :data:`SOURCE_KEYS`.
The admin console rejects anything else, and both sides share the limits
below, so a payload built here always fits the console's 64 KiB limit.

:class:`HeartbeatSender` is Source-like: the sync worker can run it next to
the feeds, and it reports its failures in a :class:`SourceResult` instead of
raising.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from kiosk import __version__
from kiosk.content.selection import ClockStatus
from kiosk.i18n.languages import KIOSK_LANGUAGES
from kiosk.sync.http import DownloadError, Response
from kiosk.sync.status import SourceResult, SourceStatus, SyncStatus
from kiosk.sync.views import MAX_SCREENS, MAX_VIEW_COUNT, SCREEN_PATTERN, ViewCounter

logger = logging.getLogger(__name__)

#: Version of the payload format; the console rejects other versions.
SCHEMA_VERSION = 1

#: Keys of the heartbeat object, all required.
PAYLOAD_KEYS = frozenset({
    "schema", "kiosk_id", "sent_at", "app_version", "content_version", "clock_status",
    "uptime_s", "sources", "errors", "views",
})
#: Keys of each entry in ``sources``, all required.
SOURCE_KEYS = frozenset({"name", "kind", "last_success", "last_error", "consecutive_failures"})
#: Values of ``clock_status``: the kiosk's judgement of its own wall clock.
CLOCK_STATUSES = ("ok", "behind", "ahead", "unknown")

#: Largest heartbeat body the console accepts, in bytes.
MAX_HEARTBEAT_BYTES = 64 * 1024
#: Largest screenshot the console accepts, in bytes.
MAX_SCREENSHOT_BYTES = 512 * 1024
#: Largest console reply the kiosk reads, in bytes.
MAX_REPLY_BYTES = 4 * 1024

MAX_SOURCES = 16
MAX_ERRORS = 10
#: Characters kept of one error message; the rest is cut off.
MAX_ERROR_CHARS = 300
#: Characters of ids, names, kinds and versions.
MAX_NAME_CHARS = 64
MAX_CONSECUTIVE_FAILURES = 1_000_000
#: Ten years; a longer uptime is a broken clock or a forged report.
MAX_UPTIME_S = 10 * 365 * 86400

#: Kiosk ids: letters, digits, dot, dash and underscore, starting with a letter or digit.
KIOSK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class HeartbeatError(Exception):
    """A heartbeat could not be built, sent or understood; the message says which."""


class PostClient(Protocol):
    """The part of :class:`kiosk.sync.http.HttpClient` the sender uses."""

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str],
             max_bytes: int) -> Response: ...


def clean_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """Return ``text`` on one line, without control characters, cut to ``limit`` characters.

    Lone surrogates are replaced, because the console stores text as UTF-8.
    """
    single_line = _CONTROL_CHARACTERS.sub(" ", text).strip()
    encodable = single_line.encode("utf-8", "replace").decode("utf-8")
    if len(encodable) <= limit:
        return encodable
    return encodable[:limit - 1] + "…"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class RecentErrors(logging.Handler):
    """A logging handler that keeps the latest error messages for the next heartbeat.

    Attach it to the ``kiosk`` logger in the entry point. It keeps the first
    line of each message at ERROR or above, never a traceback, and at most
    :data:`MAX_ERRORS` of them. The kiosk logs no personal data, so the
    messages carry none either.
    """

    def __init__(self, capacity: int = MAX_ERRORS) -> None:
        super().__init__(logging.ERROR)
        self._entries: list[tuple[int, str]] = []
        self._capacity = capacity
        self._sequence = 0
        self._entries_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            lines = record.getMessage().splitlines()
            text = clean_text(f"{record.name}: {lines[0] if lines else ''}")
        except Exception:
            self.handleError(record)
            return
        with self._entries_lock:
            self._sequence += 1
            self._entries.append((self._sequence, text))
            del self._entries[:-self._capacity]

    def pending(self) -> tuple[int, tuple[str, ...]]:
        """Return the sequence number of the newest message and the messages not yet sent."""
        with self._entries_lock:
            return self._sequence, tuple(text for _, text in self._entries)

    def acknowledge(self, sequence: int) -> None:
        """Forget the messages up to ``sequence``, which the console has stored."""
        with self._entries_lock:
            self._entries = [(number, text) for number, text in self._entries if number > sequence]


def build_payload(*, kiosk_id: str, now: datetime, app_version: str,
                  content_version: int | None, clock_status: ClockStatus | None,
                  uptime_s: float, status: SyncStatus | None,
                  views: Mapping[str, Mapping[str, int]],
                  errors: Sequence[str] = ()) -> dict[str, Any]:
    """Build the heartbeat object from what the kiosk knows now.

    Texts are cleaned and cut and lists capped to the shared limits, so the
    result always passes the console's validation. Raises HeartbeatError for
    an invalid kiosk id.
    """
    if not KIOSK_ID_PATTERN.fullmatch(kiosk_id):
        raise HeartbeatError(f"invalid kiosk id {kiosk_id!r}; expected {KIOSK_ID_PATTERN.pattern}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    sources = status.sources if status is not None else ()
    return {
        "schema": SCHEMA_VERSION,
        "kiosk_id": kiosk_id,
        "sent_at": _iso(now),
        "app_version": clean_text(app_version, MAX_NAME_CHARS) or "unknown",
        "content_version": content_version,
        "clock_status": clock_status.value if clock_status is not None else "unknown",
        "uptime_s": max(0, min(MAX_UPTIME_S, int(uptime_s))),
        "sources": [_source_entry(source) for source in sources[:MAX_SOURCES]],
        "errors": [clean_text(error) for error in errors[-MAX_ERRORS:]],
        "views": _view_counts(views),
    }


def _view_counts(views: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Keep the positive counts of valid screens and kiosk languages, capped to the limits."""
    counts: dict[str, dict[str, int]] = {}
    for screen, languages in views.items():
        if len(counts) == MAX_SCREENS:
            break
        if not SCREEN_PATTERN.fullmatch(screen):
            continue
        per_language = {language: min(MAX_VIEW_COUNT, count)
                        for language, count in languages.items()
                        if language in KIOSK_LANGUAGES and count > 0}
        if per_language:
            counts[screen] = per_language
    return counts


def _source_entry(source: SourceStatus) -> dict[str, Any]:
    return {
        "name": clean_text(source.name, MAX_NAME_CHARS),
        "kind": clean_text(source.kind, MAX_NAME_CHARS),
        "last_success": _iso(source.last_success),
        "last_error": clean_text(source.last_error) if source.last_error else None,
        "consecutive_failures": min(MAX_CONSECUTIVE_FAILURES, source.consecutive_failures),
    }


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Encode a heartbeat as compact UTF-8 JSON; raise HeartbeatError when it is too large."""
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_HEARTBEAT_BYTES:
        raise HeartbeatError(f"heartbeat of {len(body)} bytes exceeds the limit of "
                             f"{MAX_HEARTBEAT_BYTES} bytes")
    return body


@dataclass(frozen=True)
class HeartbeatReply:
    """The console's reply to a heartbeat."""

    #: True when the console requests a screenshot of the screen.
    screenshot_requested: bool


def parse_reply(body: bytes) -> HeartbeatReply:
    """Parse the console's JSON reply; raise HeartbeatError when it is not one."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise HeartbeatError(f"the console's reply is not JSON ({error})") from error
    if not isinstance(document, dict):
        raise HeartbeatError(f"the console's reply is a {type(document).__name__}; "
                             "expected a JSON object")
    requested = document.get("screenshot_requested", False)
    if not isinstance(requested, bool):
        raise HeartbeatError(f"screenshot_requested in the console's reply is {requested!r}; "
                             "expected true or false")
    return HeartbeatReply(screenshot_requested=requested)


def _unknown_clock() -> ClockStatus | None:
    return None


def _no_content_version() -> int | None:
    return None


def _no_status() -> SyncStatus | None:
    return None


class HeartbeatSender:
    """Sends heartbeats to ``<console_url>heartbeat`` and screenshots to ``<console_url>screenshot``.

    ``console_url`` is the fleet API base, such as
    ``https://console.example.gov.cn/fleet/api/``. The callables are read on
    the sender's thread at each heartbeat, so they must be safe to call from
    there. ``capture_screenshot`` returns PNG bytes of the screen, or None when
    the screen must not be captured now (for example during a self-check);
    the console repeats the request in its reply to the next heartbeat.
    """

    kind = "heartbeat"

    def __init__(self, console_url: str, token: str, kiosk_id: str, client: PostClient,
                 counter: ViewCounter, *,
                 content_version: Callable[[], int | None] = _no_content_version,
                 clock_status: Callable[[], ClockStatus | None] = _unknown_clock,
                 status: Callable[[], SyncStatus | None] = _no_status,
                 errors: RecentErrors | None = None,
                 capture_screenshot: Callable[[], bytes | None] | None = None,
                 interval_s: float = 60.0, app_version: str = __version__,
                 clock: Callable[[], float] = time.monotonic,
                 started_at: float | None = None) -> None:
        if not console_url.endswith("/"):
            console_url += "/"
        if not token or any(character.isspace() for character in token):
            raise HeartbeatError("the heartbeat token is empty or contains white space")
        if not KIOSK_ID_PATTERN.fullmatch(kiosk_id):
            raise HeartbeatError(f"invalid kiosk id {kiosk_id!r}; "
                                 f"expected {KIOSK_ID_PATTERN.pattern}")
        self._heartbeat_url = console_url + "heartbeat"
        self._screenshot_url = console_url + "screenshot"
        self._token = token
        self._kiosk_id = kiosk_id
        self._client = client
        self._counter = counter
        self._content_version = content_version
        self._clock_status = clock_status
        self._status = status
        self._errors = errors
        self._capture_screenshot = capture_screenshot
        self.interval_s = interval_s
        self._app_version = app_version
        self._clock = clock
        self._started_at = clock() if started_at is None else started_at

    # The Source protocol of the sync worker.

    @property
    def name(self) -> str:
        return "heartbeat"

    @property
    def url(self) -> str:
        return self._heartbeat_url

    def bind_status(self, status: Callable[[], SyncStatus | None]) -> None:
        """Read the sync status from ``status``, such as ``SyncWorker.status`` once it exists."""
        self._status = status

    def restore(self, now: datetime) -> SourceResult | None:
        """Return None: a heartbeat has no cache to restore."""
        return None

    def sync(self, now: datetime) -> SourceResult:
        """Send one heartbeat, and a screenshot on request, reporting failures in the result."""
        try:
            reply = self.send(now)
        except (HeartbeatError, DownloadError) as error:
            logger.warning("heartbeat to %s failed: %s", self._heartbeat_url, error)
            return SourceResult(self.name, ok=False, notices=(), error=str(error))
        if reply.screenshot_requested:
            self._send_screenshot()
        return SourceResult(self.name, ok=True, notices=(), confirmed_at=now)

    # The work itself.

    def payload(self, now: datetime) -> tuple[dict[str, Any], int]:
        """Build the heartbeat for ``now``; return it and the newest error sequence number in it."""
        status = self._status()
        if status is not None:
            # The sender's own status would only repeat the previous heartbeat's outcome.
            status = SyncStatus(taken_at=status.taken_at,
                                sources=tuple(source for source in status.sources
                                              if source.kind != self.kind))
        sequence, errors = self._errors.pending() if self._errors is not None else (0, ())
        payload = build_payload(
            kiosk_id=self._kiosk_id, now=now, app_version=self._app_version,
            content_version=self._content_version(), clock_status=self._clock_status(),
            uptime_s=self._clock() - self._started_at, status=status,
            views=self._counter.snapshot(), errors=errors)
        return payload, sequence

    def send(self, now: datetime) -> HeartbeatReply:
        """Send one heartbeat and return the console's reply.

        The view counts and error messages in it are forgotten only after the
        console accepted it. Raises HeartbeatError or a DownloadError subclass.
        """
        payload, error_sequence = self.payload(now)
        body = encode_payload(payload)
        response = self._client.post(
            self._heartbeat_url, body,
            headers={"Authorization": f"Bearer {self._token}",
                     "Content-Type": "application/json", "Accept": "application/json"},
            max_bytes=MAX_REPLY_BYTES)
        reply = parse_reply(response.body)
        self._counter.discount(payload["views"])
        if self._errors is not None:
            self._errors.acknowledge(error_sequence)
        logger.debug("heartbeat sent: %d bytes, screenshot requested: %s", len(body),
                     reply.screenshot_requested)
        return reply

    def _send_screenshot(self) -> None:
        if self._capture_screenshot is None:
            logger.info("the console requested a screenshot, but this kiosk cannot take one")
            return
        try:
            image = self._capture_screenshot()
        except Exception:
            logger.exception("taking a screenshot for the console failed")
            return
        if image is None:
            logger.info("screenshot postponed: the screen may not be captured now")
            return
        if not image.startswith(PNG_SIGNATURE):
            logger.error("screenshot not sent: the capture callback returned no PNG image")
            return
        if len(image) > MAX_SCREENSHOT_BYTES:
            logger.error("screenshot not sent: %d bytes exceed the limit of %d bytes",
                         len(image), MAX_SCREENSHOT_BYTES)
            return
        try:
            self._client.post(self._screenshot_url, image,
                              headers={"Authorization": f"Bearer {self._token}",
                                       "Content-Type": "image/png",
                                       "Accept": "application/json"},
                              max_bytes=MAX_REPLY_BYTES)
        except DownloadError as error:
            logger.warning("screenshot upload to %s failed: %s", self._screenshot_url, error)
            return
        logger.info("screenshot of %d bytes sent to the console", len(image))
