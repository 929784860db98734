"""End to end: the kiosk's HeartbeatSender posting to the console on a loopback live server."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from kiosk.admin.fleet.models import HeartbeatDay, Kiosk, Screenshot, ScreenViewCount
from kiosk.config import SyncConfig
from kiosk.content.selection import ClockStatus
from kiosk.sync.heartbeat import HeartbeatSender, ViewCounter
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.status import SourceStatus, SyncStatus

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def png_bytes() -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (108, 192), (250, 250, 250)).save(stream, format="PNG")
    return stream.getvalue()


@pytest.fixture
def http_client() -> Any:
    client = HttpClient(SyncConfig(connect_timeout_s=2, read_timeout_s=5, deadline_s=10),
                        USER_AGENT)
    yield client
    client.close()


@pytest.fixture
def registered(transactional_db: None) -> tuple[Kiosk, str]:
    kiosk = Kiosk.objects.create(kiosk_id="pek-t3-01", name="Gate 12", site_id="pek-t3")
    return kiosk, kiosk.issue_token(timezone.now())


def sync_status() -> SyncStatus:
    return SyncStatus(taken_at=NOW, sources=(
        SourceStatus(name="weather", kind="feed", url="https://alerts.example/cap.xml",
                     last_success=NOW, last_error="HTTP status 503", consecutive_failures=1),))


def test_sender_reports_to_live_console(live_server: Any, http_client: HttpClient,
                                        registered: tuple[Kiosk, str]) -> None:
    kiosk, token = registered
    counter = ViewCounter()
    for _ in range(3):
        counter.record("home", "zh_Hans")
    counter.record("hotlines", "ar")
    sender = HeartbeatSender(f"{live_server.url}/fleet/api/", token, kiosk.kiosk_id, http_client,
                             counter, content_version=lambda: 7,
                             clock_status=lambda: ClockStatus.OK, status=sync_status)

    result = sender.sync(NOW)

    assert result.ok, result.error
    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.last_content_version == 7
    assert stored.last_clock_status == "ok"
    assert stored.failing_sources[0]["last_error"] == "HTTP status 503"
    assert HeartbeatDay.objects.get(kiosk=kiosk).with_errors == 1
    views = {(row.screen, row.language): row.views for row in ScreenViewCount.objects.all()}
    assert views == {("home", "zh_Hans"): 3, ("hotlines", "ar"): 1}
    assert counter.snapshot() == {}


def test_requested_screenshot_arrives_in_console(live_server: Any, http_client: HttpClient,
                                                 registered: tuple[Kiosk, str]) -> None:
    kiosk, token = registered
    Kiosk.objects.filter(pk=kiosk.pk).update(screenshot_requested=True)
    image = png_bytes()
    captures: list[int] = []

    def capture() -> bytes:
        captures.append(1)
        return image

    sender = HeartbeatSender(f"{live_server.url}/fleet/api/", token, kiosk.kiosk_id, http_client,
                             ViewCounter(), capture_screenshot=capture)

    first = sender.sync(NOW)
    second = sender.sync(NOW)

    assert first.ok and second.ok
    assert captures == [1]
    screenshot = Screenshot.objects.get(kiosk=kiosk)
    assert bytes(screenshot.png) == image
    assert (screenshot.width, screenshot.height) == (108, 192)
    assert not Kiosk.objects.get(pk=kiosk.pk).screenshot_requested


def test_wrong_token_is_reported_by_sender(live_server: Any, http_client: HttpClient,
                                           registered: tuple[Kiosk, str]) -> None:
    kiosk, token = registered
    kiosk.issue_token(timezone.now())
    counter = ViewCounter()
    counter.record("home", "en")
    sender = HeartbeatSender(f"{live_server.url}/fleet/api/", token, kiosk.kiosk_id, http_client,
                             counter)

    result = sender.sync(NOW)

    assert not result.ok
    assert "HTTP status 401" in (result.error or "")
    assert counter.snapshot() == {"home": {"en": 1}}
    assert Kiosk.objects.get(pk=kiosk.pk).last_heartbeat_at is None
