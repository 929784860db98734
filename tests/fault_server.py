"""A loopback server for a feed, a signed content repository and a fleet console, with fault modes.

One :class:`FaultServer` on 127.0.0.1 serves three things:

* ``/feeds/alert.xml``: the feed body the test sets, with an ETag so the
  kiosk's conditional requests get 304 responses;
* ``/repo/...``: the files of a TUF repository folder, read at every request,
  so a test publishes by writing into that folder;
* ``/fleet/api/heartbeat``: a console that stores every heartbeat posted to it.

:meth:`FaultServer.set_mode` switches the feed and the repository between
healthy and one fault :class:`Mode` at a time. Console requests are answered
normally in every mode except :data:`Mode.REFUSED`, which closes the whole
port, so :class:`Soak` runs its console on a second server. Every slow mode
(stall, trickle) ends when the mode changes, when the server stops or after
``hold_s`` seconds, whichever comes first, so a test cannot hang on it.

:class:`Soak` runs the kiosk's real sync worker and sources against the
server on a simulated clock and checks every step; the fault tests and the
week-long benchmark share it.
"""

from __future__ import annotations

import enum
import hashlib
import http.server
import json
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from manual_clock import ManualClock as SimulatedClock

FEED_PATH = "/feeds/alert.xml"
REPOSITORY_PREFIX = "/repo/"
CONSOLE_PREFIX = "/fleet/api/"

CAPTIVE_PORTAL_PAGE = (b"<!DOCTYPE html><html><head><title>Wi-Fi login</title></head>"
                       b"<body><form action='/login'><input name='phone'>"
                       b"<button>Connect</button></form></body></html>")


class Mode(enum.Enum):
    """How the feed and the repository respond."""

    HEALTHY = "healthy"
    #: Nothing listens on the port, so connecting is refused.
    REFUSED = "refused"
    #: The connection is accepted and the request read, but nothing is sent.
    STALLED = "stalled"
    #: Status and headers are sent, then one body byte per ``trickle_interval_s``.
    TRICKLE = "trickle"
    #: Half of the declared body is sent, then the TCP connection is reset.
    RESET = "reset"
    #: Every request gets 503 Service Unavailable.
    SERVER_ERROR = "server-error"
    #: Every request gets 200 with an HTML login page, as a hotspot's captive portal sends.
    CAPTIVE_PORTAL = "captive-portal"
    #: The right bytes are sent, labelled ``image/png``.
    WRONG_CONTENT_TYPE = "wrong-content-type"
    #: Every request is redirected to itself.
    REDIRECT_LOOP = "redirect-loop"
    #: A body with no Content-Length that goes on for ``oversized_bytes``.
    OVERSIZED = "oversized"
    #: Served as healthy. The test re-signs the repository's timestamp metadata
    #: with a past expiry, so what the server sends has expired.
    EXPIRED = "expired-metadata"


#: The fault modes, in the order a soak cycles through them.
FAULT_MODES = tuple(mode for mode in Mode if mode is not Mode.HEALTHY)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    #: Seconds an idle keep-alive connection stays open.
    timeout = 5

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        mode = owner.mode
        owner.count_request(path)
        try:
            if path.startswith(CONSOLE_PREFIX) or mode in {Mode.HEALTHY, Mode.EXPIRED}:
                self._serve(path, content_type_override=None)
            elif mode is Mode.WRONG_CONTENT_TYPE:
                self._serve(path, content_type_override="image/png")
            else:
                self._fault(path, mode)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if path != CONSOLE_PREFIX + "heartbeat":
            self._send(404, b"not found", "text/plain")
            return
        owner.store_heartbeat(json.loads(body))
        self._send(200, b'{"screenshot_requested": false}', "application/json")

    def _serve(self, path: str, content_type_override: str | None) -> None:
        owner = self.server.owner
        found = owner.resource(path)
        if found is None:
            self._send(404, b"not found", content_type_override or "text/plain")
            return
        body, content_type = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, body, content_type_override or content_type, {"ETag": etag})

    def _fault(self, path: str, mode: Mode) -> None:
        owner = self.server.owner
        if mode is Mode.STALLED:
            owner.hold(owner.hold_s)
            self.close_connection = True
        elif mode is Mode.TRICKLE:
            self._trickle(path)
        elif mode is Mode.RESET:
            self._reset(path)
        elif mode is Mode.SERVER_ERROR:
            self._send(503, b"service unavailable", "text/plain", {"Retry-After": "60"})
        elif mode is Mode.CAPTIVE_PORTAL:
            self._send(200, CAPTIVE_PORTAL_PAGE, "text/html; charset=utf-8")
        elif mode is Mode.REDIRECT_LOOP:
            self.send_response(302)
            self.send_header("Location", path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode is Mode.OVERSIZED:
            self._oversized()
        else:
            raise AssertionError(f"no fault behaviour for {mode}")

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body_or_filler(self, path: str) -> tuple[bytes, str]:
        found = self.server.owner.resource(path)
        return found if found is not None else (b"x" * 4096, "application/octet-stream")

    def _trickle(self, path: str) -> None:
        owner = self.server.owner
        body, content_type = self._body_or_filler(path)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        waited = 0.0
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if owner.hold(owner.trickle_interval_s) or waited > owner.hold_s:
                break
            waited += owner.trickle_interval_s
        self.close_connection = True

    def _reset(self, path: str) -> None:
        body, content_type = self._body_or_filler(path)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # SO_LINGER with a zero timeout makes close() send a TCP reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _oversized(self) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<" + b"x" * (64 * 1024 - 1)
        sent = 0
        while sent < owner.oversized_bytes and owner.mode is Mode.OVERSIZED:
            self.wfile.write(chunk)
            sent += len(chunk)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet; the server counts requests instead."""


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    # Handler threads of stalled requests must not keep the test process alive.
    daemon_threads = True
    allow_reuse_address = True
    owner: FaultServer

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        self.owner.track(connection)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up early; the faults provoke that on purpose."""

    def shutdown_request(self, request: Any) -> None:
        self.owner.untrack(request)
        super().shutdown_request(request)


class FaultServer:
    """The feed, repository and console server on one fixed loopback port.

    The port stays the same when :data:`Mode.REFUSED` closes the listening
    socket and a later mode opens it again, so the kiosk's URLs stay valid.
    """

    def __init__(self, repository_dir: Path, *, hold_s: float = 3.0,
                 trickle_interval_s: float = 0.05, oversized_bytes: int = 4 * 1024 * 1024) -> None:
        self.repository_dir = repository_dir
        self.hold_s = hold_s
        self.trickle_interval_s = trickle_interval_s
        self.oversized_bytes = oversized_bytes
        self.feed_body = b""
        self.feed_content_type = "application/cap+xml"
        self.heartbeats: list[dict[str, Any]] = []
        self.requests: dict[str, int] = {}
        self._mode = Mode.HEALTHY
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._mode_changed = threading.Event()
        self._stopped = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._listen()

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._port}{path}"

    @property
    def feed_url(self) -> str:
        return self.url(FEED_PATH)

    @property
    def repository_url(self) -> str:
        return self.url(REPOSITORY_PREFIX)

    @property
    def console_url(self) -> str:
        return self.url(CONSOLE_PREFIX)

    def set_mode(self, mode: Mode) -> None:
        """Switch to ``mode``, ending slow responses and closing kept-alive connections first."""
        if mode is self._mode:
            return
        self._mode_changed.set()
        self._close_connections()
        if mode is Mode.REFUSED:
            self._close_listener()
        elif self._server is None:
            self._listen()
        with self._lock:
            self._mode = mode
            self._mode_changed = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        self._mode_changed.set()
        self._close_connections()
        self._close_listener()

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Used by the handler threads.

    def hold(self, seconds: float) -> bool:
        """Wait up to ``seconds``; return True at once when the mode changes or the server stops."""
        with self._lock:
            changed = self._mode_changed
        return changed.wait(seconds) or self._stopped.is_set()

    def resource(self, path: str) -> tuple[bytes, str] | None:
        """Return the healthy body and content type of ``path``, or None for not found."""
        if path == FEED_PATH:
            return (self.feed_body, self.feed_content_type) if self.feed_body else None
        if not path.startswith(REPOSITORY_PREFIX):
            return None
        relative = path[len(REPOSITORY_PREFIX):]
        root = self.repository_dir.resolve()
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file():
            return None
        return target.read_bytes(), "application/json"

    def count_request(self, path: str) -> None:
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1

    def store_heartbeat(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self.heartbeats.append(payload)

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    # The listening socket.

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.owner = self
        self._port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="fault-server", daemon=True)
        thread.start()
        self._server, self._thread = server, thread

    def _close_listener(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def _close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # The peer has closed it already.


# --- a simulated-time soak of the real sync worker against the fault server -------------------

#: Text each source's ``last_error`` contains after a failed attempt in each mode; a mode
#: missing from a table is one that source comes through, so its attempts must succeed.
FEED_ERRORS: dict[Mode, str] = {
    Mode.REFUSED: "connection failed",
    Mode.STALLED: "timed out",
    Mode.TRICKLE: "overall deadline",
    Mode.RESET: "connection broken or body truncated",
    Mode.SERVER_ERROR: "HTTP status 503",
    Mode.CAPTIVE_PORTAL: "got an HTML page",
    Mode.WRONG_CONTENT_TYPE: "content type image/png is not XML",
    Mode.REDIRECT_LOOP: "more than 5 redirects",
    Mode.OVERSIZED: "exceeds the limit",
    # Mode.EXPIRED is a fault of the signed repository only; the feed stays healthy.
}
CONTENT_ERRORS: dict[Mode, str] = {
    Mode.REFUSED: "repository unreachable",
    Mode.STALLED: "repository unreachable",
    Mode.TRICKLE: "repository unreachable",
    Mode.RESET: "repository unreachable",
    Mode.SERVER_ERROR: "repository unreachable",
    Mode.CAPTIVE_PORTAL: "server sent invalid metadata",
    # Mode.WRONG_CONTENT_TYPE: TUF checks signatures and hashes, never the media type,
    # so correctly signed bytes under a wrong label are accepted, as intended.
    Mode.REDIRECT_LOOP: "repository unreachable",
    Mode.OVERSIZED: "download too large",
    Mode.EXPIRED: "signed metadata expired",
}


FEED_ID = "city-alerts"
#: Slack when comparing simulated seconds with wall times, which keep whole microseconds.
_TOLERANCE_S = 1e-3
KIOSK_ID = "soak-kiosk"


class SoakFailure(AssertionError):
    """A check of the soak failed; the message names the step, the source and the values."""


def _check(condition: bool, message: str) -> None:
    # This module is not rewritten by pytest, so a bare assert would hide the values.
    if not condition:
        raise SoakFailure(message)


def cap_alert(version: int, sent: datetime, expires: datetime) -> bytes:
    """Return one CAP 1.2 alert whose headline names ``version``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>soak-{version}</identifier>
  <sender>alerts@example.org</sender>
  <sent>{sent.isoformat(timespec="seconds")}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en</language>
    <category>Transport</category>
    <event>Platform change</event>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Observed</certainty>
    <expires>{expires.isoformat(timespec="seconds")}</expires>
    <senderName>Transit operator</senderName>
    <headline>{alert_headline(version)}</headline>
    <description>Trains leave from platform {version}.</description>
    <area><areaDesc>Central station</areaDesc></area>
  </info>
</alert>""".encode()


def alert_headline(version: int) -> str:
    return f"Platform change, notice {version}"




@dataclass(frozen=True)
class Phase:
    """One stretch of simulated time in one server mode."""

    mode: Mode
    duration_s: float


def fault_cycle(fault_s: float, healthy_s: float,
                modes: Sequence[Mode] = FAULT_MODES) -> list[Phase]:
    """Return a healthy phase, then each fault mode followed by a healthy phase."""
    phases = [Phase(Mode.HEALTHY, healthy_s)]
    for mode in modes:
        phases += [Phase(mode, fault_s), Phase(Mode.HEALTHY, healthy_s)]
    return phases


@dataclass
class _SourceModel:
    """What the soak expects one source's status to show."""

    failures: int = 0
    last_success: datetime | None = None


@dataclass
class SoakReport:
    """What a soak run did, for the test's own checks and the benchmark's output."""

    steps: int = 0
    simulated_s: float = 0.0
    real_s: float = 0.0
    #: Attempts and failed attempts per (source, mode value).
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)
    failures: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Longest and shortest backoff delay seen after a failure, in simulated seconds.
    longest_backoff_s: float = 0.0
    shortest_backoff_s: float = float("inf")
    #: Simulated seconds from the end of each fault phase until both new versions were in force.
    recoveries: list[tuple[str, float]] = field(default_factory=list)
    bundle_versions_installed: list[int] = field(default_factory=list)
    heartbeats_received: int = 0


class Soak:
    """The real sync worker, content source, feed syncer and heartbeat sender on a simulated clock.

    The worker's scheduling clock and wall clock are simulated; downloads run
    in real time against a :class:`FaultServer`, with small timeouts so that a
    stalled or trickling download costs at most a second. :meth:`run`
    checks the worker's status, the content in force and the heartbeat after
    every call of ``run_due`` and raises :class:`SoakFailure` on the first
    wrong value.
    """

    def __init__(self, work_dir: Path, keys_dir: Path, *, start: datetime, seed: int = 7,
                 interval_s: float = 900.0, backoff_base_s: float = 60.0,
                 backoff_max_s: float = 900.0, heartbeat_interval_s: float = 3600.0,
                 connect_timeout_s: float = 0.3, read_timeout_s: float = 0.4,
                 deadline_s: float = 1.0) -> None:
        # Imported here so that importing FaultServer alone needs no kiosk packages.
        import random
        import shutil

        from kiosk.config import FeedConfig, SyncConfig
        from kiosk.publish import ExpiryPolicy
        from kiosk.sync.cache import FeedCache
        from kiosk.sync.content_source import ContentSource
        from kiosk.sync.feeds import FeedSyncer
        from kiosk.sync.heartbeat import HeartbeatSender, RecentErrors, ViewCounter
        from kiosk.sync.http import USER_AGENT, HttpClient
        from kiosk.sync.worker import SyncWorker

        self.work_dir = work_dir
        self.keys_dir = keys_dir
        self.data_dir = work_dir / "kiosk-data"
        self.repository_dir = work_dir / "repository"
        self.repository_dir.mkdir(parents=True)
        self.clock = SimulatedClock(start)
        # A short timestamp period makes the publisher's renewals part of every simulated day.
        self.expiry = ExpiryPolicy(timestamp=timedelta(hours=6))
        self.published_bundle = 0
        self._timestamp_expires = start
        self._publish_bundle()
        installed_root = work_dir / "installed-root.json"
        shutil.copy(self.repository_dir / "metadata" / "root.json", installed_root)

        self.server = FaultServer(self.repository_dir)
        # The console has its own port, which no fault mode touches.
        self.console = FaultServer(self.repository_dir)
        self.published_feed = 0
        self._publish_feed()

        feed = FeedConfig(id=FEED_ID, url=self.server.feed_url, kind="cap")
        self.config = SyncConfig(
            interval_s=interval_s, stale_after_s=4 * interval_s,
            connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s,
            deadline_s=deadline_s, max_feed_bytes=64 * 1024, max_bundle_bytes=1024 * 1024,
            backoff_base_s=backoff_base_s, backoff_max_s=backoff_max_s, feeds=(feed,),
            repository_url=self.server.repository_url, trusted_root=installed_root)
        self.heartbeat_interval_s = heartbeat_interval_s

        self.client = HttpClient(self.config, USER_AGENT)
        content = ContentSource(self.config, self.data_dir, self.client, KIOSK_ID)
        syncer = FeedSyncer(feed, self.config, self.client, FeedCache(self.data_dir / "feeds"))
        self.errors = RecentErrors()
        logging.getLogger("kiosk").addHandler(self.errors)
        self.sender = HeartbeatSender(
            self.console.console_url, "soak-token", KIOSK_ID, self.client, ViewCounter(),
            content_version=lambda: self.delivered_bundle, clock_status=self._clock_status,
            errors=self.errors, interval_s=heartbeat_interval_s, clock=self.clock.seconds,
            started_at=self.clock.monotonic)
        self.worker = SyncWorker([content, syncer, self.sender], self.config, self._on_update,
                                 clock=self.clock.seconds, now=self.clock.now,
                                 rng=random.Random(seed).random,  # noqa: S311 (backoff jitter, not a secret)
                                 on_bundle=self._on_bundle)
        self.sender.bind_status(self.worker.status)

        self.mode = Mode.HEALTHY
        self.shown_notices: tuple[Any, ...] = ()
        self._bundle: Any = None
        self.delivered_bundle: int | None = None
        self.good_bundle: int | None = None
        self.good_feed: int | None = None
        self._models = {name: _SourceModel() for name in ("content", FEED_ID, "heartbeat")}
        #: The mode just left, the monotonic time it ended, and the latest time to be current.
        self._recovery: tuple[Mode, float, float] | None = None
        self.report = SoakReport()

    def close(self) -> None:
        logging.getLogger("kiosk").removeHandler(self.errors)
        self.client.close()
        self.server.stop()
        self.console.stop()

    def __enter__(self) -> Soak:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The server side: publishing and the publisher's renewal job.

    def _publish_bundle(self) -> None:
        from test_publish_support import sample_document

        from kiosk.publish import publish

        now = self.clock.wall
        result = publish(sample_document(now), self.repository_dir, self.keys_dir, now=now,
                         expiry=self.expiry)
        self.published_bundle = result.bundle_version
        self._timestamp_expires = result.expires["timestamp"]

    def _publish_feed(self) -> None:
        self.published_feed += 1
        now = self.clock.wall
        self.server.feed_body = cap_alert(self.published_feed, now, now + timedelta(days=60))

    def _renew(self, signed_at: datetime) -> None:
        from kiosk.publish import renew

        result = renew(self.repository_dir, self.keys_dir, now=signed_at, expiry=self.expiry)
        self._timestamp_expires = result.expires["timestamp"]

    def _publisher_job(self) -> None:
        """Re-sign the timestamp when less than half its period is left, unless metadata is frozen."""
        left = self._timestamp_expires - self.clock.wall
        if self.mode is not Mode.EXPIRED and left < self.expiry.timestamp / 2:
            self._renew(self.clock.wall)

    def _enter(self, mode: Mode) -> None:
        left = self.mode
        if mode is not Mode.HEALTHY:
            # New content appears while the kiosk cannot fetch it.
            self._publish_bundle()
            self._publish_feed()
        if mode is Mode.EXPIRED:
            # Signed in the past, so it expired an hour ago but has a newer version.
            self._renew(self.clock.wall - self.expiry.timestamp - timedelta(hours=1))
        if mode is Mode.HEALTHY and left is not Mode.HEALTHY:
            now = self.clock.monotonic
            self._recovery = (left, now, now + self.config.interval_s)
        self.server.set_mode(mode)
        self.mode = mode

    # The kiosk side.

    def _on_update(self, notices: tuple[Any, ...], _status: Any) -> None:
        self.shown_notices = notices

    def _on_bundle(self, bundle: Any) -> None:
        self._bundle = bundle
        self.delivered_bundle = bundle.version
        self.report.bundle_versions_installed.append(bundle.version)

    def _clock_status(self) -> Any:
        """Judge the wall clock as the kiosk's selection does, against the bundle in force."""
        from kiosk.content.selection import select_content

        if self._bundle is None:
            return None
        return select_content(self._bundle, self.clock.wall, None, "en").clock

    def run(self, phases: Sequence[Phase]) -> SoakReport:
        """Run ``phases`` one after another, checking every step; return what happened."""
        started = time.monotonic()
        first = self.clock.monotonic
        self.worker.restore()
        for phase in phases:
            self._enter(phase.mode)
            end = self.clock.monotonic + phase.duration_s
            while True:
                self._publisher_job()
                before = self.worker.status()
                wait = self.worker.run_due()
                self._check_step(before, wait)
                if self.clock.monotonic + wait >= end:
                    self.clock.advance(end - self.clock.monotonic)
                    break
                self.clock.advance(wait)
        _check(self._recovery is None, "the soak ended before the kiosk recovered")
        self.report.simulated_s = self.clock.monotonic - first
        self.report.real_s = time.monotonic() - started
        self.report.heartbeats_received = len(self.console.heartbeats)
        return self.report

    # The checks after each step.

    def _expected_error(self, name: str) -> str | None:
        if name == "content":
            return CONTENT_ERRORS.get(self.mode)
        if name == FEED_ID:
            return FEED_ERRORS.get(self.mode)
        return None  # the console is never faulty

    def _check_step(self, before: Any, wait: float) -> None:
        self.report.steps += 1
        now = self.clock.wall
        status = self.worker.status()
        where = f"step {self.report.steps} at {now.isoformat()} in mode {self.mode.value}"
        heartbeat_sent = False
        next_attempts: list[datetime] = []
        for name, model in self._models.items():
            current, previous = status.source(name), before.source(name)
            if current is None or previous is None:
                raise SoakFailure(f"{where}: no status for source {name}")
            if current.last_attempt == now and previous.last_attempt != now:
                heartbeat_sent |= name == "heartbeat"
                self._check_attempt(name, model, current, where)
            else:
                _check(current == previous,
                       f"{where}: {name} was not due but its status changed: {current}")
            if current.next_attempt is None or current.next_attempt <= now:
                raise SoakFailure(f"{where}: {name} has no next attempt after now: "
                                  f"{current.next_attempt}")
            next_attempts.append(current.next_attempt)

        next_due = min(next_attempts)
        _check(abs((next_due - now).total_seconds() - wait) < _TOLERANCE_S,
               f"{where}: run_due returned {wait} s, the status says {next_due - now}")
        self._check_content(where)
        self._check_heartbeat(status, heartbeat_sent, where)
        self._check_recovery(where)

    def _check_attempt(self, name: str, model: _SourceModel, status: Any, where: str) -> None:
        key = (name, self.mode.value)
        self.report.attempts[key] = self.report.attempts.get(key, 0) + 1
        expected_error = self._expected_error(name)
        delay = (status.next_attempt - status.last_attempt).total_seconds()
        config = self.config
        if expected_error is None:
            _check(status.last_error is None,
                   f"{where}: {name} should have succeeded but failed: {status.last_error}")
            _check(status.consecutive_failures == 0 and status.last_success == status.last_attempt,
                   f"{where}: {name} succeeded but its status says otherwise: {status}")
            interval = self.heartbeat_interval_s if name == "heartbeat" else config.interval_s
            _check(abs(delay - interval) < _TOLERANCE_S,
                   f"{where}: {name} succeeded, next attempt in {delay} s, expected {interval} s")
            model.failures = 0
            model.last_success = status.last_attempt
            if name == "content":
                self.good_bundle = self.published_bundle
            elif name == FEED_ID:
                self.good_feed = self.published_feed
            return

        self.report.failures[key] = self.report.failures.get(key, 0) + 1
        model.failures += 1
        _check(status.last_error is not None and expected_error in status.last_error,
               f"{where}: {name} last_error {status.last_error!r}, expected {expected_error!r}")
        _check(status.consecutive_failures == model.failures,
               f"{where}: {name} counts {status.consecutive_failures} failures, "
               f"expected {model.failures}")
        _check(status.last_success == model.last_success,
               f"{where}: {name} last_success {status.last_success}, expected {model.last_success}")
        ceiling = min(config.backoff_max_s, config.backoff_base_s * 2.0 ** model.failures)
        _check(config.backoff_base_s - _TOLERANCE_S <= delay <= ceiling + _TOLERANCE_S,
               f"{where}: {name} backoff of {delay} s after {model.failures} failures is outside "
               f"[{config.backoff_base_s}, {ceiling}]")
        self.report.longest_backoff_s = max(self.report.longest_backoff_s, delay)
        self.report.shortest_backoff_s = min(self.report.shortest_backoff_s, delay)

    def _check_content(self, where: str) -> None:
        from kiosk.sync.store import load_verified_bundle

        _check(self.delivered_bundle == self.good_bundle,
               f"{where}: bundle version {self.delivered_bundle} delivered, "
               f"expected {self.good_bundle}")
        on_disk = load_verified_bundle(self.data_dir)
        _check((on_disk.version if on_disk else None) == self.good_bundle,
               f"{where}: bundle on disk is {on_disk.version if on_disk else None}, "
               f"expected {self.good_bundle}")
        headlines = [notice.title.get("en") for notice in self.shown_notices]
        expected = [alert_headline(self.good_feed)] if self.good_feed else []
        _check(headlines == expected, f"{where}: notices shown {headlines}, expected {expected}")

    def _check_heartbeat(self, status: Any, sent: bool, where: str) -> None:
        from kiosk.sync.heartbeat import clean_text

        payload, _sequence = self.sender.payload(self.clock.wall)
        expected_sources = [
            {"name": source.name, "kind": source.kind,
             "last_success": source.last_success.astimezone(UTC).isoformat(timespec="seconds")
             if source.last_success else None,
             "last_error": clean_text(source.last_error) if source.last_error else None,
             "consecutive_failures": source.consecutive_failures}
            for source in status.sources if source.kind != "heartbeat"]
        _check(payload["sources"] == expected_sources,
               f"{where}: heartbeat sources {payload['sources']}, expected {expected_sources}")
        _check(payload["content_version"] == self.good_bundle,
               f"{where}: heartbeat content version {payload['content_version']}, "
               f"expected {self.good_bundle}")
        _check(payload["errors"] == [],
               f"{where}: errors logged during the soak: {payload['errors']}")
        expected_clock = "ok" if self._bundle is not None else "unknown"
        _check(payload["clock_status"] == expected_clock,
               f"{where}: clock status {payload['clock_status']}, expected {expected_clock}")
        if sent:
            _check(bool(self.console.heartbeats) and self.console.heartbeats[-1] == payload,
                   f"{where}: the console stored {self.console.heartbeats[-1:]}, "
                   f"the kiosk's state is {payload}")

    def _check_recovery(self, where: str) -> None:
        if self._recovery is None:
            return
        mode, ended, latest = self._recovery
        current = (self.good_bundle == self.published_bundle
                   and self.good_feed == self.published_feed)
        if current:
            _check(self.clock.monotonic <= latest + _TOLERANCE_S,
                   f"{where}: content became current {self.clock.monotonic - ended:.0f} s after "
                   f"{mode.value} ended, more than one interval of {self.config.interval_s:g} s")
            self.report.recoveries.append((mode.value, self.clock.monotonic - ended))
            self._recovery = None
        else:
            _check(self.clock.monotonic < latest,
                   f"{where}: still not current {self.clock.monotonic - ended:.0f} s after "
                   f"{mode.value} ended")
