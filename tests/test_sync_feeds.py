"""Tests for kiosk.sync.feeds: one feed sync against a real loopback server."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loopback import Fault, LoopbackServer, Route, closed_port_url, loopback_server_fixture  # noqa: F401

from kiosk.config import FeedConfig, SyncConfig
from kiosk.content.loader import load_bundle
from kiosk.content.selection import select_content
from kiosk.sync.cache import FeedCache
from kiosk.sync.feeds import (
    FeedResponseError,
    FeedSyncer,
    check_feed_response,
)
from kiosk.sync.http import USER_AGENT, HttpClient, Response

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
FAST = SyncConfig(connect_timeout_s=0.5, read_timeout_s=0.5, deadline_s=1.5,
                  max_feed_bytes=64 * 1024)


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.org/{index}</link>"
        f"<guid>https://news.example.org/{index}</guid><description>About {title}</description>"
        f"<pubDate>Mon, 01 Jul 2024 08:00:00 GMT</pubDate></item>"
        for index, title in enumerate(titles))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>City transport</title><link>https://news.example.org/</link>"
            f"<description>Notices</description>{items}</channel></rss>").encode()


def cap_alert(identifier: str, headline: str, expires: datetime) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>alerts@example.org</sender>
  <sent>2024-07-01T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en</language>
    <category>Met</category>
    <event>Rainstorm</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <expires>{expires.isoformat(timespec="seconds")}</expires>
    <senderName>Weather office</senderName>
    <headline>{headline}</headline>
    <description>Heavy rain expected.</description>
    <area><areaDesc>Beijing</areaDesc></area>
  </info>
</alert>""".encode()


def cap_index(*links: str) -> bytes:
    entries = "".join(
        f"<entry><id>{link}</id><title>Alert {index}</title>"
        f"<updated>2024-07-01T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{link}"/></entry>'
        for index, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>urn:example:alerts</id><title>Alerts</title>"
            f"<updated>2024-07-01T00:00:00Z</updated>{entries}</feed>").encode()


@dataclass
class Setup:
    server: LoopbackServer
    client: HttpClient
    cache: FeedCache
    config: SyncConfig

    def syncer(self, path: str = "/feed.xml", kind: str = "auto") -> FeedSyncer:
        feed = FeedConfig(id="city-news", url=self.server.url(path), kind=kind)
        return FeedSyncer(feed, replace(self.config, feeds=(feed,)), self.client, self.cache)


@pytest.fixture
def setup(loopback_server: LoopbackServer, tmp_path: Path) -> Iterator[Setup]:
    client = HttpClient(FAST, USER_AGENT)
    yield Setup(loopback_server, client, FeedCache(tmp_path / "feeds"), FAST)
    client.close()


def test_good_rss_gives_notices_and_cache(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed", "Line 2 delayed"),
                                        content_type="application/rss+xml", etag='"r1"'))

    result = setup.syncer().sync(NOW)

    assert result.ok is True
    assert result.error is None
    assert sorted(notice.title["en"] for notice in result.notices) == ["Line 1 closed",
                                                                  "Line 2 delayed"]
    assert {notice.origin for notice in result.notices} == {"city-news"}
    assert result.confirmed_at == NOW
    entry = setup.cache.load("city-news")
    assert entry is not None
    assert entry.notices == result.notices
    assert entry.etag == '"r1"'


def test_unchanged_feed_costs_no_body(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed"), etag='"r1"',
                                        last_modified="Mon, 01 Jul 2024 08:00:00 GMT"))
    syncer = setup.syncer()
    first = syncer.sync(NOW)

    later = NOW + timedelta(minutes=5)
    second = syncer.sync(later)

    assert second.ok is True
    assert second.not_modified is True
    assert second.notices == first.notices
    assert second.confirmed_at == later
    hits = setup.server.hits("/feed.xml")
    assert hits[1].headers["if-none-match"] == '"r1"'
    assert hits[1].status == 304
    assert hits[1].body_bytes_sent == 0
    entry = setup.cache.load("city-news")
    assert entry is not None
    assert entry.checked_at == later
    assert entry.fetched_at == NOW


def _stop_server(server: LoopbackServer) -> None:
    server.stop()


FAULTS: dict[str, tuple[Route | Callable[[LoopbackServer], None], str]] = {
    "refused": (_stop_server, "connection failed"),
    "stall": (Route(fault=Fault.STALL), "timed out"),
    "trickle": (Route(body=rss("x") * 10, fault=Fault.TRICKLE, trickle_interval_s=0.1),
                "deadline"),
    "404": (Route(status=404, body=b"<error/>"), "HTTP status 404"),
    "500 with XML": (Route(status=500, body=rss("Server error")), "HTTP status 500"),
    "captive portal": (Route(body=b"<!DOCTYPE html><html><body>Log in to Wi-Fi</body></html>",
                             content_type="text/html; charset=utf-8"), "HTML page"),
    "HTML labelled XML": (Route(body=b"<html><head><title>Log in</title></head></html>",
                                content_type="application/xml"), "HTML page"),
    "truncated": (Route(body=rss("a", "b"), fault=Fault.TRUNCATED), "truncated"),
    "oversized": (Route(body=rss("x" * 100_000)), "exceeds the limit"),
    "wrong type": (Route(body=b"\x89PNG\r\n\x1a\n", content_type="image/png"),
                   "content type image/png is not XML"),
    "JSON": (Route(body=b'{"items": []}', content_type="application/json"),
             "content type application/json is not XML"),
    "other host": (Route(status=302, content_type=None,
                         headers={"Location": "https://elsewhere.example.org/feed.xml"}),
                   "another host"),
    "reset": (Route(body=rss(*["item"] * 250), fault=Fault.RESET), "connection broken"),
    "empty": (Route(body=b""), "empty body"),
    "blank": (Route(body=b" \r\n\t "), "empty body"),
    "text": (Route(body=b"Service unavailable", content_type="text/plain"), "not XML"),
    "malformed": (Route(body=b"<rss><channel><item>"), "not well-formed XML"),
    "not a feed": (Route(body=b"<inventory><item/></inventory>"), "unsupported format"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_keeps_last_good_notices(setup: Setup, fault: str) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed")))
    syncer = setup.syncer()
    first = syncer.sync(NOW)
    assert first.ok is True
    cached = setup.cache.load("city-news")

    action, message = FAULTS[fault]
    if isinstance(action, Route):
        setup.server.add("/feed.xml", action)
    else:
        action(setup.server)
    result = syncer.sync(NOW + timedelta(minutes=5))

    assert result.ok is False
    assert result.notices == first.notices
    assert result.error is not None
    assert message in result.error
    assert result.confirmed_at == NOW
    assert setup.cache.load("city-news") == cached


def test_redirect_loop_keeps_last_good_notices(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed")))
    syncer = setup.syncer()
    first = syncer.sync(NOW)
    setup.server.redirect("/feed.xml", "/loop.xml")
    setup.server.redirect("/loop.xml", "/feed.xml")

    result = syncer.sync(NOW)

    assert result.ok is False
    assert result.notices == first.notices
    assert result.error is not None
    assert "redirects" in result.error


def test_failure_without_history_gives_no_notices(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(status=500, body=b"<error/>"))

    result = setup.syncer().sync(NOW)

    assert result.ok is False
    assert result.notices == ()
    assert result.confirmed_at is None
    assert setup.cache.load("city-news") is None


def test_failure_is_logged_with_feed_id(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.server.add("/feed.xml", Route(status=503))

    with caplog.at_level(logging.WARNING, logger="kiosk.sync.feeds"):
        setup.syncer().sync(NOW)

    assert "city-news" in caplog.text
    assert "HTTP status 503" in caplog.text


def test_wrong_configured_kind_is_rejected(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed")))

    result = setup.syncer(kind="atom").sync(NOW)

    assert result.ok is False
    assert result.error is not None
    assert "expected a atom feed, got a rss document" in result.error


def test_restore_loads_cache_after_restart(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed"), etag='"r1"'))
    first = setup.syncer().sync(NOW)

    restarted = setup.syncer()
    restored = restarted.restore(NOW + timedelta(hours=1))
    again = restarted.sync(NOW + timedelta(hours=1))

    assert restored is not None
    assert restored.notices == first.notices
    assert restored.confirmed_at == NOW
    assert again.not_modified is True
    assert setup.server.hits("/feed.xml")[1].headers["if-none-match"] == '"r1"'


def test_restore_ignores_cache_of_old_url(setup: Setup) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed")))
    setup.syncer().sync(NOW)

    assert setup.syncer("/moved.xml").restore(NOW) is None


def test_restore_without_cache_is_none(setup: Setup) -> None:
    assert setup.syncer().restore(NOW) is None


def test_cache_write_failure_still_shows_notices(setup: Setup,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    setup.server.add("/feed.xml", Route(body=rss("Line 1 closed")))

    def failing_replace(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    result = setup.syncer().sync(NOW)

    assert result.ok is True
    assert len(result.notices) == 1
    assert result.error is not None
    assert "cannot write feed cache" in result.error


def test_cap_index_fetches_linked_alerts(setup: Setup) -> None:
    expires = NOW + timedelta(hours=6)
    first = setup.server.add("/cap/1.xml", Route(body=cap_alert("A-1", "Rainstorm", expires),
                                                 content_type="application/cap+xml"))
    second = setup.server.add("/cap/2.xml", Route(body=cap_alert("A-2", "Flood", expires),
                                                  content_type="application/cap+xml"))
    setup.server.add("/index.atom", Route(body=cap_index(first, second),
                                          content_type="application/atom+xml"))

    result = setup.syncer("/index.atom", kind="cap").sync(NOW)

    assert result.ok is True, result.error
    assert sorted(notice.alert.identifier for notice in result.notices
                  if notice.alert is not None) == ["A-1", "A-2"]
    assert len(setup.server.hits("/cap/1.xml")) == 1


def test_expired_alert_is_hidden_by_selection(setup: Setup, default_bundle_path: Path) -> None:
    expires = NOW + timedelta(hours=1)
    link = setup.server.add("/cap/1.xml", Route(body=cap_alert("A-1", "Rainstorm", expires)))
    setup.server.add("/index.atom", Route(body=cap_index(link), etag='"i1"'))
    syncer = setup.syncer("/index.atom")
    assert len(syncer.sync(NOW).notices) == 1
    bundle = replace(load_bundle(default_bundle_path), published_at=NOW - timedelta(days=1))

    later = syncer.sync(NOW + timedelta(hours=2))
    before = select_content(bundle, NOW, None, "en", extra_notices=later.notices)
    after = select_content(bundle, NOW + timedelta(hours=2), None, "en",
                           extra_notices=later.notices)

    assert later.ok is True
    assert later.not_modified is True
    assert [notice.validity.valid_until for notice in later.notices] == [expires]
    assert "Rainstorm" in [notice.title.get("en") for notice in before.notices]
    assert "Rainstorm" not in [notice.title.get("en") for notice in after.notices]


def test_cap_index_link_outside_allowlist_fails_sync(setup: Setup) -> None:
    expires = NOW + timedelta(hours=6)
    good = setup.server.add("/cap/1.xml", Route(body=cap_alert("A-1", "Rainstorm", expires)))
    setup.server.add("/index.atom", Route(body=cap_index(good)))
    syncer = setup.syncer("/index.atom")
    first = syncer.sync(NOW)
    setup.server.add("/index.atom",
                     Route(body=cap_index(good, "https://elsewhere.example.org/cap/2.xml")))

    result = syncer.sync(NOW)

    assert result.ok is False
    assert result.notices == first.notices
    assert result.error is not None
    assert "elsewhere.example.org is not in sync.allowed_hosts" in result.error


def test_cap_index_with_broken_link_keeps_previous(setup: Setup) -> None:
    expires = NOW + timedelta(hours=6)
    good = setup.server.add("/cap/1.xml", Route(body=cap_alert("A-1", "Rainstorm", expires)))
    setup.server.add("/index.atom", Route(body=cap_index(good)))
    syncer = setup.syncer("/index.atom")
    first = syncer.sync(NOW)
    setup.server.add("/index.atom", Route(body=cap_index(good, setup.server.url("/cap/gone.xml"))))

    result = syncer.sync(NOW)

    assert result.ok is False
    assert result.notices == first.notices
    assert result.error is not None
    assert "/cap/gone.xml" in result.error
    assert "HTTP status 404" in result.error


def test_cap_index_alerts_share_byte_budget(setup: Setup) -> None:
    expires = NOW + timedelta(hours=6)
    padding = "x" * 20_000
    links = [setup.server.add(f"/cap/{index}.xml",
                              Route(body=cap_alert(f"A-{index}", padding, expires)))
             for index in range(4)]
    setup.server.add("/index.atom", Route(body=cap_index(*links)))

    result = setup.syncer("/index.atom").sync(NOW)

    assert result.ok is False
    assert result.error is not None
    assert "limit" in result.error
    assert len(setup.server.hits("/cap/3.xml")) <= 1


def test_cap_index_with_unreachable_link_fails(setup: Setup) -> None:
    setup.server.add("/index.atom", Route(body=cap_index(closed_port_url("/cap/1.xml"))))

    result = setup.syncer("/index.atom").sync(NOW)

    assert result.ok is False
    assert result.error is not None
    assert "connection failed" in result.error


def _response(body: bytes, content_type: str | None = "application/xml") -> Response:
    headers = {} if content_type is None else {"content-type": content_type}
    return Response(url="https://feeds.example.org/feed.xml", status=200, body=body,
                    headers=headers, etag=None, last_modified=None, not_modified=False)


@pytest.mark.parametrize(("body", "content_type"), [
    (rss("a"), "application/rss+xml; charset=utf-8"),
    (rss("a"), "text/xml"),
    (rss("a"), "application/octet-stream"),
    (rss("a"), None),
    (b"\xef\xbb\xbf" + rss("a"), "application/xml"),
    (b"<!-- generated --><?xml-stylesheet href='a.xsl'?>" + rss("a"), "text/plain"),
    ('<?xml version="1.0" encoding="utf-16"?><rss/>'.encode("utf-16"), "application/xml"),
])
def test_feed_response_check_accepts_xml(body: bytes, content_type: str | None) -> None:
    check_feed_response(_response(body, content_type))


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"", "application/xml", "empty body"),
    (b"\xef\xbb\xbf  \n", "application/xml", "empty body"),
    (b"<html><body>Hotel Wi-Fi</body></html>", "text/html", "HTML page"),
    (b"<?xml version='1.0'?><!DOCTYPE html><html/>", "application/xml", "HTML page"),
    (b"<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'/>", None, "HTML page"),
    (rss("a"), "application/xhtml+xml", "HTML page"),
    (rss("a"), "application/json", "content type application/json is not XML"),
    (rss("a"), "image/gif", "content type image/gif is not XML"),
    (b"Service unavailable", "text/plain", "body is not XML"),
])
def test_feed_response_check_rejects(body: bytes, content_type: str | None,
                                     message: str) -> None:
    with pytest.raises(FeedResponseError) as caught:
        check_feed_response(_response(body, content_type))

    assert message in str(caught.value)
    assert "https://feeds.example.org/feed.xml" in str(caught.value)
