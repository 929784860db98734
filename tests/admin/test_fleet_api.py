"""Tests for the kiosks' API: heartbeat and screenshot uploads through the full Django stack."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.admin.fleet.api import HeartbeatView
from kiosk.admin.fleet.models import HeartbeatDay, Kiosk, Screenshot, ScreenViewCount
from kiosk.sync.heartbeat import MAX_HEARTBEAT_BYTES, MAX_SCREENSHOT_BYTES, PAYLOAD_KEYS

pytestmark = pytest.mark.django_db

HEARTBEAT = "/fleet/api/heartbeat"
SCREENSHOT = "/fleet/api/screenshot"


def valid_document(kiosk_id: str = "pek-t3-01") -> dict[str, Any]:
    return {
        "schema": 1, "kiosk_id": kiosk_id, "sent_at": "2026-12-04T08:00:00+08:00",
        "app_version": "0.1.0", "content_version": 12, "clock_status": "ok", "uptime_s": 600,
        "sources": [{"name": "content", "kind": "content",
                     "last_success": "2026-12-04T07:55:00+08:00", "last_error": None,
                     "consecutive_failures": 0}],
        "errors": [], "views": {"home": {"zh_Hans": 2}},
    }


def png_bytes(width: int = 54, height: int = 96) -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(stream, format="PNG")
    return stream.getvalue()


@pytest.fixture
def kiosk_and_token() -> tuple[Kiosk, str]:
    kiosk = Kiosk.objects.create(kiosk_id="pek-t3-01", name="Gate 12", site_id="pek-t3")
    return kiosk, kiosk.issue_token(timezone.now())


def post(client: Client, path: str, body: bytes, token: str | None,
         content_type: str = "application/json", **extra: Any) -> Any:
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(path, data=body, content_type=content_type, **extra)


def post_heartbeat(client: Client, token: str | None, document: Any) -> Any:
    return post(client, HEARTBEAT, json.dumps(document).encode(), token)


# -- good heartbeats -------------------------------------------------------------------

def test_heartbeat_with_good_token_is_stored(client: Client,
                                             kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token

    response = post_heartbeat(client, token, valid_document())

    assert response.status_code == 200
    assert response.json() == {"ok": True, "screenshot_requested": False}
    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.last_content_version == 12
    assert stored.last_heartbeat_at is not None
    assert HeartbeatDay.objects.get(kiosk=kiosk).heartbeats == 1
    assert ScreenViewCount.objects.get(kiosk=kiosk).views == 2


def test_reply_asks_for_requested_screenshot(client: Client,
                                             kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    Kiosk.objects.filter(pk=kiosk.pk).update(screenshot_requested=True)

    response = post_heartbeat(client, token, valid_document())

    assert response.json()["screenshot_requested"] is True


def test_api_needs_no_csrf_token(kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token

    response = post_heartbeat(Client(enforce_csrf_checks=True), token, valid_document())

    assert response.status_code == 200


def test_charset_utf8_is_accepted(client: Client, kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, HEARTBEAT, json.dumps(valid_document()).encode(), token,
                    content_type="application/json; charset=utf-8")

    assert response.status_code == 200


# -- authentication --------------------------------------------------------------------

def test_missing_token_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str]) -> None:
    response = post_heartbeat(client, None, valid_document())

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "Authorization" in response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["not-a-token", "0123456789abcdef." + "A" * 43])
def test_bad_token_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str],
                               token: str) -> None:
    response = post_heartbeat(client, token, valid_document())

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_token_with_wrong_secret_is_rejected(client: Client,
                                             kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    selector, secret = token.split(".")
    forged = f"{selector}.{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"

    response = post_heartbeat(client, forged, valid_document())

    assert response.status_code == 401


def test_revoked_token_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    kiosk.revoke_token()

    response = post_heartbeat(client, token, valid_document())

    assert response.status_code == 401


def test_token_of_other_kiosk_is_rejected(client: Client,
                                          kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    Kiosk.objects.create(kiosk_id="pek-t3-02", name="Gate 13")

    response = post_heartbeat(client, token, valid_document("pek-t3-02"))

    assert response.status_code == 403
    assert response.json()["error"] == "wrong_kiosk"
    assert Kiosk.objects.get(kiosk_id="pek-t3-02").last_heartbeat_at is None


def test_rejected_heartbeat_changes_nothing(client: Client,
                                            kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    document = valid_document()
    document["uptime_s"] = "long"

    post_heartbeat(client, token, document)

    assert Kiosk.objects.get(pk=kiosk.pk).last_heartbeat_at is None
    assert not HeartbeatDay.objects.exists()


# -- validation ------------------------------------------------------------------------

def test_unknown_field_is_named_in_error(client: Client,
                                         kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    document = valid_document()
    document["passenger_name"] = "Li Lei"

    response = post_heartbeat(client, token, document)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_heartbeat"
    assert response.json()["field"] == "passenger_name"


@pytest.mark.parametrize(("key", "value"), [("uptime_s", "600"), ("content_version", 1.5),
                                            ("views", [1, 2]), ("sources", None),
                                            ("clock_status", True)])
def test_wrong_type_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str], key: str,
                                value: Any) -> None:
    _kiosk, token = kiosk_and_token
    document = valid_document()
    document[key] = value

    response = post_heartbeat(client, token, document)

    assert response.status_code == 400
    assert response.json()["field"] == key


@pytest.mark.parametrize("body", [b"{", b"\xff", b"[]", b'"text"', b'{"schema": NaN}'])
def test_malformed_json_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str],
                                    body: bytes) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, HEARTBEAT, body, token)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_heartbeat"


def test_oversized_body_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    document = valid_document()
    document["errors"] = ["x" * (MAX_HEARTBEAT_BYTES + 1)]

    response = post_heartbeat(client, token, document)

    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_body_past_limit_is_rejected(kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    body = b" " * (MAX_HEARTBEAT_BYTES + 10) + json.dumps(valid_document()).encode()
    request = RequestFactory().post(HEARTBEAT, data=body, content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {token}")
    # The header claims the limit, but the stream contains more. The view reads
    # one byte past the limit and stops there.
    request.META["CONTENT_LENGTH"] = str(MAX_HEARTBEAT_BYTES)

    response = HeartbeatView.as_view()(request)

    assert response.status_code == 413
    assert json.loads(response.content)["error"] == "too_large"


def test_missing_content_length_is_rejected(kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    request = RequestFactory().post(HEARTBEAT, data=b"{}", content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {token}")
    del request.META["CONTENT_LENGTH"]

    response = HeartbeatView.as_view()(request)

    assert response.status_code == 411
    assert json.loads(response.content)["error"] == "length_required"


def test_empty_body_is_rejected(kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token
    request = RequestFactory().generic("POST", HEARTBEAT, HTTP_AUTHORIZATION=f"Bearer {token}",
                                       CONTENT_TYPE="application/json", CONTENT_LENGTH="0")

    response = HeartbeatView.as_view()(request)

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "empty_body"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_wrong_content_type_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str],
                                        content_type: str) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, HEARTBEAT, json.dumps(valid_document()).encode(), token,
                    content_type=content_type)

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


@pytest.mark.parametrize("method", ["get", "put", "delete", "options"])
def test_other_methods_are_rejected(client: Client, method: str) -> None:
    response = getattr(client, method)(HEARTBEAT)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"


# -- screenshots -----------------------------------------------------------------------

def request_screenshot(kiosk: Kiosk) -> None:
    Kiosk.objects.filter(pk=kiosk.pk).update(screenshot_requested=True)


def test_requested_screenshot_is_stored(client: Client,
                                        kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    request_screenshot(kiosk)
    image = png_bytes()

    response = post(client, SCREENSHOT, image, token, content_type="image/png")

    assert response.status_code == 200
    screenshot = Screenshot.objects.get(kiosk=kiosk)
    assert bytes(screenshot.png) == image
    assert (screenshot.width, screenshot.height) == (54, 96)
    assert not Kiosk.objects.get(pk=kiosk.pk).screenshot_requested


def test_new_screenshot_replaces_old_one(client: Client,
                                         kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    for size in ((10, 20), (30, 40)):
        request_screenshot(kiosk)
        post(client, SCREENSHOT, png_bytes(*size), token, content_type="image/png")

    assert Screenshot.objects.count() == 1
    assert Screenshot.objects.get(kiosk=kiosk).width == 30


def test_unrequested_screenshot_is_rejected(client: Client,
                                            kiosk_and_token: tuple[Kiosk, str]) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, SCREENSHOT, png_bytes(), token, content_type="image/png")

    assert response.status_code == 409
    assert not Screenshot.objects.exists()


@pytest.mark.parametrize("body", [b"GIF89a" + b"\x00" * 100, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_invalid_png_is_rejected(client: Client, kiosk_and_token: tuple[Kiosk, str],
                                 body: bytes) -> None:
    kiosk, token = kiosk_and_token
    request_screenshot(kiosk)

    response = post(client, SCREENSHOT, body, token, content_type="image/png")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_png"
    assert Kiosk.objects.get(pk=kiosk.pk).screenshot_requested


def test_oversized_screenshot_is_rejected(client: Client,
                                          kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    request_screenshot(kiosk)

    response = post(client, SCREENSHOT, png_bytes() + b"\x00" * MAX_SCREENSHOT_BYTES, token,
                    content_type="image/png")

    assert response.status_code == 413


def test_screenshot_needs_png_content_type(client: Client,
                                           kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, token = kiosk_and_token
    request_screenshot(kiosk)

    response = post(client, SCREENSHOT, png_bytes(), token, content_type="image/jpeg")

    assert response.status_code == 415


def test_screenshot_needs_token(client: Client, kiosk_and_token: tuple[Kiosk, str]) -> None:
    kiosk, _token = kiosk_and_token
    request_screenshot(kiosk)

    response = post(client, SCREENSHOT, png_bytes(), None, content_type="image/png")

    assert response.status_code == 401


# -- property: no body makes the API fail ----------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.text(st.characters(exclude_categories=())),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)


@st.composite
def heartbeat_variants(draw: st.DrawFn) -> Any:
    """Valid heartbeats with some fields replaced by arbitrary JSON, or arbitrary JSON."""
    if draw(st.booleans()):
        return draw(json_values)
    document = valid_document()
    for key in draw(st.lists(st.sampled_from(sorted(PAYLOAD_KEYS - {"kiosk_id"})),
                             max_size=3)):
        document[key] = draw(json_values)
    return document


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(document=heartbeat_variants())
def test_any_json_body_gets_no_server_error(client: Client, kiosk_and_token: tuple[Kiosk, str],
                                            document: Any) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, HEARTBEAT, json.dumps(document).encode(), token)

    assert 200 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=300))
def test_any_bytes_get_no_server_error(client: Client, kiosk_and_token: tuple[Kiosk, str],
                                       body: bytes) -> None:
    _kiosk, token = kiosk_and_token

    response = post(client, HEARTBEAT, body, token)

    assert 400 <= response.status_code < 500
