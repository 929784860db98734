"""A real threaded HTTP server on 127.0.0.1 that serves fixtures, with fault modes.

Tests register routes, point a client at ``server.url(path)`` and read back what
the server saw: each request's headers and how many body bytes it sent.

    from loopback import Route, loopback_server_fixture  # noqa: F401 (registers loopback_server)

    def test_feed_download(loopback_server):
        loopback_server.add("/feed.xml", Route(body=b"<rss/>", content_type="application/rss+xml"))

Every slow fault mode (stall, trickle) is bounded by ``Route.max_duration_s``
and ends at once when the server stops, so a test cannot hang on it.
"""

from __future__ import annotations

import enum
import http.server
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


class Fault(enum.Enum):
    """How a route misbehaves; ``NONE`` serves it properly."""

    NONE = "none"
    #: Accept the connection and send nothing at all.
    STALL = "stall"
    #: Send the headers, then the body one byte per ``trickle_interval_s``.
    TRICKLE = "trickle"
    #: Declare ``len(body) + missing`` bytes in Content-Length, send the body and close.
    TRUNCATED = "truncated"
    #: Send the body with no Content-Length and close the connection to end it.
    NO_LENGTH = "no-length"
    #: Send half the body, then reset the TCP connection.
    RESET = "reset"


@dataclass
class Route:
    """What the server sends for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault = Fault.NONE
    #: Validators; a matching If-None-Match or If-Modified-Since gets a 304 with no body.
    etag: str | None = None
    last_modified: str | None = None
    trickle_interval_s: float = 0.5
    #: Upper bound on how long a stall or trickle keeps the connection open.
    max_duration_s: float = 10.0
    #: Bytes claimed in Content-Length beyond the body, for ``Fault.TRUNCATED``.
    missing: int = 100


@dataclass(frozen=True)
class Hit:
    """One request the server received.

    ``body_bytes_sent`` counts the body bytes the server wrote, or set out to
    write when the client hung up first.
    """

    path: str
    headers: dict[str, str]
    status: int
    body_bytes_sent: int


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    #: Seconds an idle keep-alive connection stays open.
    timeout = 5

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        route = self.server.owner.route(path)
        if route is None:
            route = Route(status=404, body=b"not found", content_type="text/plain")
        try:
            if route.fault is Fault.STALL:
                self._record(path, route.status, 0)
                self.server.owner.wait(route.max_duration_s)
                self.close_connection = True
                return
            if self._not_modified(route):
                self._record(path, 304, 0)
                self.send_response(304)
                self._send_validators(route)
                self.end_headers()
                return
            self._send(path, route)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _record(self, path: str, status: int, body_bytes: int) -> None:
        """Record the request before the last bytes go out, so a client never sees a
        response whose hit is still missing."""
        request_headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.owner.record(Hit(path, request_headers, status, body_bytes))

    def _not_modified(self, route: Route) -> bool:
        if route.status != 200:
            return False
        if route.etag is not None and self.headers.get("If-None-Match") == route.etag:
            return True
        return (route.last_modified is not None
                and self.headers.get("If-None-Match") is None
                and self.headers.get("If-Modified-Since") == route.last_modified)

    def _send_validators(self, route: Route) -> None:
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.last_modified is not None:
            self.send_header("Last-Modified", route.last_modified)

    def _send(self, path: str, route: Route) -> None:
        """Send the route's response, recording the request first (a trickle records last)."""
        self.send_response(route.status)
        if route.content_type is not None:
            self.send_header("Content-Type", route.content_type)
        self._send_validators(route)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.fault is Fault.TRUNCATED:
            self.send_header("Content-Length", str(len(route.body) + route.missing))
        elif route.fault is Fault.NO_LENGTH:
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(route.body)))

        if route.fault is Fault.TRICKLE:
            self.end_headers()
            self._record(path, route.status, self._trickle(route))
            return
        if route.fault is Fault.RESET:
            half = route.body[: len(route.body) // 2]
            self._record(path, route.status, len(half))
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            # SO_LINGER with a zero timeout turns close() into a TCP reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self._record(path, route.status, len(route.body))
        self.end_headers()
        self.wfile.write(route.body)
        if route.fault in {Fault.TRUNCATED, Fault.NO_LENGTH}:
            self.close_connection = True

    def _trickle(self, route: Route) -> int:
        started = time.monotonic()
        sent = 0
        try:
            for byte in route.body:
                if time.monotonic() - started > route.max_duration_s:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                sent += 1
                if self.server.owner.wait(route.trickle_interval_s):
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up, as the tests expect.
        self.close_connection = True
        return sent

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet; the server records requests in ``hits``."""


class _Server(http.server.ThreadingHTTPServer):
    # Handler threads are joined in server_close(), after stop() has shut their sockets.
    daemon_threads = False
    block_on_close = True
    owner: LoopbackServer

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        connection, address = super().get_request()
        self.owner.track(connection)
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hang up early; the tests provoke that on purpose."""

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        self.owner.untrack(request)
        super().shutdown_request(request)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._hits: list[Hit] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="loopback-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """Return the URL of ``path``; ``host="localhost"`` names the same server differently."""
        return f"http://{host}:{self.port}{path}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end stalled and trickling responses, and join the threads."""
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # The peer has already closed it.
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path`` and return its URL."""
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Redirect ``path`` to ``location`` and return the URL of ``path``."""
        return self.add(path, Route(status=status, content_type=None,
                                    headers={"Location": location}))

    def route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def record(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def hits(self, path: str | None = None) -> list[Hit]:
        """Return the requests received so far, optionally only those for ``path``."""
        with self._lock:
            return [hit for hit in self._hits if path is None or hit.path == path]

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True at once if the server is stopping."""
        return self._stopping.wait(seconds)


def closed_port_url(path: str = "/") -> str:
    """Return a loopback URL whose port has nothing listening, so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.fixture(name="loopback_server")
def loopback_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """A started :class:`LoopbackServer`, stopped after the test."""
    # Loopback traffic must never go to a proxy named in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    with LoopbackServer() as server:
        yield server
