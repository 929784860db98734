"""Tests for kiosk.sync.heartbeat and HttpClient.post, against a real loopback HTTP server."""

from __future__ import annotations

import http.server
import json
import logging
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.config import SyncConfig
from kiosk.content.selection import ClockStatus
from kiosk.i18n.languages import KIOSK_LANGUAGES
from kiosk.sync.heartbeat import (
    MAX_ERROR_CHARS,
    MAX_ERRORS,
    MAX_HEARTBEAT_BYTES,
    MAX_NAME_CHARS,
    MAX_SCREENS,
    MAX_SOURCES,
    PAYLOAD_KEYS,
    PNG_SIGNATURE,
    SOURCE_KEYS,
    HeartbeatError,
    HeartbeatSender,
    RecentErrors,
    ViewCounter,
    build_payload,
    clean_text,
    encode_payload,
    parse_reply,
)
from kiosk.sync.http import (
    USER_AGENT,
    DisallowedUrl,
    DownloadTimeout,
    DownloadTooLarge,
    HttpClient,
    HttpStatusError,
)
from kiosk.sync.status import SourceStatus, SyncStatus

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
TOKEN = "0123456789abcdef." + "A" * 43
FAST = SyncConfig(connect_timeout_s=0.5, read_timeout_s=0.5, deadline_s=1.5)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


#: A 1x1 grey PNG image.
TINY_PNG = (PNG_SIGNATURE + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + png_chunk(b"IEND", b""))


# -- a loopback server that records POST requests --------------------------------

@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true, "screenshot_requested": false}'
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before replying.
    delay_s: float = 0.0


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes


class PostServer:
    """A threaded HTTP server on 127.0.0.1 that replies to POST requests as configured."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.posted: list[Posted] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with owner._lock:
                    owner.posted.append(Posted(self.path, {k.lower(): v for k, v in
                                                           self.headers.items()}, body))
                    reply = owner.replies.get(self.path, Reply(status=404, body=b"{}"))
                owner._stopping.wait(reply.delay_s)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                # A client that timed out has closed its end; that is what the test wanted.
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[PostServer]:
    running = PostServer()
    yield running
    running.stop()


@pytest.fixture
def client() -> Iterator[HttpClient]:
    http_client = HttpClient(FAST, USER_AGENT)
    yield http_client
    http_client.close()


def status_with_sources() -> SyncStatus:
    return SyncStatus(taken_at=NOW, sources=(
        SourceStatus(name="content", kind="content", url="https://content.example/repo/",
                     last_success=NOW - timedelta(minutes=5), item_count=12),
        SourceStatus(name="weather", kind="feed", url="https://alerts.example/cap.xml",
                     last_attempt=NOW, last_success=NOW - timedelta(hours=2),
                     last_error="https://alerts.example/cap.xml: HTTP status 503",
                     consecutive_failures=3),
        SourceStatus(name="heartbeat", kind="heartbeat", url="https://console.example/",
                     last_error="HTTP status 401", consecutive_failures=1),
    ))


def make_sender(server: PostServer, client: HttpClient, counter: ViewCounter, **kwargs: object
                ) -> HeartbeatSender:
    options: dict[str, object] = {
        "content_version": lambda: 42,
        "clock_status": lambda: ClockStatus.OK,
        "status": status_with_sources,
    }
    options.update(kwargs)
    return HeartbeatSender(server.url("/fleet/api/"), TOKEN, "pek-t3-01", client, counter,
                           **options)  # type: ignore[arg-type]


# -- ViewCounter -----------------------------------------------------------------------

def test_counter_counts_per_screen_and_language() -> None:
    counter = ViewCounter()
    counter.record("home", "zh_Hans")
    counter.record("home", "zh_Hans")
    counter.record("home", "en")
    counter.record("rules", "ar")

    assert counter.snapshot() == {"home": {"zh_Hans": 2, "en": 1}, "rules": {"ar": 1}}


def test_counter_discount_keeps_views_recorded_during_send() -> None:
    counter = ViewCounter()
    counter.record("home", "en")
    sent = counter.snapshot()
    counter.record("home", "en")
    counter.record("notices", "ja")

    counter.discount(sent)

    assert counter.snapshot() == {"home": {"en": 1}, "notices": {"ja": 1}}


def test_counter_discount_of_everything_empties_it() -> None:
    counter = ViewCounter()
    counter.record("home", "en")
    counter.discount(counter.snapshot())
    assert counter.snapshot() == {}


def test_counter_rejects_invalid_screen_name() -> None:
    counter = ViewCounter()
    with pytest.raises(ValueError, match="invalid screen name"):
        counter.record("Home Screen", "en")


def test_counter_rejects_unknown_language() -> None:
    counter = ViewCounter()
    with pytest.raises(ValueError, match="unknown language"):
        counter.record("home", "fr")


def test_counter_drops_screens_beyond_limit() -> None:
    counter = ViewCounter(max_screens=2)
    counter.record("home", "en")
    counter.record("rules", "en")
    counter.record("risk", "en")
    counter.record("home", "ja")

    assert set(counter.snapshot()) == {"home", "rules"}
    assert counter.snapshot()["home"] == {"en": 1, "ja": 1}
    assert counter.dropped == 1


def test_counter_is_exact_under_concurrent_records() -> None:
    counter = ViewCounter()
    per_thread = 2000

    def record() -> None:
        for index in range(per_thread):
            counter.record("home", KIOSK_LANGUAGES[index % 2])

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counter.snapshot() == {"home": {KIOSK_LANGUAGES[0]: 8000, KIOSK_LANGUAGES[1]: 8000}}


# -- payload ---------------------------------------------------------------------------

def test_payload_contains_only_allowed_keys() -> None:
    counter = ViewCounter()
    counter.record("selfcheck", "en")
    counter.record("selfcheck_result", "en")
    counter.record("home", "zh_Hans")
    status = status_with_sources()

    payload = build_payload(kiosk_id="pek-t3-01", now=NOW, app_version="0.1.0",
                            content_version=7, clock_status=ClockStatus.BEHIND, uptime_s=61.9,
                            status=status, views=counter.snapshot(),
                            errors=["kiosk.ui: catalog for ja missing"])

    assert set(payload) == PAYLOAD_KEYS
    for source in payload["sources"]:
        assert set(source) == SOURCE_KEYS
    for screen, languages in payload["views"].items():
        assert isinstance(screen, str)
        assert set(languages) <= set(KIOSK_LANGUAGES)
        assert all(isinstance(count, int) for count in languages.values())
    assert all(isinstance(error, str) for error in payload["errors"])


def test_payload_values_describe_kiosk_state() -> None:
    payload = build_payload(kiosk_id="pek-t3-01", now=NOW, app_version="0.1.0",
                            content_version=7, clock_status=ClockStatus.BEHIND, uptime_s=61.9,
                            status=status_with_sources(), views={"home": {"en": 2}})

    assert payload["schema"] == 1
    assert payload["sent_at"] == "2026-12-04T08:00:00+00:00"
    assert payload["content_version"] == 7
    assert payload["clock_status"] == "behind"
    assert payload["uptime_s"] == 61
    assert payload["views"] == {"home": {"en": 2}}
    weather = payload["sources"][1]
    assert weather == {"name": "weather", "kind": "feed",
                       "last_success": "2026-12-04T06:00:00+00:00",
                       "last_error": "https://alerts.example/cap.xml: HTTP status 503",
                       "consecutive_failures": 3}


def test_payload_without_clock_or_status_reports_unknown() -> None:
    payload = build_payload(kiosk_id="k1", now=NOW, app_version="0.1.0", content_version=None,
                            clock_status=None, uptime_s=0, status=None, views={})

    assert payload["clock_status"] == "unknown"
    assert payload["sources"] == []
    assert payload["content_version"] is None


def test_payload_rejects_invalid_kiosk_id() -> None:
    with pytest.raises(HeartbeatError, match="invalid kiosk id"):
        build_payload(kiosk_id="pek t3", now=NOW, app_version="0.1.0", content_version=None,
                      clock_status=None, uptime_s=0, status=None, views={})


def test_payload_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_payload(kiosk_id="k1", now=NOW.replace(tzinfo=None), app_version="0.1.0",
                      content_version=None, clock_status=None, uptime_s=0, status=None,
                      views={})


def test_payload_skips_invalid_and_zero_view_counts() -> None:
    views = {"home": {"en": 0, "fr": 4, "ja": 3}, "Bad Name": {"en": 1}, "rules": {"en": 0}}

    payload = build_payload(kiosk_id="k1", now=NOW, app_version="0.1.0", content_version=None,
                            clock_status=None, uptime_s=0, status=None, views=views)

    assert payload["views"] == {"home": {"ja": 3}}


def test_clean_text_makes_one_short_line() -> None:
    text = "line one\nline two\x00\ud800" + "x" * 400

    cleaned = clean_text(text)

    assert "\n" not in cleaned
    assert "\x00" not in cleaned
    assert len(cleaned) == MAX_ERROR_CHARS
    cleaned.encode("utf-8")


def test_largest_payload_fits_console_limit() -> None:
    long_text = "\U0001f6a8" * 1000
    sources = tuple(SourceStatus(name="s" * 100 + str(index), kind="k" * 100, url="https://x/",
                                 last_success=NOW, last_error=long_text,
                                 consecutive_failures=10**9)
                    for index in range(MAX_SOURCES + 5))
    views = {f"screen_{index:02d}_" + "x" * 28: {language: 10**9 for language in KIOSK_LANGUAGES}
             for index in range(MAX_SCREENS + 5)}

    payload = build_payload(kiosk_id="k" * 64, now=NOW, app_version="v" * 500,
                            content_version=2**62, clock_status=ClockStatus.OK,
                            uptime_s=10**12, status=SyncStatus(NOW, sources), views=views,
                            errors=[long_text] * (MAX_ERRORS + 5))
    body = encode_payload(payload)

    assert len(payload["sources"]) == MAX_SOURCES
    assert len(payload["errors"]) == MAX_ERRORS
    assert len(payload["views"]) == MAX_SCREENS
    assert len(payload["app_version"]) == MAX_NAME_CHARS
    assert len(body) <= MAX_HEARTBEAT_BYTES


def test_encode_rejects_oversized_payload() -> None:
    with pytest.raises(HeartbeatError, match="exceeds the limit"):
        encode_payload({"errors": ["x" * MAX_HEARTBEAT_BYTES]})


# -- reply -----------------------------------------------------------------------------

def test_reply_with_screenshot_request_is_parsed() -> None:
    reply = parse_reply(b'{"ok": true, "screenshot_requested": true}')
    assert reply.screenshot_requested is True


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"screenshot_requested": "yes"}',
                                  b"\xff\xfe", b"[" * 100_000])
def test_malformed_reply_is_rejected(body: bytes) -> None:
    with pytest.raises(HeartbeatError):
        parse_reply(body)


# -- RecentErrors ----------------------------------------------------------------------

def test_recent_errors_keep_first_line_of_error_records() -> None:
    handler = RecentErrors(capacity=2)
    test_logger = logging.getLogger("kiosk.test_heartbeat_errors")
    test_logger.addHandler(handler)
    try:
        test_logger.warning("only a warning")
        test_logger.error("first failure\nsecond line")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            test_logger.exception("source %s failed", "weather")
        test_logger.error("third failure")
    finally:
        test_logger.removeHandler(handler)

    sequence, errors = handler.pending()
    assert sequence == 3
    assert errors == ("kiosk.test_heartbeat_errors: source weather failed",
                      "kiosk.test_heartbeat_errors: third failure")


def test_recent_errors_acknowledge_keeps_newer_messages() -> None:
    handler = RecentErrors()
    record = logging.LogRecord("kiosk.x", logging.ERROR, __file__, 1, "failure %d", (1,), None)
    handler.emit(record)
    sequence, _ = handler.pending()
    handler.emit(logging.LogRecord("kiosk.x", logging.ERROR, __file__, 1, "failure %d", (2,),
                                   None))

    handler.acknowledge(sequence)

    assert handler.pending() == (2, ("kiosk.x: failure 2",))


# -- HttpClient.post -------------------------------------------------------------------

def test_post_sends_body_and_headers(server: PostServer, client: HttpClient) -> None:
    server.replies["/echo"] = Reply(body=b'{"ok": true}')

    response = client.post(server.url("/echo"), b'{"a": 1}',
                           headers={"Content-Type": "application/json", "X-Test": "yes"},
                           max_bytes=1024)

    assert response.status == 200
    assert response.body == b'{"ok": true}'
    posted = server.posted[0]
    assert posted.body == b'{"a": 1}'
    assert posted.headers["content-type"] == "application/json"
    assert posted.headers["x-test"] == "yes"
    assert posted.headers["user-agent"] == USER_AGENT


def test_post_error_status_raises(server: PostServer, client: HttpClient) -> None:
    server.replies["/denied"] = Reply(status=401, body=b'{"error": "invalid_token"}')

    with pytest.raises(HttpStatusError) as caught:
        client.post(server.url("/denied"), b"{}", headers={}, max_bytes=1024)

    assert caught.value.status == 401


def test_post_does_not_follow_redirects(server: PostServer, client: HttpClient) -> None:
    server.replies["/moved"] = Reply(status=307, body=b"",
                                     headers={"Location": server.url("/elsewhere")})

    with pytest.raises(HttpStatusError) as caught:
        client.post(server.url("/moved"), b"{}", headers={}, max_bytes=1024)

    assert caught.value.status == 307
    assert [posted.path for posted in server.posted] == ["/moved"]


def test_post_reply_over_limit_raises(server: PostServer, client: HttpClient) -> None:
    server.replies["/big"] = Reply(body=b"x" * 5000)

    with pytest.raises(DownloadTooLarge):
        client.post(server.url("/big"), b"{}", headers={}, max_bytes=1024)


def test_post_to_silent_server_times_out(server: PostServer, client: HttpClient) -> None:
    server.replies["/slow"] = Reply(delay_s=5.0)
    started = time.monotonic()

    with pytest.raises(DownloadTimeout):
        client.post(server.url("/slow"), b"{}", headers={}, max_bytes=1024)

    assert time.monotonic() - started < 3.0


def test_post_to_plain_http_remote_host_is_rejected(client: HttpClient) -> None:
    with pytest.raises(DisallowedUrl, match="plain http"):
        client.post("http://console.example.org/fleet/api/heartbeat", b"{}", headers={},
                    max_bytes=1024)


def test_post_to_closed_port_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with HttpClient(FAST, USER_AGENT) as http_client, pytest.raises(Exception) as caught:
        http_client.post(f"http://127.0.0.1:{port}/x", b"{}", headers={}, max_bytes=1024)
    assert "connection failed" in str(caught.value)


# -- HeartbeatSender -------------------------------------------------------------------

def test_sender_posts_heartbeat_with_token(server: PostServer, client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply()
    counter = ViewCounter()
    counter.record("home", "en")
    sender = make_sender(server, client, counter)

    result = sender.sync(NOW)

    assert result.ok
    assert result.error is None
    assert result.confirmed_at == NOW
    posted = server.posted[0]
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert posted.headers["content-type"] == "application/json"
    document = json.loads(posted.body)
    assert set(document) == PAYLOAD_KEYS
    assert document["kiosk_id"] == "pek-t3-01"
    assert document["content_version"] == 42
    assert document["views"] == {"home": {"en": 1}}
    assert counter.snapshot() == {}


def test_sender_leaves_out_its_own_status(server: PostServer, client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply()
    sender = make_sender(server, client, ViewCounter())

    sender.sync(NOW)

    names = [source["name"] for source in json.loads(server.posted[0].body)["sources"]]
    assert names == ["content", "weather"]


def test_sender_keeps_counts_and_errors_after_rejection(server: PostServer,
                                                       client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(status=401, body=b'{"error": "x"}')
    counter = ViewCounter()
    counter.record("home", "en")
    errors = RecentErrors()
    errors.emit(logging.LogRecord("kiosk.x", logging.ERROR, __file__, 1, "failure", (), None))
    sender = make_sender(server, client, counter, errors=errors)

    result = sender.sync(NOW)

    assert not result.ok
    assert "401" in (result.error or "")
    assert counter.snapshot() == {"home": {"en": 1}}
    assert errors.pending()[1] == ("kiosk.x: failure",)


def test_sender_reports_unreachable_console(client: HttpClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = HeartbeatSender(f"http://127.0.0.1:{port}/fleet/api", TOKEN, "k1", client,
                             ViewCounter())

    result = sender.sync(NOW)

    assert not result.ok
    assert "connection failed" in (result.error or "")


def test_sender_reports_invalid_reply(server: PostServer, client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(body=b"<html>login</html>",
                                                   content_type="text/html")
    counter = ViewCounter()
    counter.record("home", "en")
    sender = make_sender(server, client, counter)

    result = sender.sync(NOW)

    assert not result.ok
    assert "not JSON" in (result.error or "")
    assert counter.snapshot() == {"home": {"en": 1}}


def test_sender_sends_requested_screenshot(server: PostServer, client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(
        body=b'{"ok": true, "screenshot_requested": true}')
    server.replies["/fleet/api/screenshot"] = Reply()
    sender = make_sender(server, client, ViewCounter(), capture_screenshot=lambda: TINY_PNG)

    result = sender.sync(NOW)

    assert result.ok
    upload = server.posted[1]
    assert upload.path == "/fleet/api/screenshot"
    assert upload.body == TINY_PNG
    assert upload.headers["content-type"] == "image/png"
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"


def test_sender_postpones_screenshot_when_capture_returns_none(server: PostServer,
                                                                client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(
        body=b'{"ok": true, "screenshot_requested": true}')
    calls: list[int] = []

    def capture() -> bytes | None:
        calls.append(1)
        return None

    sender = make_sender(server, client, ViewCounter(), capture_screenshot=capture)

    result = sender.sync(NOW)

    assert result.ok
    assert calls == [1]
    assert [posted.path for posted in server.posted] == ["/fleet/api/heartbeat"]


@pytest.mark.parametrize("image", [b"GIF89a....", PNG_SIGNATURE + b"\x00" * (600 * 1024)])
def test_sender_does_not_upload_invalid_screenshot(server: PostServer, client: HttpClient,
                                                   image: bytes) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(
        body=b'{"ok": true, "screenshot_requested": true}')
    sender = make_sender(server, client, ViewCounter(), capture_screenshot=lambda: image)

    result = sender.sync(NOW)

    assert result.ok
    assert [posted.path for posted in server.posted] == ["/fleet/api/heartbeat"]


def test_sender_survives_failing_capture(server: PostServer, client: HttpClient,
                                         caplog: pytest.LogCaptureFixture) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply(
        body=b'{"ok": true, "screenshot_requested": true}')

    def capture() -> bytes | None:
        raise RuntimeError("no window")

    sender = make_sender(server, client, ViewCounter(), capture_screenshot=capture)

    result = sender.sync(NOW)

    assert result.ok
    assert "taking a screenshot for the console failed" in caplog.text


def test_sender_reports_uptime_from_its_clock(server: PostServer, client: HttpClient) -> None:
    server.replies["/fleet/api/heartbeat"] = Reply()
    ticks = iter([100.0, 4000.5])
    sender = make_sender(server, client, ViewCounter(), clock=lambda: next(ticks))

    sender.sync(NOW)

    assert json.loads(server.posted[0].body)["uptime_s"] == 3900


def test_sender_is_source_like(server: PostServer, client: HttpClient) -> None:
    sender = make_sender(server, client, ViewCounter(), interval_s=120.0)

    assert sender.name == "heartbeat"
    assert sender.kind == "heartbeat"
    assert sender.url == server.url("/fleet/api/heartbeat")
    assert sender.interval_s == 120.0
    assert sender.restore(NOW) is None


@pytest.mark.parametrize("token", ["", "two words"])
def test_sender_rejects_unusable_token(client: HttpClient, token: str) -> None:
    with pytest.raises(HeartbeatError, match="token"):
        HeartbeatSender("http://127.0.0.1:1/", token, "k1", client, ViewCounter())


def test_sync_worker_runs_sender_as_source(server: PostServer, client: HttpClient) -> None:
    from kiosk.sync.worker import SyncWorker

    server.replies["/fleet/api/heartbeat"] = Reply()
    counter = ViewCounter()
    counter.record("home", "en")
    sender = HeartbeatSender(server.url("/fleet/api/"), TOKEN, "k1", client, counter)
    updates: list[SyncStatus] = []
    worker = SyncWorker([sender], FAST, lambda _notices, status: updates.append(status),
                        now=lambda: NOW)
    sender.bind_status(worker.status)

    status = worker.sync_once()

    heartbeat = status.source("heartbeat")
    assert heartbeat is not None
    assert heartbeat.kind == "heartbeat"
    assert heartbeat.last_success == NOW
    assert heartbeat.last_error is None
    assert json.loads(server.posted[0].body)["sources"] == []
    assert counter.snapshot() == {}
