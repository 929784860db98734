"""Reliability of the sync worker when the feed and the signed repository misbehave.

The soak drives the real SyncWorker, ContentSource, FeedSyncer and
HeartbeatSender on a simulated clock against a loopback FaultServer that
cycles through every fault mode. The frame test runs a real worker thread
next to the real kiosk window and checks that stalled and trickling downloads
never hold up a frame. The full simulated week is in
tests/benchmarks/soak_sync_week.py, because it takes longer than the default
run should.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fault_server import (
    CONTENT_ERRORS,
    FAULT_MODES,
    FEED_ERRORS,
    FEED_ID,
    FaultServer,
    Mode,
    Soak,
    cap_alert,
    fault_cycle,
)
from test_publish_support import sample_document

from kiosk.config import FeedConfig, KioskConfig, SyncConfig
from kiosk.publish import publish
from kiosk.sync.worker import SyncWorker, create_sync_worker

# The keys_dir fixture.
pytest_plugins = ["test_publish_support"]

START = datetime(2026, 11, 2, tzinfo=UTC)
#: About one simulated day (23.75 h): a healthy start, then ten one-hour faults, each
#: followed by 75 minutes of healthy service.
FAULT_S = 3600.0
HEALTHY_S = 4500.0


@pytest.fixture
def soak(tmp_path: Path, keys_dir: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Soak]:
    # Loopback traffic must never go to a proxy named in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    with Soak(tmp_path / "soak", keys_dir, start=START) as running:
        yield running


def test_sync_survives_day_of_faults(soak: Soak, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk")

    # Soak.run checks the status, backoff, content and heartbeat after every
    # step and raises SoakFailure with the step and values on the first error.
    report = soak.run(fault_cycle(FAULT_S, HEALTHY_S))

    assert report.simulated_s == pytest.approx(len(FAULT_MODES) * FAULT_S
                                               + (len(FAULT_MODES) + 1) * HEALTHY_S)
    for mode in FAULT_MODES:
        for source, table in (("content", CONTENT_ERRORS), (FEED_ID, FEED_ERRORS)):
            attempts = report.attempts.get((source, mode.value), 0)
            failures = report.failures.get((source, mode.value), 0)
            assert attempts >= 2, f"{source} tried only {attempts} times in {mode.value}"
            expected_failures = attempts if mode in table else 0
            assert failures == expected_failures, (source, mode.value)
    # Each fault published a new bundle, and each was installed once, in order.
    assert report.bundle_versions_installed == list(range(1, len(FAULT_MODES) + 2))
    assert [mode for mode, _ in report.recoveries] == [mode.value for mode in FAULT_MODES]
    assert all(0 <= delay <= soak.config.interval_s for _, delay in report.recoveries)
    # Jitter spreads the delays over the whole allowed range.
    assert report.shortest_backoff_s < 2 * soak.config.backoff_base_s
    assert report.longest_backoff_s > soak.config.backoff_max_s / 2
    assert report.heartbeats_received >= 24
    # Every failure was logged as a warning naming its source, never as an error.
    failed = sum(report.failures.values())
    warnings = [record for record in caplog.records if record.name == "kiosk.sync.worker"
                and record.levelno == logging.WARNING]
    assert len(warnings) == failed
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


# --- the UI thread while the worker is stuck --------------------------------------------------

#: Longest allowed gap between two frames while the worker waits on a download.
#: A stalled download here waits out the 0.8 s read timeout and a trickling
#: one the 1.2 s deadline, so a UI thread that waited on the network would show
#: a gap of at least 800 ms. On this 2-core machine, with Mesa's software
#: renderer under Xvfb at 1080x1920, the median gap was 12 ms and the longest
#: gaps 80 to 95 ms (in the stalled phase, with another process loading both
#: cores). 200 ms leaves twice that margin and is still a quarter of a
#: network wait.
FRAME_BUDGET_S = 0.200
#: Upper bound for the median gap: frames must keep coming at a steady rate, not
#: just avoid one long stall.
MEDIAN_FRAME_BUDGET_S = 0.050


def _frame_gaps(driver, seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Run the kiosk's frames for ``seconds`` and return the gaps between them in seconds."""
    from kivy.clock import Clock

    stamps: list[float] = []

    def record(_dt: float) -> None:
        stamps.append(time.perf_counter())

    event = Clock.schedule_interval(record, 0)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            driver.frames(1)
    finally:
        event.cancel()
    return [later - earlier for earlier, later in itertools.pairwise(stamps)]


@pytest.fixture
def clean_kiosk(kiosk_home):  # type: ignore[no-untyped-def]
    """The shared kiosk; bundle, feed notices, sync status and worker are restored afterwards."""
    app = kiosk_home.app
    bundle = app.state.bundle
    yield kiosk_home
    app.worker = None
    app.state.sync_status = None
    app.state.set_feed_notices(())
    app.state.bundle = bundle
    app.state.refresh()
    kiosk_home.reset()


def _wait_for(condition, timeout_s: float, driver) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        driver.frames(1)
    return bool(condition())


def test_frames_continue_while_downloads_hang(clean_kiosk: Any, keys_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    driver = clean_kiosk
    app = driver.app
    now = datetime.now(UTC)
    repository = tmp_path / "repository"
    repository.mkdir()
    publish(sample_document(now), repository, keys_dir, now=now)
    root = tmp_path / "installed-root.json"
    root.write_bytes((repository / "metadata" / "root.json").read_bytes())

    baseline = _frame_gaps(driver, 1.0)

    with FaultServer(repository, hold_s=5.0, trickle_interval_s=0.1) as server:
        server.feed_body = cap_alert(1, now, now.replace(year=now.year + 1))
        sync = SyncConfig(interval_s=0.5, connect_timeout_s=0.5, read_timeout_s=0.8,
                          deadline_s=1.2, backoff_base_s=0.2, backoff_max_s=0.5,
                          feeds=(FeedConfig(id=FEED_ID, url=server.feed_url, kind="cap"),),
                          repository_url=server.repository_url, trusted_root=root)
        config = replace(KioskConfig(), kiosk_id="frame-test", data_dir=tmp_path / "data",
                         sync=sync)
        worker: SyncWorker = create_sync_worker(config, app.deliver_sync, app.deliver_bundle)
        app.attach_worker(worker)
        worker.start()
        try:
            # Healthy first: the verified bundle and the feed's notice reach the UI thread.
            assert _wait_for(lambda: not app.state.bundle.sample and app.state.feed_notices,
                             10.0, driver)
            assert app.state.bundle.version == 1
            assert [notice.title.get("en") for notice in app.state.feed_notices] \
                == ["Platform change, notice 1"]

            gaps: dict[str, list[float]] = {}
            for mode in (Mode.STALLED, Mode.TRICKLE):
                server.set_mode(mode)
                requests_before = sum(server.requests.values())
                assert _wait_for(lambda before=requests_before: sum(server.requests.values()) > before,
                                 5.0, driver)
                # The maintenance view's button requests a sync from the UI thread mid-download.
                app.sync_now()
                gaps[mode.value] = _frame_gaps(driver, 2.5)
                status = worker.status()
                for source in (status.source("content"), status.source(FEED_ID)):
                    assert source is not None and source.consecutive_failures > 0, source
                    assert source.last_error is not None
            server.set_mode(Mode.HEALTHY)
        finally:
            assert worker.stop(timeout_s=5.0)

    assert not app.state.bundle.sample
    assert app.state.bundle.version == 1
    assert max(baseline) < FRAME_BUDGET_S, f"frames are slow even without a worker: {baseline}"
    for mode_name, mode_gaps in gaps.items():
        assert len(mode_gaps) > 20, f"only {len(mode_gaps)} frames in 2.5 s during {mode_name}"
        assert max(mode_gaps) < FRAME_BUDGET_S, \
            f"{mode_name}: longest frame gap {max(mode_gaps) * 1000:.0f} ms"
        median = sorted(mode_gaps)[len(mode_gaps) // 2]
        assert median < MEDIAN_FRAME_BUDGET_S, \
            f"{mode_name}: median frame gap {median * 1000:.0f} ms"
