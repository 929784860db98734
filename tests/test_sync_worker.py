"""Tests for kiosk.sync.worker: scheduling, backoff, callbacks, the thread, and real feeds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loopback import Fault, LoopbackServer, Route, loopback_server_fixture  # noqa: F401

from kiosk.config import FeedConfig, KioskConfig, SyncConfig
from kiosk.content.model import Notice, Severity
from kiosk.sync.status import SourceResult, SyncStatus
from kiosk.sync.worker import SyncWorker, create_sync_worker

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
CONFIG = SyncConfig(interval_s=300.0, backoff_base_s=10.0, backoff_max_s=1800.0)


def notice(notice_id: str, origin: str) -> Notice:
    return Notice(id=notice_id, title={"en": notice_id}, body={}, severity=Severity.INFO,
                  issuer={}, origin=origin)


@dataclass
class FakeSource:
    """A source whose sync outcomes the test sets; it remembers its last good notices."""

    name: str
    kind: str = "feed"
    url: str = "https://feeds.example.org/feed.xml"
    ok: bool = True
    notices: tuple[Notice, ...] = ()
    cached: tuple[Notice, ...] | None = None
    calls: list[datetime] = field(default_factory=list)
    block: threading.Event | None = None
    raise_error: Exception | None = None
    _good: tuple[Notice, ...] = ()

    def restore(self, now: datetime) -> SourceResult | None:
        if self.cached is None:
            return None
        self._good = self.cached
        return SourceResult(self.name, ok=True, notices=self.cached,
                            confirmed_at=now - timedelta(hours=1))

    def sync(self, now: datetime) -> SourceResult:
        self.calls.append(now)
        if self.block is not None:
            self.block.wait(5)
        if self.raise_error is not None:
            raise self.raise_error
        if not self.ok:
            return SourceResult(self.name, ok=False, notices=self._good,
                                error=f"{self.url}: HTTP status 500")
        self._good = self.notices
        return SourceResult(self.name, ok=True, notices=self.notices, confirmed_at=now)


class FakeClock:
    def __init__(self) -> None:
        self.monotonic = 1000.0

    def __call__(self) -> float:
        return self.monotonic

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.monotonic - 1000.0)


@dataclass
class Updates:
    calls: list[tuple[tuple[Notice, ...], SyncStatus]] = field(default_factory=list)
    event: threading.Event = field(default_factory=threading.Event)

    def __call__(self, notices: tuple[Notice, ...], status: SyncStatus) -> None:
        self.calls.append((notices, status))
        self.event.set()


def make_worker(sources: list[FakeSource], clock: FakeClock, updates: Updates,
                rng: Callable[[], float] = lambda: 0.0,
                config: SyncConfig = CONFIG) -> SyncWorker:
    return SyncWorker(sources, config, updates, clock=clock, now=clock.now, rng=rng)


def test_first_round_syncs_every_source() -> None:
    clock, updates = FakeClock(), Updates()
    a = FakeSource("a", notices=(notice("a1", "a"),))
    b = FakeSource("b", notices=(notice("b1", "b"), notice("b2", "b")))
    worker = make_worker([a, b], clock, updates)

    wait = worker.run_due()

    assert wait == CONFIG.interval_s
    assert len(updates.calls) == 1
    notices, status = updates.calls[0]
    assert [n.id for n in notices] == ["a1", "b1", "b2"]
    assert [s.item_count for s in status.sources] == [1, 2]
    assert status.source("a") is not None
    assert status.source("a").last_success == NOW  # type: ignore[union-attr]
    assert status.source("a").next_attempt == NOW + timedelta(seconds=300)  # type: ignore[union-attr]


def test_source_waits_for_interval() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a")
    worker = make_worker([source], clock, updates)
    worker.run_due()

    clock.monotonic += CONFIG.interval_s - 1
    assert worker.run_due() == pytest.approx(1.0)
    assert len(source.calls) == 1
    assert len(updates.calls) == 1

    clock.monotonic += 1
    worker.run_due()
    assert len(source.calls) == 2
    assert len(updates.calls) == 2


def test_failure_backs_off_and_keeps_notices() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", notices=(notice("a1", "a"),))
    worker = make_worker([source], clock, updates, rng=lambda: 1.0)
    worker.run_due()
    source.ok = False

    clock.monotonic += CONFIG.interval_s
    first_wait = worker.run_due()
    clock.monotonic += first_wait
    second_wait = worker.run_due()

    assert first_wait == 20.0
    assert second_wait == 40.0
    notices, status = updates.calls[-1]
    assert [n.id for n in notices] == ["a1"]
    source_status = status.sources[0]
    assert source_status.consecutive_failures == 2
    assert source_status.last_error == "https://feeds.example.org/feed.xml: HTTP status 500"
    assert source_status.last_success == NOW
    assert source_status.last_attempt == NOW + timedelta(seconds=320)


def test_success_after_failure_resets_backoff() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", ok=False)
    worker = make_worker([source], clock, updates, rng=lambda: 1.0)
    for _ in range(3):
        clock.monotonic += worker.run_due()
    source.ok = True

    wait = worker.run_due()

    assert wait == CONFIG.interval_s
    status = worker.status().sources[0]
    assert status.consecutive_failures == 0
    assert status.last_error is None


def test_backoff_never_exceeds_max() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", ok=False)
    worker = make_worker([source], clock, updates, rng=lambda: 1.0)

    waits = []
    for _ in range(12):
        wait = worker.run_due()
        waits.append(wait)
        clock.monotonic += wait

    assert max(waits) == min(CONFIG.backoff_max_s, CONFIG.interval_s)
    assert min(waits) >= CONFIG.backoff_base_s


def test_failing_source_retried_within_interval() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", ok=False)
    config = replace(CONFIG, interval_s=120.0, backoff_max_s=1800.0)
    worker = make_worker([source], clock, updates, rng=lambda: 1.0, config=config)

    waits = []
    for _ in range(12):
        wait = worker.run_due()
        waits.append(wait)
        clock.monotonic += wait

    assert max(waits) == 120.0
    assert waits[0] < waits[2]


def test_sync_now_ignores_backoff() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", ok=False)
    worker = make_worker([source], clock, updates)
    worker.run_due()

    worker.sync_now()
    worker.run_due()

    assert len(source.calls) == 2


def test_raising_source_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    clock, updates = FakeClock(), Updates()
    broken = FakeSource("broken", raise_error=RuntimeError("parser bug"))
    good = FakeSource("good", notices=(notice("g1", "good"),))
    worker = make_worker([broken, good], clock, updates)

    with caplog.at_level(logging.ERROR, logger="kiosk.sync.worker"):
        worker.run_due()

    notices, status = updates.calls[0]
    assert [n.id for n in notices] == ["g1"]
    broken_status = status.source("broken")
    assert broken_status is not None
    assert broken_status.last_error == "unexpected error: RuntimeError: parser bug"
    assert broken_status.consecutive_failures == 1
    assert "broken" in caplog.text


def test_failing_callback_does_not_stop_worker(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    source = FakeSource("a")

    def failing_callback(notices: tuple[Notice, ...], status: SyncStatus) -> None:
        raise ValueError("widget gone")

    worker = SyncWorker([source], CONFIG, failing_callback, clock=clock, now=clock.now)
    with caplog.at_level(logging.ERROR, logger="kiosk.sync.worker"):
        worker.run_due()
        clock.monotonic += CONFIG.interval_s
        worker.run_due()

    assert len(source.calls) == 2
    assert "callback failed" in caplog.text


def test_restore_delivers_cached_notices_before_sync() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", cached=(notice("old", "a"),))
    worker = make_worker([source], clock, updates)

    worker.restore()

    assert source.calls == []
    notices, status = updates.calls[0]
    assert [n.id for n in notices] == ["old"]
    assert status.sources[0].last_success == NOW - timedelta(hours=1)
    assert status.sources[0].last_attempt is None


def test_sync_once_returns_status() -> None:
    clock, updates = FakeClock(), Updates()
    source = FakeSource("a", ok=False, cached=(notice("old", "a"),))
    worker = make_worker([source], clock, updates)

    status = worker.sync_once()

    assert status.sources[0].consecutive_failures == 1
    assert status.sources[0].item_count == 1
    assert [n.id for n in updates.calls[-1][0]] == ["old"]


def test_duplicate_source_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        SyncWorker([FakeSource("a"), FakeSource("a")], CONFIG, Updates())


def test_thread_delivers_and_stops_promptly() -> None:
    updates = Updates()
    source = FakeSource("a", notices=(notice("a1", "a"),))
    closed = threading.Event()

    class Resource:
        def close(self) -> None:
            closed.set()

    worker = SyncWorker([source], replace(CONFIG, interval_s=3600.0), updates,
                        resources=[Resource()])
    worker.start()
    assert updates.event.wait(5)
    deadline = time.monotonic() + 5
    while len(updates.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    stopped = worker.stop(timeout_s=5)

    assert stopped is True
    assert time.monotonic() - started < 0.5
    assert worker.running is False
    assert closed.is_set()
    assert [n.id for n in updates.calls[-1][0]] == ["a1"]
    assert updates.calls[-1][1].sources[0].last_success is not None


def test_sync_now_wakes_thread() -> None:
    updates = Updates()
    source = FakeSource("a")
    worker = SyncWorker([source], replace(CONFIG, interval_s=3600.0), updates)
    worker.start()
    deadline = time.monotonic() + 5
    while len(source.calls) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)

    worker.sync_now()
    deadline = time.monotonic() + 5
    while len(source.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop(timeout_s=5)

    assert len(source.calls) == 2


def test_stop_waits_for_running_sync() -> None:
    updates = Updates()
    release = threading.Event()
    source = FakeSource("a", block=release)
    worker = SyncWorker([source], CONFIG, updates)
    worker.start()
    deadline = time.monotonic() + 5
    while not source.calls and time.monotonic() < deadline:
        time.sleep(0.01)

    assert worker.stop(timeout_s=0.1) is False
    release.set()
    assert worker.stop(timeout_s=5) is True
    assert worker.running is False


def test_sync_once_rejected_while_thread_runs() -> None:
    worker = SyncWorker([FakeSource("a")], CONFIG, Updates())
    worker.start()
    try:
        with pytest.raises(RuntimeError, match="cannot run while"):
            worker.sync_once()
    finally:
        worker.stop(timeout_s=5)


def test_start_twice_is_rejected() -> None:
    worker = SyncWorker([], CONFIG, Updates())
    worker.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            worker.start()
    finally:
        worker.stop(timeout_s=5)


# The worker with real feed syncers, a real HTTP client and a real cache on disk.

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Metro</title>'
       b"<link>https://metro.example.org/</link><description>Notices</description>"
       b"<item><title>Line 1 closed</title><link>https://metro.example.org/1</link>"
       b"<guid>https://metro.example.org/1</guid><description>Until noon</description>"
       b"</item></channel></rss>")


def feed_config(server: LoopbackServer, data_dir: Path) -> KioskConfig:
    sync = SyncConfig(connect_timeout_s=0.5, read_timeout_s=0.5, deadline_s=1.5,
                      feeds=(FeedConfig(id="metro", url=server.url("/metro.xml")),))
    return KioskConfig(data_dir=data_dir, sync=sync)


@pytest.mark.parametrize(("fault", "message"), [
    (Route(status=500, body=b"<error>database down</error>"), "HTTP status 500"),
    (Route(body=b"<html><body>Sign in to Wi-Fi</body></html>", content_type="text/html"),
     "HTML page"),
    (Route(fault=Fault.STALL), "timed out"),
    (Route(body=RSS, fault=Fault.TRUNCATED), "truncated"),
])
def test_restart_keeps_cached_notices(loopback_server: LoopbackServer, tmp_path: Path,
                                      fault: Route, message: str) -> None:
    loopback_server.add("/metro.xml", Route(body=RSS, content_type="application/rss+xml"))
    config = feed_config(loopback_server, tmp_path)
    first_updates = Updates()
    first = create_sync_worker(config, first_updates)
    first_status = first.sync_once()
    first.stop()
    assert first_status.sources[0].last_error is None
    assert [n.title["en"] for n in first_updates.calls[-1][0]] == ["Line 1 closed"]

    loopback_server.add("/metro.xml", fault)
    updates = Updates()
    second = create_sync_worker(config, updates)
    status = second.sync_once()
    second.stop()

    restored_notices = updates.calls[0][0]
    assert [n.title["en"] for n in restored_notices] == ["Line 1 closed"]
    notices, delivered_status = updates.calls[-1]
    assert [n.title["en"] for n in notices] == ["Line 1 closed"]
    assert delivered_status == status
    metro = status.sources[0]
    assert metro.consecutive_failures == 1
    assert metro.last_error is not None
    assert message in metro.last_error
    assert metro.item_count == 1
    assert metro.last_success == first_status.sources[0].last_success


def test_threaded_worker_syncs_real_feed(loopback_server: LoopbackServer,
                                         tmp_path: Path) -> None:
    loopback_server.add("/metro.xml", Route(body=RSS, etag='"m1"'))
    updates = Updates()
    worker = create_sync_worker(feed_config(loopback_server, tmp_path), updates)

    worker.start()
    deadline = time.monotonic() + 5
    while len(updates.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.sync_now()
    while len(loopback_server.hits("/metro.xml")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.stop(timeout_s=5) is True

    hits = loopback_server.hits("/metro.xml")
    assert len(hits) == 2
    assert hits[1].status == 304
    assert [n.title["en"] for n in updates.calls[-1][0]] == ["Line 1 closed"]
    assert (tmp_path / "feeds" / "feed-metro.json").is_file()
