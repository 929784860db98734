"""Feeds, emergency alerts, the stale-sync banner and the maintenance view in a real window."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from loopback import Route, loopback_server_fixture  # noqa: F401

from kiosk.config import FeedConfig, SyncConfig
from kiosk.content.model import AlertInfo, Notice, Severity
from kiosk.i18n.catalogs import load_catalog
from kiosk.sync.cache import FeedCache
from kiosk.sync.feeds import FeedSyncer
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.status import SourceStatus, SyncStatus
from kiosk.sync.worker import SyncWorker
from kiosk.ui.maintenance import hash_pin

pytestmark = pytest.mark.ui

CMA_SAMPLE = "cap12_zh-CN_en-US_cma_penglai_heat_red_update_cpeas_geocode.xml"


def translated(language: str, message: str) -> str:
    return load_catalog(language).gettext(message)


@pytest.fixture
def clean_kiosk(kiosk_home):  # type: ignore[no-untyped-def]
    """The shared kiosk; feed notices, sync status, bundle and clock are restored afterwards."""
    app = kiosk_home.app
    bundle, wall = app.state.bundle, kiosk_home.clock.wall
    yield kiosk_home
    app.state.sync_status = None
    app.state.set_feed_notices(())
    app.state.bundle = bundle
    kiosk_home.clock.wall = wall
    app.state.refresh()
    kiosk_home.reset()


def test_cap_sample_served_over_loopback_is_shown(clean_kiosk, loopback_server, tmp_path):
    samples = os.environ.get("KIOSK_SAMPLE_FEEDS")
    if not samples:
        pytest.skip("KIOSK_SAMPLE_FEEDS is not set; it names the folder of public feed samples")
    data = (Path(samples) / CMA_SAMPLE).read_bytes()
    url = loopback_server.add("/cma.xml", Route(body=data, content_type="application/cap+xml"))

    app = clean_kiosk.app
    # The sample alert was in force on 1 August 2026. The shipped bundle is
    # newer than that, so it is re-dated: a clock earlier than the newest
    # content would otherwise be treated as not yet set.
    app.state.bundle = replace(app.state.bundle,
                               published_at=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    clean_kiosk.clock.wall = datetime.fromisoformat("2026-08-01T15:00:00+08:00")

    config = SyncConfig(allowed_hosts=("127.0.0.1",))
    with HttpClient(config, USER_AGENT) as client:
        syncer = FeedSyncer(FeedConfig("cma", url), config, client, FeedCache(tmp_path))
        worker = SyncWorker([syncer], config, app.deliver_sync, now=clean_kiosk.clock.now)
        status = worker.sync_once()
    assert status.failing == ()
    clean_kiosk.frames(3)

    notices = [n for n in app.state.selection.notices if n.origin == "cma"]
    assert len(notices) == 1
    notice = notices[0]
    assert notice.severity is Severity.URGENT
    assert "zh_Hans" in notice.title
    assert "en" in notice.title

    app.show("notices")
    clean_kiosk.frames()
    texts = "\n".join(clean_kiosk.visible_texts())
    assert notice.title["zh_Hans"] in texts
    assert translated("zh_Hans", "Issued by {issuer}").format(issuer=notice.issuer["zh_Hans"]) in texts
    clean_kiosk.screenshot("feed-notices-zh_Hans")

    app.switch_language("en")
    clean_kiosk.frames()
    texts = "\n".join(clean_kiosk.visible_texts())
    assert notice.title["en"] in texts
    assert notice.title["zh_Hans"] not in texts
    clean_kiosk.screenshot("feed-notices-en")

    app.open_notice(notice.id)
    clean_kiosk.frames()
    assert notice.body["en"] in "\n".join(clean_kiosk.visible_texts())
    clean_kiosk.screenshot("feed-notice-en")


def emergency(notice_id: str = "alert-1") -> Notice:
    return Notice(
        id=notice_id, title={"zh_Hans": "地铁站火灾，请立即撤离", "en": "Fire in the station: leave now"},
        body={"zh_Hans": "请按指示从最近出口撤离。", "en": "Leave by the nearest exit."},
        severity=Severity.URGENT, issuer={"zh_Hans": "应急管理局", "en": "Emergency bureau"},
        origin="alerts",
        alert=AlertInfo(identifier=notice_id, sender="test@example.gov", sent=None,
                        severity="Extreme", urgency="Immediate", certainty="Observed"))


def test_emergency_alert_takes_over_until_dismissed(clean_kiosk):
    app = clean_kiosk.app
    app.show("hotlines")
    app.state.set_feed_notices((emergency(),))
    clean_kiosk.frames()
    assert clean_kiosk.current == "takeover"
    assert "地铁站火灾，请立即撤离" in clean_kiosk.visible_texts()
    clean_kiosk.screenshot("takeover-zh_Hans")

    clean_kiosk.tap(clean_kiosk.find_by_text(translated("zh_Hans", "Close and go to the home screen")))
    assert clean_kiosk.current == "home"
    app.state.refresh()
    app.state.set_feed_notices((emergency(),))
    clean_kiosk.frames()
    assert clean_kiosk.current == "home", "a dismissed alert stays dismissed until the idle reset"

    clean_kiosk.reset()
    assert clean_kiosk.current == "takeover", "the idle reset ends the dismissal"

    app.state.set_feed_notices(())
    clean_kiosk.frames()
    assert clean_kiosk.current == "home", "a cancelled alert stops taking over at once"


def test_expired_emergency_alert_stops_taking_over(clean_kiosk):
    app = clean_kiosk.app
    now = clean_kiosk.clock.now()
    alert = replace(emergency(), validity=replace(emergency().validity,
                                                  valid_until=now + timedelta(minutes=5)))
    app.state.set_feed_notices((alert,))
    clean_kiosk.frames()
    assert clean_kiosk.current == "takeover"

    clean_kiosk.clock.advance(6 * 60)
    app.state.refresh()
    clean_kiosk.frames()
    assert clean_kiosk.current == "home"


def test_stale_sync_shows_banner(clean_kiosk):
    app = clean_kiosk.app
    banner_text = translated("zh_Hans",
                             "This information may be out of date. Please check with staff.")
    now = clean_kiosk.clock.now()
    fresh = SourceStatus(name="feed", kind="feed", url="https://example.gov/feed",
                         last_success=now - timedelta(minutes=5))
    app.state.sync_status = SyncStatus(taken_at=now, sources=(fresh,))
    clean_kiosk.frames()
    assert app.root.ids.banners.out_of_date is False

    old = replace(fresh, last_success=now - timedelta(seconds=app.kiosk_config.sync.stale_after_s + 60))
    app.state.sync_status = SyncStatus(taken_at=now, sources=(old,))
    clean_kiosk.frames()
    assert app.root.ids.banners.out_of_date is True
    assert banner_text in clean_kiosk.visible_texts()
    assert app.root.ids.banners.height > 0


class RecordingWorker:
    """Stands in for the sync thread so the test can see the button's request."""

    def __init__(self) -> None:
        self.requests = 0

    def start(self) -> None:
        pass

    def stop(self) -> bool:
        return True

    def sync_now(self) -> None:
        self.requests += 1


def test_maintenance_view_behind_gesture_and_pin(clean_kiosk):
    from kiosk.ui.maintenance import PinGate

    app = clean_kiosk.app
    app.pin_gate = PinGate(hash_pin("2468"), clock=clean_kiosk.clock.seconds)
    worker = RecordingWorker()
    app.attach_worker(worker)
    now = clean_kiosk.clock.now()
    app.state.sync_status = SyncStatus(taken_at=now, sources=(
        SourceStatus(name="city-alerts", kind="feed", url="https://alerts.example.gov/cap.xml",
                     last_attempt=now, last_error="timed out after 60 s", item_count=3),))
    try:
        clock_area = clean_kiosk.find_by_text(app.root.ids.header.clock_text)
        for _ in range(4):
            clean_kiosk.tap(clock_area)
        assert clean_kiosk.current == "home"
        clean_kiosk.tap(clock_area)
        assert clean_kiosk.current == "pin"

        for digit in "1111":
            clean_kiosk.tap(clean_kiosk.find_by_text(digit))
        clean_kiosk.tap(clean_kiosk.find_by_text(translated("zh_Hans", "OK")))
        assert clean_kiosk.current == "pin"
        assert translated("zh_Hans", "Wrong PIN.") in clean_kiosk.visible_texts()

        for digit in "2468":
            clean_kiosk.tap(clean_kiosk.find_by_text(digit))
        clean_kiosk.tap(clean_kiosk.find_by_text(translated("zh_Hans", "OK")))
        assert clean_kiosk.current == "maintenance"
        texts = "\n".join(clean_kiosk.visible_texts())
        assert "city-alerts" in texts
        assert "timed out after 60 s" in texts
        assert f"{app.state.bundle.version}" in texts
        clean_kiosk.screenshot("maintenance-zh_Hans")

        clean_kiosk.tap(clean_kiosk.find_by_text(translated("zh_Hans", "Sync now")))
        assert worker.requests == 1
    finally:
        app.worker = None
        app.pin_gate = PinGate("")


def test_broadcast_notice_takes_over(clean_kiosk):
    app = clean_kiosk.app
    broadcast = replace(emergency("broadcast-1"), alert=None, origin="bundle", takeover=True)
    app.state.set_feed_notices((broadcast,))
    clean_kiosk.frames()
    assert clean_kiosk.current == "takeover"
    assert "地铁站火灾，请立即撤离" in clean_kiosk.visible_texts()
