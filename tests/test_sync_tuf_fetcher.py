"""Tests for the conditional timestamp.json request and for connection reuse after an error page."""

from __future__ import annotations

import http.server
import os
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3.connection
from loopback import LoopbackServer, Route, loopback_server_fixture  # noqa: F401
from test_publish_support import NOW, RepositoryServer, sample_document

from kiosk.config import SyncConfig
from kiosk.publish import publish
from kiosk.sync.content import ContentUpdater, SyncErrorCategory
from kiosk.sync.http import USER_AGENT, HttpClient, HttpStatusError
from kiosk.sync.tuf_fetcher import reliable_validators

# The keys_dir and repo_server fixtures.
pytest_plugins = ["test_publish_support"]

TIMESTAMP_PATH = "/metadata/timestamp.json"


class TimestampLog:
    """Statuses and If-Modified-Since headers of the timestamp.json requests a server served."""

    def __init__(self, server: RepositoryServer) -> None:
        self.statuses: list[int] = []
        self.if_modified_since: list[str | None] = []
        server.overrides[TIMESTAMP_PATH] = self._serve

    def _serve(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.if_modified_since.append(handler.headers.get("If-Modified-Since"))
        send_response = handler.send_response

        def record(code: int, message: str | None = None) -> None:
            self.statuses.append(code)
            send_response(code, message)

        handler.send_response = record  # type: ignore[method-assign]
        http.server.SimpleHTTPRequestHandler.do_GET(handler)  # type: ignore[arg-type]


def _age_files(folder: Path, seconds: float) -> None:
    """Set the modification time of every file in ``folder`` to ``seconds`` ago."""
    moment = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (moment, moment))


@pytest.fixture
def updater(tmp_path: Path, keys_dir: Path, repo_server: RepositoryServer) -> Iterator[ContentUpdater]:
    """A kiosk's content updater for a repository published a minute ago (signed for NOW)."""
    publish(sample_document(NOW), repo_server.directory, keys_dir, now=NOW)
    _age_files(repo_server.directory, 60)
    root = tmp_path / "installed-root.json"
    shutil.copy(repo_server.directory / "metadata" / "root.json", root)
    config = SyncConfig(repository_url=repo_server.url, trusted_root=root,
                        connect_timeout_s=2.0, read_timeout_s=5.0, deadline_s=10.0)
    with HttpClient(config, USER_AGENT) as client:
        yield ContentUpdater(config, tmp_path / "kiosk", client)


def test_unchanged_timestamp_gets_not_modified(updater: ContentUpdater,
                                               repo_server: RepositoryServer) -> None:
    log = TimestampLog(repo_server)

    first = updater.sync(NOW)
    second = updater.sync(NOW + timedelta(minutes=5))

    assert first.ok, first.failure
    assert second.ok, second.failure
    assert second.current is not None
    assert second.current.version == 1
    assert log.statuses == [200, 304]
    assert log.if_modified_since[0] is None
    assert log.if_modified_since[1] is not None


def test_recent_timestamp_fetched_in_full(updater: ContentUpdater,
                                          repo_server: RepositoryServer) -> None:
    log = TimestampLog(repo_server)
    timestamp = repo_server.directory / "metadata" / "timestamp.json"
    # Last-Modified now equals the Date of the response, so the file could
    # change again within the same second without a new Last-Modified.
    os.utime(timestamp)

    assert updater.sync(NOW).ok
    assert updater.sync(NOW + timedelta(minutes=5)).ok

    assert log.statuses == [200, 200]
    assert log.if_modified_since == [None, None]


def test_not_modified_timestamp_still_expires(updater: ContentUpdater,
                                              repo_server: RepositoryServer) -> None:
    log = TimestampLog(repo_server)
    assert updater.sync(NOW).ok

    # The publisher signs timestamp.json for one day. The server still has
    # the same file two days later.
    later = updater.sync(NOW + timedelta(days=2))

    assert log.statuses == [200, 304]
    assert later.failure is not None
    assert later.failure.category is SyncErrorCategory.EXPIRED
    assert later.current is not None
    assert later.current.version == 1


def test_rejected_timestamp_is_fetched_in_full_next_time(updater: ContentUpdater,
                                                         repo_server: RepositoryServer) -> None:
    log = TimestampLog(repo_server)
    assert updater.sync(NOW).ok
    timestamp = repo_server.directory / "metadata" / "timestamp.json"
    original = timestamp.read_bytes()
    # Same length and a later modification time, but the signature no longer matches.
    timestamp.write_bytes(original.replace(b'"version": 1', b'"version": 7', 1))
    assert timestamp.read_bytes() != original
    later = timestamp.stat().st_mtime + 10
    os.utime(timestamp, (later, later))

    rejected = updater.sync(NOW + timedelta(minutes=5))
    again = updater.sync(NOW + timedelta(minutes=10))

    assert rejected.failure is not None
    assert rejected.failure.category is SyncErrorCategory.TAMPERED
    assert again.failure is not None
    assert log.statuses == [200, 200, 200]
    assert log.if_modified_since[2] is None


@pytest.mark.parametrize(("headers", "reliable"), [
    ({"etag": '"abc"'}, True),
    ({"last-modified": "Fri, 04 Dec 2026 08:00:00 GMT",
      "date": "Fri, 04 Dec 2026 08:00:01 GMT"}, True),
    ({"etag": '"abc"', "last-modified": "Fri, 04 Dec 2026 08:00:00 GMT",
      "date": "Fri, 04 Dec 2026 08:00:00 GMT"}, False),
    ({"last-modified": "Fri, 04 Dec 2026 08:00:00 GMT"}, False),
    ({"last-modified": "yesterday", "date": "Fri, 04 Dec 2026 08:00:01 GMT"}, False),
    ({"last-modified": "Fri, 04 Dec 2026 08:00:02 GMT",
      "date": "Fri, 04 Dec 2026 08:00:01 GMT"}, False),
    ({}, False),
])
def test_validators_need_a_second_of_age(headers: dict[str, str], reliable: bool) -> None:
    assert reliable_validators(headers) is reliable


def test_error_page_does_not_cost_a_connection(loopback_server: LoopbackServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    connects: list[Any] = []
    connect = urllib3.connection.HTTPConnection.connect

    def counting_connect(self: urllib3.connection.HTTPConnection) -> None:
        connects.append(self)
        connect(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", counting_connect)
    missing = loopback_server.add("/2.root.json", Route(status=404, body=b"not found"))
    present = loopback_server.add("/timestamp.json", Route(body=b"{}"))
    config = SyncConfig(allowed_hosts=("127.0.0.1",), connect_timeout_s=2.0,
                        read_timeout_s=5.0, deadline_s=10.0)

    with HttpClient(config, USER_AGENT) as client:
        with pytest.raises(HttpStatusError) as caught:
            list(client.stream(missing, max_bytes=1000))
        body = b"".join(client.stream(present, max_bytes=1000))

    assert caught.value.status == 404
    assert body == b"{}"
    assert len(connects) == 1
