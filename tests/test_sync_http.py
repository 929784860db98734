"""Tests for kiosk.sync.http against a real loopback HTTP server."""

from __future__ import annotations

import gzip
import itertools
import time
from collections.abc import Iterator

import pytest
from loopback import Fault, LoopbackServer, Route, closed_port_url, loopback_server_fixture  # noqa: F401

from kiosk.config import SyncConfig
from kiosk.sync.http import (
    MAX_REDIRECTS,
    USER_AGENT,
    DisallowedUrl,
    DownloadError,
    DownloadTimeout,
    DownloadTooLarge,
    HttpClient,
    HttpStatusError,
)

FAST = SyncConfig(connect_timeout_s=0.5, read_timeout_s=0.5, deadline_s=1.5)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def client() -> Iterator[HttpClient]:
    http = HttpClient(FAST, USER_AGENT)
    yield http
    http.close()


def test_get_returns_body_and_validators(loopback_server: LoopbackServer,
                                         client: HttpClient) -> None:
    url = loopback_server.add("/feed.xml", Route(body=RSS, etag='"v1"',
                                                 last_modified="Mon, 01 Jan 2024 00:00:00 GMT"))

    response = client.get(url, max_bytes=10_000, accept="application/rss+xml")

    assert response.status == 200
    assert response.body == RSS
    assert response.etag == '"v1"'
    assert response.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert response.not_modified is False
    assert response.headers["content-type"] == "application/xml"
    hit = loopback_server.hits("/feed.xml")[0]
    assert hit.headers["user-agent"] == USER_AGENT
    assert hit.headers["accept"] == "application/rss+xml"


def test_user_agent_names_product_and_version() -> None:
    assert USER_AGENT.startswith("kiosk/0.")
    assert "passenger information kiosk" in USER_AGENT


def test_etag_gets_not_modified_without_body(loopback_server: LoopbackServer,
                                             client: HttpClient) -> None:
    url = loopback_server.add("/feed.xml", Route(body=RSS, etag='"v1"'))
    first = client.get(url, max_bytes=10_000)

    second = client.get(url, max_bytes=10_000, etag=first.etag)

    assert second.not_modified is True
    assert second.status == 304
    assert second.body == b""
    assert second.etag == '"v1"'
    hits = loopback_server.hits("/feed.xml")
    assert hits[0].body_bytes_sent == len(RSS)
    assert hits[1].headers["if-none-match"] == '"v1"'
    assert hits[1].status == 304
    assert hits[1].body_bytes_sent == 0


def test_last_modified_gets_not_modified(loopback_server: LoopbackServer,
                                         client: HttpClient) -> None:
    stamp = "Tue, 02 Jan 2024 03:04:05 GMT"
    url = loopback_server.add("/feed.xml", Route(body=RSS, last_modified=stamp))

    response = client.get(url, max_bytes=10_000, last_modified=stamp)

    assert response.not_modified is True
    assert response.last_modified == stamp
    hit = loopback_server.hits("/feed.xml")[0]
    assert hit.headers["if-modified-since"] == stamp
    assert hit.body_bytes_sent == 0


def test_changed_etag_downloads_again(loopback_server: LoopbackServer,
                                      client: HttpClient) -> None:
    url = loopback_server.add("/feed.xml", Route(body=RSS, etag='"v2"'))

    response = client.get(url, max_bytes=10_000, etag='"v1"')

    assert response.not_modified is False
    assert response.body == RSS
    assert response.etag == '"v2"'


def test_unrequested_304_is_status_error(loopback_server: LoopbackServer,
                                         client: HttpClient) -> None:
    url = loopback_server.add("/odd", Route(status=304, content_type=None))

    with pytest.raises(HttpStatusError) as caught:
        client.get(url, max_bytes=10_000)

    assert caught.value.status == 304


def test_refused_connection_is_download_error(client: HttpClient) -> None:
    url = closed_port_url("/feed.xml")

    with pytest.raises(DownloadError) as caught:
        client.get(url, max_bytes=10_000)

    assert url in str(caught.value)
    assert "connection failed" in str(caught.value)
    assert isinstance(caught.value.__cause__, Exception)


def test_stalled_server_times_out(loopback_server: LoopbackServer, client: HttpClient) -> None:
    url = loopback_server.add("/stall", Route(fault=Fault.STALL))
    started = time.monotonic()

    with pytest.raises(DownloadTimeout) as caught:
        client.get(url, max_bytes=10_000)

    assert time.monotonic() - started < FAST.read_timeout_s + 1.0
    assert url in str(caught.value)


def test_trickle_ends_at_deadline(loopback_server: LoopbackServer, client: HttpClient) -> None:
    # Each byte arrives well inside the read timeout, so only the deadline stops it.
    url = loopback_server.add("/trickle", Route(body=b"x" * 1000, fault=Fault.TRICKLE,
                                                trickle_interval_s=0.1))
    started = time.monotonic()

    with pytest.raises(DownloadTimeout) as caught:
        client.get(url, max_bytes=10_000)

    elapsed = time.monotonic() - started
    assert FAST.deadline_s - 0.2 < elapsed < FAST.deadline_s + 0.5
    assert "deadline" in str(caught.value)


def test_deadline_uses_injected_clock(loopback_server: LoopbackServer) -> None:
    url = loopback_server.add("/feed.xml", Route(body=RSS))
    ticks = itertools.count(0.0, 10.0)
    http = HttpClient(FAST, USER_AGENT, clock=lambda: next(ticks))

    with pytest.raises(DownloadTimeout) as caught:
        http.get(url, max_bytes=10_000)

    http.close()
    assert "deadline of 1.5 s exceeded" in str(caught.value)


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_status_raises(loopback_server: LoopbackServer, client: HttpClient,
                             status: int) -> None:
    url = loopback_server.add("/feed.xml", Route(status=status, body=b"<error>down</error>"))

    with pytest.raises(HttpStatusError) as caught:
        client.get(url, max_bytes=10_000)

    assert caught.value.status == status
    assert f"HTTP status {status}" in str(caught.value)


def test_declared_oversize_is_rejected_early(loopback_server: LoopbackServer,
                                             client: HttpClient) -> None:
    url = loopback_server.add("/big", Route(body=b"x" * 5000))

    with pytest.raises(DownloadTooLarge) as caught:
        client.get(url, max_bytes=1000)

    assert "Content-Length 5000" in str(caught.value)


def test_undeclared_oversize_is_cut_while_streaming(loopback_server: LoopbackServer,
                                                    client: HttpClient) -> None:
    url = loopback_server.add("/big", Route(body=b"x" * 200_000, fault=Fault.NO_LENGTH))

    with pytest.raises(DownloadTooLarge) as caught:
        client.get(url, max_bytes=1000)

    assert "exceeds the limit of 1000 bytes" in str(caught.value)


def test_body_of_exact_limit_is_accepted(loopback_server: LoopbackServer,
                                         client: HttpClient) -> None:
    url = loopback_server.add("/exact", Route(body=b"x" * 1000, fault=Fault.NO_LENGTH))

    assert len(client.get(url, max_bytes=1000).body) == 1000


def test_compression_bomb_is_cut_after_decoding(loopback_server: LoopbackServer,
                                                client: HttpClient) -> None:
    bomb = gzip.compress(b"\0" * 10_000_000)
    url = loopback_server.add("/bomb", Route(body=bomb, headers={"Content-Encoding": "gzip"}))

    with pytest.raises(DownloadTooLarge):
        client.get(url, max_bytes=100_000)

    assert len(bomb) < 100_000


def test_gzip_body_is_decoded(loopback_server: LoopbackServer, client: HttpClient) -> None:
    url = loopback_server.add("/gz", Route(body=gzip.compress(RSS),
                                           headers={"Content-Encoding": "gzip"}))

    assert client.get(url, max_bytes=10_000).body == RSS


def test_truncated_body_is_download_error(loopback_server: LoopbackServer,
                                          client: HttpClient) -> None:
    url = loopback_server.add("/short", Route(body=RSS, fault=Fault.TRUNCATED))

    with pytest.raises(DownloadError) as caught:
        client.get(url, max_bytes=10_000)

    assert "truncated" in str(caught.value)


def test_reset_mid_body_is_download_error(loopback_server: LoopbackServer,
                                          client: HttpClient) -> None:
    url = loopback_server.add("/reset", Route(body=b"x" * 100_000, fault=Fault.RESET))

    with pytest.raises(DownloadError) as caught:
        client.get(url, max_bytes=1_000_000)

    assert not isinstance(caught.value, DownloadTooLarge | DownloadTimeout)
    assert url in str(caught.value)


def test_redirect_within_host_is_followed(loopback_server: LoopbackServer,
                                          client: HttpClient) -> None:
    target = loopback_server.add("/new.xml", Route(body=RSS))
    url = loopback_server.redirect("/old.xml", "/new.xml", status=301)

    response = client.get(url, max_bytes=10_000)

    assert response.url == target
    assert response.body == RSS


def test_redirect_to_other_host_is_rejected(loopback_server: LoopbackServer,
                                           client: HttpClient) -> None:
    loopback_server.add("/elsewhere.xml", Route(body=RSS))
    url = loopback_server.redirect("/feed.xml", loopback_server.url("/elsewhere.xml", "localhost"))

    with pytest.raises(DisallowedUrl) as caught:
        client.get(url, max_bytes=10_000)

    assert "another host" in str(caught.value)
    assert loopback_server.hits("/elsewhere.xml") == []


def test_invalid_redirect_location_is_rejected(loopback_server: LoopbackServer,
                                               client: HttpClient) -> None:
    url = loopback_server.redirect("/feed.xml", "http://[::1/feed.xml")

    with pytest.raises(DownloadError) as caught:
        client.get(url, max_bytes=10_000)

    assert url in str(caught.value)
    assert "invalid URL or redirect location" in str(caught.value)


def test_redirect_loop_stops(loopback_server: LoopbackServer, client: HttpClient) -> None:
    loopback_server.redirect("/a", "/b")
    url = loopback_server.redirect("/b", "/a")

    with pytest.raises(DownloadError) as caught:
        client.get(url, max_bytes=10_000)

    assert f"more than {MAX_REDIRECTS} redirects" in str(caught.value)
    assert len(loopback_server.hits()) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("url", [
    "http://feeds.example.org/feed.xml",
    "https://feeds.example.org/feed.xml",
    "ftp://127.0.0.1/feed.xml",
    "file:///etc/passwd",
    "not a url",
    "http://[::1/feed.xml",
])
def test_disallowed_url_rejected_before_connecting(client: HttpClient, url: str) -> None:
    with pytest.raises(DisallowedUrl):
        client.get(url, max_bytes=10_000)


def test_allowlisted_https_host_passes_check() -> None:
    from kiosk.sync.http import check_url

    check_url("https://feeds.example.org/feed.xml", ("feeds.example.org",))
    with pytest.raises(DisallowedUrl):
        check_url("http://feeds.example.org/feed.xml", ("feeds.example.org",))


def test_environment_proxy_is_bypassed_for_loopback(loopback_server: LoopbackServer,
                                                    client: HttpClient,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy that refuses connections: using it would fail the download.
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    monkeypatch.setenv("HTTP_PROXY", closed_port_url())
    monkeypatch.setenv("ALL_PROXY", closed_port_url())
    url = loopback_server.add("/feed.xml", Route(body=RSS))

    assert client.get(url, max_bytes=10_000).body == RSS


def test_stream_yields_whole_body(loopback_server: LoopbackServer, client: HttpClient) -> None:
    body = bytes(range(256)) * 1000
    url = loopback_server.add("/target.bin", Route(body=body,
                                                   content_type="application/octet-stream"))

    assert b"".join(client.stream(url, max_bytes=len(body))) == body


def test_stream_checks_status_before_returning(loopback_server: LoopbackServer,
                                               client: HttpClient) -> None:
    with pytest.raises(HttpStatusError) as caught:
        client.stream(loopback_server.url("/missing.json"), max_bytes=1000)

    assert caught.value.status == 404


def test_stream_cuts_oversized_body(loopback_server: LoopbackServer, client: HttpClient) -> None:
    url = loopback_server.add("/big.bin", Route(body=b"x" * 300_000, fault=Fault.NO_LENGTH))

    with pytest.raises(DownloadTooLarge):
        for _ in client.stream(url, max_bytes=100_000):
            pass


def test_stream_trickle_ends_at_deadline(loopback_server: LoopbackServer,
                                         client: HttpClient) -> None:
    url = loopback_server.add("/slow.bin", Route(body=b"x" * 1000, fault=Fault.TRICKLE,
                                                 trickle_interval_s=0.1))
    started = time.monotonic()

    with pytest.raises(DownloadTimeout):
        for _ in client.stream(url, max_bytes=10_000):
            pass

    assert time.monotonic() - started < FAST.deadline_s + 0.5
