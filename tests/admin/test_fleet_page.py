"""Tests for the fleet page, screenshots in the console and the kiosk admin actions."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from django.test import Client
from django.utils import timezone
from PIL import Image

from kiosk.admin.content.roles import EDITOR, PUBLISHER, VIEWER
from kiosk.admin.fleet.models import Kiosk, Screenshot, ScreenViewCount
from kiosk.admin.fleet.status import KioskState, Thresholds, classify
from kiosk.admin.fleet.tokens import digest_matches
from kiosk.admin.fleet.views import (
    FleetView,
    clock_offset_text,
    content_status,
    published_content_version,
)
from kiosk.publish import init_keys
from kiosk.publish.repository import publish

FLEET = "/fleet/"
NOW = timezone.make_aware(datetime(2026, 12, 4, 10, 0))
DEFAULTS = Thresholds(interval_s=60, late_after_s=120, silent_after_s=900)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(FleetView, "now", staticmethod(lambda: NOW))
    monkeypatch.setattr(FleetView, "latest_content_version", staticmethod(lambda: 13))
    return NOW


@pytest.fixture
def fleet(db: None) -> dict[str, Kiosk]:
    """One kiosk in each state at NOW with the default thresholds."""
    ages = {"online": timedelta(seconds=30), "late": timedelta(minutes=3),
            "silent": timedelta(minutes=20), "never": None}
    kiosks = {}
    for name, age in ages.items():
        kiosks[name] = Kiosk.objects.create(
            kiosk_id=f"k-{name}", name=f"Kiosk {name}", site_id="pek-t3",
            last_heartbeat_at=NOW - age if age is not None else None,
            last_content_version=13 if name == "online" else 12, last_clock_status="ok",
            last_clock_offset_s=2.0)
    return kiosks


def login(client: Client, make_user: Any, role: str | None, superuser: bool = False) -> Any:
    user = make_user(f"user-{role or 'admin'}", role, superuser=superuser)
    client.force_login(user)
    return user


def png_bytes() -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (54, 96), (0, 120, 0)).save(stream, format="PNG")
    return stream.getvalue()


# -- pure decisions --------------------------------------------------------------------

@pytest.mark.parametrize(("age_s", "state"), [(0, KioskState.ONLINE), (120, KioskState.ONLINE),
                                              (121, KioskState.LATE), (900, KioskState.LATE),
                                              (901, KioskState.SILENT), (-30, KioskState.ONLINE)])
def test_state_follows_age_of_last_heartbeat(age_s: int, state: KioskState) -> None:
    assert classify(NOW - timedelta(seconds=age_s), NOW, DEFAULTS) is state


def test_kiosk_without_heartbeat_never_reported() -> None:
    assert classify(None, NOW, DEFAULTS) is KioskState.NEVER


def test_thresholds_default_to_two_intervals_and_fifteen_minutes(settings: Any) -> None:
    for name in ("KIOSK_FLEET_HEARTBEAT_INTERVAL_S", "KIOSK_FLEET_LATE_AFTER_S",
                 "KIOSK_FLEET_SILENT_AFTER_S"):
        if hasattr(settings, name):
            delattr(settings, name)
    settings.KIOSK_FLEET_HEARTBEAT_INTERVAL_S = 300

    thresholds = Thresholds.from_settings(settings)

    assert thresholds.late_after_s == 600
    assert thresholds.silent_after_s == 900


def test_inconsistent_thresholds_are_rejected() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="less than"):
        Thresholds(interval_s=60, late_after_s=900, silent_after_s=600)


@pytest.mark.parametrize(("reported", "published", "expected"), [
    (13, 13, "current"), (12, 13, "behind"), (14, 13, "ahead"), (None, 13, "unknown"),
    (13, None, "unknown")])
def test_content_status_compares_versions(reported: int | None, published: int | None,
                                          expected: str) -> None:
    assert content_status(reported, published) == expected


# -- who may see the page --------------------------------------------------------------

@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get(FLEET)

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(("role", "superuser"), [(VIEWER, False), (PUBLISHER, False),
                                                 (None, True)])
def test_viewer_publisher_and_superuser_see_fleet(client: Client, make_user: Any,
                                                  fixed_now: datetime, role: str | None,
                                                  superuser: bool) -> None:
    login(client, make_user, role, superuser)

    response = client.get(FLEET)

    assert response.status_code == 200


def test_editor_may_not_see_fleet(client: Client, make_user: Any, fixed_now: datetime) -> None:
    login(client, make_user, EDITOR)

    response = client.get(FLEET)

    assert response.status_code == 403


# -- what the page shows ---------------------------------------------------------------

def test_page_counts_kiosks_per_state(client: Client, make_user: Any, fixed_now: datetime,
                                      fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, VIEWER)

    response = client.get(FLEET, HTTP_ACCEPT_LANGUAGE="en")

    counts = {state.value: count for state, count in response.context["states"]}
    assert counts == {"online": 1, "late": 1, "silent": 1, "never": 1}
    states = {row.kiosk.kiosk_id: row.state.value for row in response.context["rows"]}
    assert states == {"k-online": "online", "k-late": "late", "k-silent": "silent",
                      "k-never": "never"}


@pytest.mark.parametrize("state", ["online", "late", "silent", "never"])
def test_state_filter_lists_only_that_state(client: Client, make_user: Any, fixed_now: datetime,
                                            fleet: dict[str, Kiosk], state: str) -> None:
    login(client, make_user, VIEWER)

    response = client.get(FLEET, {"state": state})

    assert [row.kiosk.kiosk_id for row in response.context["rows"]] == [f"k-{state}"]


def test_thresholds_come_from_settings(client: Client, make_user: Any, fixed_now: datetime,
                                       fleet: dict[str, Kiosk], settings: Any) -> None:
    settings.KIOSK_FLEET_SILENT_AFTER_S = 3600
    login(client, make_user, VIEWER)

    response = client.get(FLEET)

    states = {row.kiosk.kiosk_id: row.state.value for row in response.context["rows"]}
    assert states["k-silent"] == "late"


def test_page_shows_versions_clock_and_errors(client: Client, make_user: Any,
                                              fixed_now: datetime,
                                              fleet: dict[str, Kiosk]) -> None:
    Kiosk.objects.filter(kiosk_id="k-late").update(
        last_clock_status="behind",
        last_sources=[{"name": "weather", "kind": "feed", "last_success": None,
                       "last_error": "HTTP status 503", "consecutive_failures": 4}],
        last_errors=["kiosk.ui: catalog for ja missing"], last_errors_at=NOW)
    login(client, make_user, VIEWER)

    response = client.get(FLEET, HTTP_ACCEPT_LANGUAGE="en")

    rows = {row.kiosk.kiosk_id: row for row in response.context["rows"]}
    assert rows["k-online"].content == "current"
    assert rows["k-late"].content == "behind"
    assert rows["k-late"].errors == ("weather: HTTP status 503",
                                     "kiosk.ui: catalog for ja missing")
    html = response.content.decode()
    assert "behind version 13" in html
    assert "weather: HTTP status 503" in html
    assert "behind the content" in html


def test_page_is_translated_to_chinese_by_default(client: Client, make_user: Any,
                                                  fixed_now: datetime,
                                                  fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, VIEWER)

    response = client.get(FLEET)

    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "在线" in html


def test_page_needs_no_inline_style_or_script(client: Client, make_user: Any,
                                              fixed_now: datetime,
                                              fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, VIEWER)

    response = client.get(FLEET)

    html = response.content.decode()
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_page_splits_long_fleet_into_pages(client: Client, make_user: Any,
                                           fixed_now: datetime) -> None:
    Kiosk.objects.bulk_create(Kiosk(kiosk_id=f"k{index:03d}", name="Gate")
                              for index in range(120))
    login(client, make_user, VIEWER)

    first = client.get(FLEET)
    last = client.get(FLEET, {"page": 3})

    assert len(first.context["rows"]) == 50
    assert len(last.context["rows"]) == 20
    assert first.context["total"] == 120


def test_charts_sum_views_per_day_screen_and_language(client: Client, make_user: Any,
                                                      fixed_now: datetime,
                                                      fleet: dict[str, Kiosk]) -> None:
    today = timezone.localdate(NOW)
    rows = [("k-online", 0, "home", "zh_Hans", 10), ("k-online", 0, "home", "en", 5),
            ("k-late", 0, "rules", "en", 3), ("k-late", 2, "home", "zh_Hans", 7),
            ("k-late", 30, "home", "zh_Hans", 1000)]
    for kiosk_id, age, screen, language, views in rows:
        ScreenViewCount.objects.create(kiosk=fleet[kiosk_id.removeprefix("k-")],
                                       day=today - timedelta(days=age), screen=screen,
                                       language=language, views=views)
    login(client, make_user, VIEWER)

    response = client.get(FLEET, {"days": 7})

    context = response.context
    assert context["views_total"] == 25
    assert [(row.label, row.total) for row in context["screen_rows"]] == [("home", 22),
                                                                         ("rules", 3)]
    assert [(row.label, row.total) for row in context["language_rows"]] == [("zh_Hans", 17),
                                                                           ("en", 8)]
    assert context["screen_rows"][0].per_day[-1] == 15
    assert context["screen_rows"][0].per_day[-3] == 7
    bars = context["day_chart"].bars
    assert len(bars) == 7
    assert bars[-1].value == 18
    assert bars[-1].height == 160.0
    assert "<rect" in response.content.decode()


def test_charts_filter_by_kiosk(client: Client, make_user: Any, fixed_now: datetime,
                                fleet: dict[str, Kiosk]) -> None:
    today = timezone.localdate(NOW)
    ScreenViewCount.objects.create(kiosk=fleet["online"], day=today, screen="home",
                                   language="en", views=4)
    ScreenViewCount.objects.create(kiosk=fleet["late"], day=today, screen="home",
                                   language="en", views=6)
    login(client, make_user, VIEWER)

    response = client.get(FLEET, {"kiosk": "k-late"})

    assert response.context["views_total"] == 6


@pytest.mark.parametrize(("days", "expected"), [("0", 1), ("500", 90), ("x", 14)])
def test_chart_days_are_kept_in_range(client: Client, make_user: Any, fixed_now: datetime,
                                      days: str, expected: int) -> None:
    login(client, make_user, VIEWER)

    response = client.get(FLEET, {"days": days})

    assert len(response.context["chart_days"]) == expected


def test_published_version_is_read_from_repository(tmp_path: Path, settings: Any,
                                                    default_bundle_path: Path) -> None:
    keys = tmp_path / "keys"
    init_keys(keys)
    settings.KIOSK_REPOSITORY_DIR = tmp_path / "repository"
    publish(default_bundle_path, tmp_path / "repository", keys, now=timezone.now())
    publish(default_bundle_path, tmp_path / "repository", keys, now=timezone.now())

    assert published_content_version() == 2


def test_missing_repository_gives_unknown_version(tmp_path: Path, settings: Any) -> None:
    settings.KIOSK_REPOSITORY_DIR = tmp_path / "nothing"

    assert published_content_version() is None


# -- screenshots -----------------------------------------------------------------------

def test_screenshot_is_served_to_fleet_viewers(client: Client, make_user: Any,
                                               fixed_now: datetime,
                                               fleet: dict[str, Kiosk]) -> None:
    image = png_bytes()
    Screenshot.objects.create(kiosk=fleet["online"], png=image, width=54, height=96,
                              received_at=NOW)
    login(client, make_user, VIEWER)

    page = client.get(FLEET)
    response = client.get("/fleet/kiosks/k-online/screenshot.png")

    assert 'src="/fleet/kiosks/k-online/screenshot.png"' in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == image
    assert "sandbox" in response["Content-Security-Policy"]


def test_screenshot_is_hidden_from_editors(client: Client, make_user: Any,
                                           fleet: dict[str, Kiosk]) -> None:
    Screenshot.objects.create(kiosk=fleet["online"], png=png_bytes(), width=54, height=96,
                              received_at=NOW)
    login(client, make_user, EDITOR)

    response = client.get("/fleet/kiosks/k-online/screenshot.png")

    assert response.status_code == 403


def test_missing_screenshot_is_not_found(client: Client, make_user: Any,
                                         fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, VIEWER)

    assert client.get("/fleet/kiosks/k-online/screenshot.png").status_code == 404


def test_superuser_requests_screenshot(client: Client, make_user: Any, fixed_now: datetime,
                                       fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, None, superuser=True)

    response = client.post("/fleet/kiosks/k-late/request-screenshot",
                           {"next": "/fleet/?state=late"})

    assert response.status_code == 302
    assert response["Location"] == "/fleet/?state=late"
    assert Kiosk.objects.get(kiosk_id="k-late").screenshot_requested


def test_screenshot_request_ignores_foreign_next_url(client: Client, make_user: Any,
                                                     fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, None, superuser=True)

    response = client.post("/fleet/kiosks/k-late/request-screenshot",
                           {"next": "https://evil.example/"})

    assert response["Location"] == "/fleet/"


def test_viewer_may_not_request_screenshot(client: Client, make_user: Any,
                                           fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, VIEWER)

    response = client.post("/fleet/kiosks/k-late/request-screenshot")

    assert response.status_code == 403
    assert not Kiosk.objects.get(kiosk_id="k-late").screenshot_requested


def test_screenshot_request_needs_csrf_token(make_user: Any, fleet: dict[str, Kiosk]) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, make_user, None, superuser=True)

    response = client.post("/fleet/kiosks/k-late/request-screenshot")

    assert response.status_code == 403
    assert not Kiosk.objects.get(kiosk_id="k-late").screenshot_requested


def test_screenshot_request_needs_post(client: Client, make_user: Any,
                                       fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, None, superuser=True)

    assert client.get("/fleet/kiosks/k-late/request-screenshot").status_code == 405


# -- the kiosk admin -------------------------------------------------------------------

def test_token_action_shows_new_token_once(client: Client, make_user: Any,
                                           fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, None, superuser=True)

    response = client.post("/admin/fleet/kiosk/", {
        "action": "issue_tokens", "_selected_action": [fleet["online"].pk, fleet["late"].pk]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    tokens = re.findall(r'<code class="fleet-token">([^<]+)</code>', response.content.decode())
    assert len(tokens) == 2
    stored = Kiosk.objects.get(pk=fleet["late"].pk)
    assert digest_matches(tokens[0], stored.token_hash)
    changelist = client.get("/admin/fleet/kiosk/").content.decode()
    assert tokens[0] not in changelist


def test_revoke_action_removes_tokens(client: Client, make_user: Any,
                                      fleet: dict[str, Kiosk]) -> None:
    fleet["online"].issue_token(NOW)
    login(client, make_user, None, superuser=True)

    client.post("/admin/fleet/kiosk/", {"action": "revoke_tokens",
                                        "_selected_action": [fleet["online"].pk]})

    assert not Kiosk.objects.get(pk=fleet["online"].pk).has_token


def test_screenshot_action_flags_kiosks(client: Client, make_user: Any,
                                        fleet: dict[str, Kiosk]) -> None:
    login(client, make_user, None, superuser=True)

    client.post("/admin/fleet/kiosk/", {"action": "request_screenshots",
                                        "_selected_action": [fleet["silent"].pk]})

    assert Kiosk.objects.get(pk=fleet["silent"].pk).screenshot_requested


def kiosk_form(**changes: Any) -> dict[str, Any]:
    form = {"kiosk_id": "pek-t3-09", "name": "Gate 9", "site_id": "", "languages": ["zh_Hans", "en"],
            "default_language": "zh_Hans", "idle_timeout_s": "60", "new_pin": ""}
    form.update(changes)
    return form


def test_admin_form_stores_pin_as_argon2_hash(client: Client, make_user: Any) -> None:
    login(client, make_user, None, superuser=True)

    response = client.post("/admin/fleet/kiosk/add/", kiosk_form(new_pin="482916"))

    assert response.status_code == 302
    kiosk = Kiosk.objects.get(kiosk_id="pek-t3-09")
    assert kiosk.maintenance_pin_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(kiosk.maintenance_pin_hash, "482916")


@pytest.mark.parametrize(("changes", "field"), [({"new_pin": "12ab"}, "new_pin"),
                                                ({"site_id": "nowhere"}, "site_id"),
                                                ({"default_language": "ja"}, "default_language")])
def test_admin_form_rejects_invalid_values(client: Client, make_user: Any,
                                           changes: dict[str, Any], field: str) -> None:
    login(client, make_user, None, superuser=True)

    response = client.post("/admin/fleet/kiosk/add/", kiosk_form(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Kiosk.objects.filter(kiosk_id="pek-t3-09").exists()


@pytest.mark.parametrize(("offset_s", "text"), [
    (None, ""), (0.4, "in step with the console"), (5.6, "5 s ahead of the console"),
    (-90, "90 s behind the console"), (700, "11 min ahead of the console"),
    (-7300, "2 h behind the console"), (-86400 * 300, "300 days behind the console")])
def test_clock_offset_is_described_in_largest_unit(offset_s: float | None, text: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert clock_offset_text(offset_s) == text
