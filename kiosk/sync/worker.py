"""The sync worker: a daemon thread that does all of the kiosk's network and disk work.

The worker restores each source's cache, then syncs every source on the
configured interval, backing off a failing source with jitter. After each round
it calls ``on_update(notices, status)`` from its own thread. The UI wraps that
callback to move the results onto the UI thread, for example with Kivy's
``Clock.schedule_once``.

Sources are pluggable: anything with a ``name``, a ``kind``, a ``url`` and the
``restore`` and ``sync`` methods of :class:`Source` can be synced, so signed
content can run next to the official feeds.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kiosk.config import KioskConfig, SyncConfig
from kiosk.content.model import Bundle, Notice
from kiosk.remote_settings import RemoteSettings
from kiosk.sync.backoff import Backoff
from kiosk.sync.cache import FeedCache
from kiosk.sync.feeds import FeedSyncer
from kiosk.sync.heartbeat import HeartbeatSender
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.status import SourceResult, SourceStatus, SyncStatus

logger = logging.getLogger(__name__)

UpdateCallback = Callable[[tuple[Notice, ...], SyncStatus], None]


class Source(Protocol):
    """Something the worker keeps current, such as one official feed."""

    @property
    def name(self) -> str: ...

    #: ``feed`` or ``content``, shown in the status.
    @property
    def kind(self) -> str: ...

    @property
    def url(self) -> str: ...

    def restore(self, now: datetime) -> SourceResult | None:
        """Load the last good result from disk; ``None`` when there is none."""

    def sync(self, now: datetime) -> SourceResult:
        """Sync once; report failures in the result instead of raising."""


class Closeable(Protocol):
    def close(self) -> None: ...


@dataclass
class _Slot:
    """The worker's state for one source."""

    source: Source
    backoff: Backoff
    status: SourceStatus
    notices: tuple[Notice, ...] = ()
    #: When the source is next due, on the worker's monotonic clock.
    due: float = 0.0


def _interval(source: Source, config: SyncConfig) -> float:
    """Return the seconds between syncs of ``source``: its own interval or the configured one."""
    interval: float = getattr(source, "interval_s", None) or config.interval_s
    return interval


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SyncWorker:
    """Runs the sources on a daemon thread and reports each round to ``on_update``.

    ``clock`` is the monotonic clock for scheduling and ``now`` the wall clock
    for the status and for the sources; tests inject both and can call
    :meth:`run_due` directly instead of starting the thread.
    """

    def __init__(self, sources: Sequence[Source], config: SyncConfig,
                 on_update: UpdateCallback, *,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = _utc_now,
                 rng: Callable[[], float] = random.random,
                 resources: Sequence[Closeable] = (),
                 on_bundle: Callable[[Bundle], None] | None = None,
                 on_settings: Callable[[RemoteSettings], None] | None = None) -> None:
        names = [source.name for source in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        self._config = config
        self._on_update = on_update
        self._on_bundle = on_bundle
        self._on_settings = on_settings
        self._clock = clock
        self._now = now
        self._resources = tuple(resources)
        # A failing source is retried at least as often as a healthy one is
        # synced, so the kiosk is back on current content within one interval
        # of the server recovering. The jitter still spreads a fleet's retries.
        self._slots = [
            _Slot(source=source,
                  backoff=Backoff(config.backoff_base_s,
                                  max(config.backoff_base_s,
                                      min(config.backoff_max_s, _interval(source, config))),
                                  rng),
                  status=SourceStatus(name=source.name, kind=source.kind, url=source.url))
            for source in sources
        ]
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._sync_requested = False
        self._restored = False
        self._thread: threading.Thread | None = None

    # Control, from any thread.

    def start(self) -> None:
        """Start the worker thread; it restores the caches first, then syncs."""
        if self._thread is not None:
            raise RuntimeError("the sync worker was already started")
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()
        logger.info("sync worker started with %d sources", len(self._slots))

    def sync_now(self) -> None:
        """Request a sync of every source as soon as possible, ignoring backoff.

        A waiting worker wakes at once; a busy one starts the forced round when
        its current round ends.
        """
        with self._lock:
            self._sync_requested = True
        self._wake.set()

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop the thread and close the resources; return False if it did not end in time.

        A waiting worker stops at once. A worker in the middle of a download
        stops when that download ends, which its deadline bounds.
        """
        self._stopping.set()
        self._wake.set()
        stopped = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            stopped = not self._thread.is_alive()
            if not stopped:
                logger.warning("sync worker still busy %s s after stop was requested", timeout_s)
        if stopped:
            self._close_resources()
            logger.info("sync worker stopped")
        return stopped

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> SyncStatus:
        """Return a snapshot of every source's status."""
        with self._lock:
            return self._snapshot()

    # The work itself: the worker thread, or the caller of sync_once() and run_due().

    def restore(self) -> None:
        """Load every source's cache and report the result once."""
        now = self._now()
        for slot in self._slots:
            try:
                result = slot.source.restore(now)
            except Exception:
                logger.exception("source %s: restoring its cache failed", slot.source.name)
                continue
            if result is None:
                continue
            self._deliver_bundle(result)
            with self._lock:
                slot.notices = result.notices
                slot.status = replace(slot.status, last_success=result.confirmed_at,
                                      item_count=len(result.notices))
        self._restored = True
        self._deliver()

    def sync_once(self) -> SyncStatus:
        """Sync every source once in the calling thread and return the status (for the CLI).

        Raises RuntimeError while the worker thread runs, because the sources
        are not safe to sync from two threads.
        """
        if self.running:
            raise RuntimeError("sync_once() cannot run while the sync worker thread runs")
        if not self._restored:
            self.restore()
        for slot in self._slots:
            self._sync_slot(slot)
        return self._deliver()

    def run_due(self) -> float:
        """Sync every source that is due and return the seconds until the next one is due."""
        with self._lock:
            forced = self._sync_requested
            self._sync_requested = False
        ran = False
        for slot in self._slots:
            if self._stopping.is_set():
                break
            if forced or slot.due <= self._clock():
                self._sync_slot(slot)
                ran = True
        if ran:
            self._deliver()
        next_due = min((slot.due for slot in self._slots), default=self._clock() + 3600.0)
        return max(0.0, next_due - self._clock())

    def _run(self) -> None:
        try:
            self.restore()
            while not self._stopping.is_set():
                delay = self.run_due()
                self._wake.wait(delay)
                self._wake.clear()
        except Exception:
            # Sources report their own failures; reaching this is a bug in the worker.
            logger.exception("sync worker failed and stopped")

    def _sync_slot(self, slot: _Slot) -> None:
        name = slot.source.name
        now = self._now()
        started = self._clock()
        try:
            result = slot.source.sync(now)
        except Exception as error:
            logger.exception("source %s: sync raised an unexpected error", name)
            result = SourceResult(name, ok=False, notices=slot.notices,
                                  error=f"unexpected error: {type(error).__name__}: {error}",
                                  confirmed_at=slot.status.last_success)

        self._deliver_bundle(result)
        if result.ok:
            slot.backoff.success()
            # A source may keep its own rhythm, as the heartbeat does.
            delay = _interval(slot.source, self._config)
        else:
            delay = slot.backoff.failure()
            logger.warning("source %s: failure %d in a row, next attempt in %.0f s",
                           name, slot.backoff.failures, delay)
        finished = self._clock()
        logger.debug("source %s: sync took %.2f s", name, finished - started)

        with self._lock:
            slot.due = finished + delay
            slot.notices = result.notices
            slot.status = replace(
                slot.status,
                last_attempt=now,
                last_success=result.confirmed_at if result.ok else slot.status.last_success,
                last_error=result.error,
                item_count=len(result.notices),
                consecutive_failures=slot.backoff.failures,
                next_attempt=self._now() + timedelta(seconds=delay),
            )

    def _deliver_bundle(self, result: SourceResult) -> None:
        if result.settings is not None and self._on_settings is not None:
            try:
                self._on_settings(result.settings)
            except Exception:
                logger.exception("sync settings callback failed")
        if result.bundle is None or self._on_bundle is None:
            return
        try:
            self._on_bundle(result.bundle)
        except Exception:
            logger.exception("sync bundle callback failed for version %d", result.bundle.version)

    def _snapshot(self) -> SyncStatus:
        return SyncStatus(taken_at=self._now(), sources=tuple(slot.status for slot in self._slots))

    def _deliver(self) -> SyncStatus:
        """Pass all notices and a status snapshot to the callback; return the snapshot."""
        with self._lock:
            notices = tuple(notice for slot in self._slots for notice in slot.notices)
            status = self._snapshot()
        try:
            self._on_update(notices, status)
        except Exception:
            logger.exception("sync update callback failed")
        return status

    def _close_resources(self) -> None:
        for resource in self._resources:
            try:
                resource.close()
            except Exception:
                logger.exception("closing %r failed", resource)
        self._resources = ()


def create_sync_worker(config: KioskConfig, on_update: UpdateCallback,
                       on_bundle: Callable[[Bundle], None] | None = None,
                       heartbeat: Callable[[HttpClient], HeartbeatSender] | None = None,
                       on_settings: Callable[[RemoteSettings], None] | None = None,
                       ) -> SyncWorker:
    """Build the worker for the configured feeds, signed content repository and heartbeat.

    ``on_bundle`` receives each newly verified bundle, and the cached one at
    start-up. ``heartbeat`` builds the heartbeat sender on the worker's HTTP client.
    """
    client = HttpClient(config.sync, USER_AGENT)
    cache = FeedCache(config.data_dir / "feeds")
    sources: list[Source] = [FeedSyncer(feed, config.sync, client, cache)
                             for feed in config.sync.feeds]
    if config.sync.repository_url:
        from kiosk.sync.content_source import ContentSource

        sources.insert(0, ContentSource(config.sync, config.data_dir, client, config.kiosk_id))
    sender = heartbeat(client) if heartbeat is not None else None
    if sender is not None:
        sources.append(sender)
    worker = SyncWorker(sources, config.sync, on_update, resources=[client], on_bundle=on_bundle,
                        on_settings=on_settings)
    if sender is not None:
        sender.bind_status(worker.status)
    return worker
