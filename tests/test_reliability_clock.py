"""Reliability of the kiosk when its wall clock is wrong or steps while it runs.

The kiosk schedules sync and idle reset on the monotonic clock and uses the
wall clock only to judge content validity and to show times. These tests run
the real sync worker, content source and feed syncer against a healthy
loopback FaultServer, with a wall clock and a monotonic clock that the test
moves separately.

Intended behaviour with a wrong clock, as the code implements it:

* Booted at 1970, the clock is behind the newest verified content. Selection
  then uses the bundle's publish time, so nothing is hidden as "not yet
  valid", and the maintenance view and the heartbeat report the clock as
  behind. Signed metadata looks unexpired, so sync still verifies by
  signatures and versions.
* Two years ahead: signed metadata looks expired, so no new content is
  installed and the last verified bundle stays in force; selection again uses
  the publish time, the clock is reported as ahead, and the content source
  fails with an error that names a wrong clock as one cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fault_server import FEED_ID, FaultServer, Mode, SimulatedClock, alert_headline, cap_alert
from test_publish_support import sample_document

from kiosk.config import FeedConfig, SyncConfig
from kiosk.content.model import Bundle, Notice
from kiosk.content.selection import ClockStatus, Selection, select_content
from kiosk.publish import ExpiryPolicy, publish
from kiosk.sync.cache import FeedCache
from kiosk.sync.content_source import ContentSource
from kiosk.sync.feeds import FeedSyncer
from kiosk.sync.heartbeat import HeartbeatSender, ViewCounter
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.status import SyncStatus
from kiosk.sync.store import load_verified_bundle
from kiosk.sync.worker import Source, SyncWorker

# The keys_dir fixture.
pytest_plugins = ["test_publish_support"]

#: When the repository and the feed were published, and what a correct clock reads.
PUBLISHED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
BOOT_1970 = datetime(1970, 1, 1, tzinfo=UTC)
#: 731 days ahead (2028 is a leap year): past the 730 days selection still trusts.
TWO_YEARS_AHEAD = PUBLISHED.replace(year=PUBLISHED.year + 2)
INTERVAL_S = 300.0
STALE_AFTER_S = 3600.0
#: The feed's alert is in force from two hours before publishing for two days.
ALERT_EXPIRES = PUBLISHED + timedelta(days=2)


@dataclass
class Kiosk:
    """The sync side of one kiosk: worker, sources and what they delivered."""

    clock: SimulatedClock
    data_dir: Path
    config: SyncConfig
    client: HttpClient
    notices: tuple[Notice, ...] = ()
    bundle: Bundle | None = None
    worker: SyncWorker = field(init=False)
    sender: HeartbeatSender = field(init=False)

    def __post_init__(self) -> None:
        feed = self.config.feeds[0]
        sources: list[Source] = [
            ContentSource(self.config, self.data_dir, self.client, "clock-kiosk"),
            FeedSyncer(feed, self.config, self.client, FeedCache(self.data_dir / "feeds")),
        ]
        self.worker = SyncWorker(sources, self.config, self._on_update, clock=self.clock.seconds,
                                 now=self.clock.now, rng=lambda: 0.5, on_bundle=self._on_bundle)
        # Only its payload is read here; the worker does not send heartbeats in these tests.
        self.sender = HeartbeatSender("http://127.0.0.1:9/fleet/api/", "clock-token",
                                      "clock-kiosk", self.client, ViewCounter(),
                                      content_version=lambda: self.bundle_version,
                                      clock_status=lambda: self.selection().clock,
                                      status=self.worker.status, clock=self.clock.seconds)

    def _on_update(self, notices: tuple[Notice, ...], _status: SyncStatus) -> None:
        self.notices = notices

    def _on_bundle(self, bundle: Bundle) -> None:
        self.bundle = bundle

    @property
    def bundle_version(self) -> int | None:
        return self.bundle.version if self.bundle is not None else None

    def selection(self) -> Selection:
        assert self.bundle is not None, "no bundle delivered yet"
        return select_content(self.bundle, self.clock.wall, None, "en",
                              extra_notices=self.notices)

    def stale(self) -> list[str]:
        status = self.worker.status()
        return [source.name for source in status.stale_sources(self.clock.wall, STALE_AFTER_S)]

    def last_attempts(self) -> list[datetime | None]:
        return [source.last_attempt for source in self.worker.status().sources]


@dataclass
class Setup:
    server: FaultServer
    config: SyncConfig
    client: HttpClient
    data_dir: Path

    def kiosk(self, wall: datetime) -> Kiosk:
        """Start a kiosk on ``data_dir`` (a restart when one ran before) with its wall clock at ``wall``."""
        kiosk = Kiosk(SimulatedClock(wall), self.data_dir, self.config, self.client)
        kiosk.worker.restore()
        return kiosk


@pytest.fixture
def setup(tmp_path: Path, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    repository = tmp_path / "repository"
    repository.mkdir()
    # Timestamp metadata valid for three days, so the alert's two days fit inside it.
    publish(sample_document(PUBLISHED), repository, keys_dir, now=PUBLISHED,
            expiry=ExpiryPolicy(timestamp=timedelta(days=3)))
    root = tmp_path / "installed-root.json"
    root.write_bytes((repository / "metadata" / "root.json").read_bytes())
    with FaultServer(repository) as server:
        server.feed_body = cap_alert(1, PUBLISHED - timedelta(hours=2), ALERT_EXPIRES)
        config = SyncConfig(
            interval_s=INTERVAL_S, stale_after_s=STALE_AFTER_S, connect_timeout_s=1.0,
            read_timeout_s=2.0, deadline_s=5.0, backoff_base_s=10.0, backoff_max_s=INTERVAL_S,
            feeds=(FeedConfig(id=FEED_ID, url=server.feed_url, kind="cap"),),
            repository_url=server.repository_url, trusted_root=root)
        with HttpClient(config, USER_AGENT) as client:
            yield Setup(server, config, client, tmp_path / "data")


def _titles(selection: Selection) -> list[str | None]:
    return [notice.title.get("en") for notice in selection.notices]


BUNDLE_NOTICE = "Masks are required on board"
FEED_NOTICE = alert_headline(1)


# --- a clock that steps while the kiosk runs -------------------------------------------------

@pytest.mark.parametrize("step", [timedelta(hours=8), timedelta(hours=-8)], ids=["ahead", "back"])
def test_wall_step_leaves_sync_schedule_alone(setup: Setup, step: timedelta) -> None:
    kiosk = setup.kiosk(PUBLISHED + timedelta(hours=1))
    assert kiosk.worker.run_due() == INTERVAL_S
    attempts = kiosk.last_attempts()
    assert kiosk.stale() == []

    kiosk.clock.monotonic += 60
    kiosk.clock.wall += step + timedelta(seconds=60)

    # Neither direction makes a source due early or pushes it later.
    assert kiosk.worker.run_due() == pytest.approx(INTERVAL_S - 60)
    assert kiosk.last_attempts() == attempts
    # The age of the content is unknown after a step back and over the limit
    # after a step ahead: both show as stale until the next success.
    assert kiosk.stale() == ["content", FEED_ID]

    kiosk.clock.monotonic += INTERVAL_S - 60
    kiosk.clock.wall += timedelta(seconds=INTERVAL_S - 60)
    assert kiosk.worker.run_due() == INTERVAL_S
    assert kiosk.last_attempts() == [kiosk.clock.wall] * 2
    assert kiosk.stale() == []
    assert _titles(kiosk.selection()) == [FEED_NOTICE, BUNDLE_NOTICE]


def test_wall_step_past_alert_expiry_hides_alert(setup: Setup) -> None:
    kiosk = setup.kiosk(ALERT_EXPIRES - timedelta(hours=4))
    kiosk.worker.run_due()
    assert _titles(kiosk.selection()) == [FEED_NOTICE, BUNDLE_NOTICE]

    kiosk.clock.wall += timedelta(hours=8)

    # A plausible clock is believed: the alert is past its expiry, before and after a sync.
    assert _titles(kiosk.selection()) == [BUNDLE_NOTICE]
    kiosk.clock.monotonic += INTERVAL_S
    kiosk.worker.run_due()
    assert _titles(kiosk.selection()) == [BUNDLE_NOTICE]
    # The feed still lists the alert; selection is what hides it.
    assert kiosk.worker.status().source(FEED_ID).item_count == 1  # type: ignore[union-attr]


def test_backoff_runs_on_monotonic_clock(setup: Setup) -> None:
    kiosk = setup.kiosk(PUBLISHED + timedelta(hours=1))
    kiosk.worker.run_due()
    setup.server.set_mode(Mode.SERVER_ERROR)
    kiosk.clock.monotonic += INTERVAL_S
    kiosk.clock.wall += timedelta(seconds=INTERVAL_S)
    first_wait = kiosk.worker.run_due()

    kiosk.clock.wall -= timedelta(hours=8)

    # rng 0.5 after one failure: 10 + 0.5 * (20 - 10) = 15 s, on the monotonic clock only.
    assert first_wait == pytest.approx(15.0)
    assert kiosk.worker.run_due() == pytest.approx(15.0)
    kiosk.clock.monotonic += 15.0
    setup.server.set_mode(Mode.HEALTHY)
    assert kiosk.worker.run_due() == INTERVAL_S
    status = kiosk.worker.status()
    assert [source.consecutive_failures for source in status.sources] == [0, 0]


# --- a clock that is wrong from boot ----------------------------------------------------------

def test_boot_in_1970_keeps_content_visible(setup: Setup) -> None:
    kiosk = setup.kiosk(BOOT_1970)

    kiosk.worker.run_due()

    # Signed metadata cannot look expired in 1970, so content verifies and installs.
    assert kiosk.bundle_version == 1
    assert load_verified_bundle(setup.data_dir) is not None
    selection = kiosk.selection()
    assert selection.clock is ClockStatus.BEHIND
    assert selection.moment == kiosk.bundle.published_at  # type: ignore[union-attr]
    assert _titles(selection) == [FEED_NOTICE, BUNDLE_NOTICE]
    assert selection.stale is False
    payload, _ = kiosk.sender.payload(kiosk.clock.wall)
    assert payload["clock_status"] == "behind"
    assert payload["content_version"] == 1
    assert [source["last_error"] for source in payload["sources"]] == [None, None]


def test_clock_fixed_after_1970_boot(setup: Setup) -> None:
    kiosk = setup.kiosk(BOOT_1970)
    kiosk.worker.run_due()

    # NTP sets the clock ten seconds after the first sync.
    kiosk.clock.monotonic += 10
    kiosk.clock.wall = PUBLISHED + timedelta(hours=1)

    assert kiosk.selection().clock is ClockStatus.OK
    assert _titles(kiosk.selection()) == [FEED_NOTICE, BUNDLE_NOTICE]
    # The successes were recorded in 1970, so the kiosk reports its content as possibly old...
    assert kiosk.stale() == ["content", FEED_ID]
    # ...until the next scheduled sync, which the clock step does not bring forward.
    assert kiosk.worker.run_due() == pytest.approx(INTERVAL_S - 10)
    kiosk.clock.monotonic += INTERVAL_S - 10
    kiosk.worker.run_due()
    assert kiosk.stale() == []


def test_restart_in_1970_reports_clock_and_stale_content(setup: Setup) -> None:
    setup.kiosk(PUBLISHED + timedelta(hours=1)).worker.run_due()

    kiosk = setup.kiosk(BOOT_1970)

    # Restored content from a later time: shown, with the clock reported as behind.
    assert kiosk.bundle_version == 1
    assert kiosk.selection().clock is ClockStatus.BEHIND
    assert _titles(kiosk.selection()) == [FEED_NOTICE, BUNDLE_NOTICE]
    # Its last success lies in the future of this clock, so its age is unknown.
    assert kiosk.stale() == ["content", FEED_ID]


def test_two_years_ahead_keeps_last_verified_content(setup: Setup, keys_dir: Path) -> None:
    setup.kiosk(PUBLISHED + timedelta(hours=1)).worker.run_due()
    publish(sample_document(PUBLISHED + timedelta(hours=2)), setup.server.repository_dir,
            keys_dir, now=PUBLISHED + timedelta(hours=2))

    kiosk = setup.kiosk(TWO_YEARS_AHEAD)
    kiosk.worker.run_due()

    status = kiosk.worker.status().source("content")
    assert status is not None and status.last_error is not None
    assert "signed metadata expired (freeze, no renewal, or wrong clock)" in status.last_error
    assert kiosk.bundle_version == 1
    assert load_verified_bundle(setup.data_dir).version == 1  # type: ignore[union-attr]
    selection = kiosk.selection()
    assert selection.clock is ClockStatus.AHEAD
    # The bundle's own expiry (a year after publishing) is not applied to a clock judged wrong.
    assert selection.stale is False
    assert BUNDLE_NOTICE in _titles(selection)
    assert "content" in kiosk.stale()
    payload, _ = kiosk.sender.payload(kiosk.clock.wall)
    assert payload["clock_status"] == "ahead"
    assert payload["sources"][0]["consecutive_failures"] == 1


def test_two_years_ahead_keeps_feed_alerts(setup: Setup) -> None:
    setup.kiosk(PUBLISHED + timedelta(hours=1)).worker.run_due()

    kiosk = setup.kiosk(TWO_YEARS_AHEAD)
    kiosk.worker.run_due()

    assert kiosk.selection().clock is ClockStatus.AHEAD
    assert FEED_NOTICE in _titles(kiosk.selection())


# --- idle reset on the real kiosk ------------------------------------------------------------

def test_wall_step_back_keeps_idle_timing(kiosk_home: Any) -> None:
    from test_ui_screens import translated

    app = kiosk_home.app
    wall = kiosk_home.clock.wall
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Hotlines")))
    try:
        kiosk_home.clock.wall -= timedelta(hours=8)
        kiosk_home.clock.monotonic += app.kiosk_config.idle_timeout_s - 1
        app._tick()
        app.idle.check()
        kiosk_home.frames(2)
        assert kiosk_home.current == "hotlines"

        kiosk_home.clock.monotonic += 2
        app.idle.check()
        kiosk_home.frames(2)
        assert kiosk_home.current == "home"
    finally:
        kiosk_home.clock.wall = wall
        app.state.refresh()
        kiosk_home.reset()
