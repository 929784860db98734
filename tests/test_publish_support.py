"""Helpers shared by the publishing and content sync tests: a sample bundle, a repository server.

Load the fixtures into a test module with ``pytest_plugins = ["test_publish_support"]``.
"""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kiosk.publish import init_keys

#: Fixed publish and sync time for tests that do not move the clock.
NOW = datetime.now(UTC).replace(microsecond=0)

Override = Callable[[http.server.BaseHTTPRequestHandler], None]


def _text(english: str, chinese: str) -> dict[str, str]:
    return {"en": english, "zh_Hans": chinese}


def sample_document(now: datetime = NOW, *, notice: str = "Masks are required on board",
                    expires_in: timedelta = timedelta(days=365)) -> dict[str, Any]:
    """Return a small valid bundle document published at ``now``."""
    stamp = "%Y-%m-%dT%H:%M:%S+00:00"
    return {
        "schema_version": 1,
        "version": 1,
        "published_at": (now - timedelta(hours=1)).strftime(stamp),
        "expires_at": (now + expires_in).strftime(stamp),
        "default_language": "zh_Hans",
        "issuer": _text("Health Authority", "卫生健康委员会"),
        "sites": [{"id": "pek-t3", "name": _text("Terminal 3", "三号航站楼"),
                   "site_type": "airport", "region": "CN-BJ"}],
        "notices": [{"id": "masks", "title": _text(notice, "乘机须佩戴口罩"),
                     "body": _text("Wear a mask.", "请佩戴口罩。"), "severity": "info",
                     "issuer": _text("Airport", "机场")}],
        "travel_rules": [],
        "symptoms": [],
        "risk_levels": [{"colour": colour, "label": _text(colour, colour),
                         "criteria": _text("criteria", "标准"), "advice": _text("advice", "建议")}
                        for colour in ("green", "yellow", "orange", "red")],
        "hotlines": [{"id": "health", "name": _text("Health hotline", "卫生热线"),
                      "number": "12320", "hours": _text("24 hours", "全天"),
                      "scope": _text("Nationwide", "全国")}],
    }


class RepositoryServer:
    """A threaded HTTP server on 127.0.0.1 serving a repository folder.

    ``directory`` can be switched at any time, for example to replay an old
    copy. ``overrides`` maps a URL path to a function that responds instead.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.overrides: dict[str, Override] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(owner.directory), **kwargs)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                owner.requests.append(path)
                override = owner.overrides.get(path)
                if override is not None:
                    override(self)
                else:
                    super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def send_bytes(body: bytes, status: int = 200, content_type: str = "application/json",
               length: int | None = None) -> Override:
    """Respond with ``body``; ``length`` sets a Content-Length other than the body's."""
    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if length is None else length))
        handler.end_headers()
        handler.wfile.write(body)
    return respond


def send_endless(chunk: bytes = b"A" * 65536, limit_bytes: int = 64 * 1024 * 1024) -> Override:
    """Respond with a body that has no Content-Length and goes on until the client hangs up."""
    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        sent = 0
        try:
            while sent < limit_bytes:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return respond


def send_trickle(interval_s: float = 0.2, max_duration_s: float = 5.0) -> Override:
    """Respond with headers, then one body byte per ``interval_s`` until ``max_duration_s``."""
    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "10000")
        handler.end_headers()
        deadline = time.monotonic() + max_duration_s
        try:
            while time.monotonic() < deadline:
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(interval_s)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return respond


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    """A folder with all four signing keys."""
    folder = tmp_path / "keys"
    init_keys(folder)
    return folder


@pytest.fixture
def repo_server(tmp_path: Path) -> Iterator[RepositoryServer]:
    """A loopback server for the repository folder ``tmp_path / "repo"``."""
    directory = tmp_path / "repo"
    directory.mkdir()
    server = RepositoryServer(directory)
    yield server
    server.stop()


def copy_repository(source: Path, destination: Path) -> Path:
    """Copy a whole repository folder, as an attacker replaying it would keep it."""
    shutil.copytree(source, destination)
    return destination
