"""Tests for hostile, malformed, truncated, oversized and non-feed input."""

from __future__ import annotations

import builtins
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.feeds import FeedError, ParsedFeed, parse_feed
from kiosk.feeds.xmlsafe import DEFAULT_MAX_BYTES, MAX_ELEMENTS

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.iterdir() if path.is_file())


def parse_bytes(data: bytes, content_type: str | None = None, *,
                max_bytes: int = DEFAULT_MAX_BYTES, max_items: int = 500) -> ParsedFeed:
    return parse_feed(data, feed_id="test", source_url="https://feeds.example.org/feed",
                      content_type=content_type, max_bytes=max_bytes, max_items=max_items)


def parse_fixture(name: str) -> ParsedFeed:
    return parse_bytes((FIXTURES / name).read_bytes())


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """HTTP handler that records the path of every GET and returns an entity declaration."""

    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b'<!ENTITY leak "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """Start an HTTP server on 127.0.0.1 and yield its base URL and the paths requested."""
    requests: list[str] = []
    handler = type("Handler", (_RecordingHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_file_or_network_access(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any attempt to open a file or a network connection."""
    attempts: list[str] = []

    def refuse_open(*args: object, **kwargs: object) -> None:
        attempts.append(f"open {args[0]!r}")
        raise PermissionError("file access during feed parsing")

    def refuse_connect(self: socket.socket, address: object) -> None:
        attempts.append(f"connect {address!r}")
        raise PermissionError("network access during feed parsing")

    monkeypatch.setattr(builtins, "open", refuse_open)
    monkeypatch.setattr(os, "open", refuse_open)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    return attempts


def test_billion_laughs_is_rejected_quickly() -> None:
    started = time.monotonic()

    with pytest.raises(FeedError, match=r"declares the entity 'lol'"):
        parse_fixture("attack_billion_laughs.xml")

    assert time.monotonic() - started < 2.0


def test_external_entity_is_rejected(no_file_or_network_access: list[str]) -> None:
    data = (FIXTURES / "attack_external_entity.xml").read_bytes()

    with pytest.raises(FeedError, match=r"declares the entity 'secret'"):
        parse_bytes(data)

    assert no_file_or_network_access == []


def test_external_dtd_is_rejected(no_file_or_network_access: list[str]) -> None:
    data = (FIXTURES / "attack_external_dtd.xml").read_bytes()

    with pytest.raises(FeedError, match=r"external DTD 'http://127.0.0.1:9/evil.dtd'"):
        parse_bytes(data)

    assert no_file_or_network_access == []


def test_parameter_entity_is_rejected() -> None:
    with pytest.raises(FeedError, match=r"declares the entity 'remote'"):
        parse_fixture("attack_parameter_entity.xml")


@pytest.mark.parametrize("template", [
    '<!DOCTYPE rss SYSTEM "{url}/dtd">{rss}',
    '<!DOCTYPE rss PUBLIC "-//Evil//DTD//EN" "{url}/public-dtd">{rss}',
    '<!DOCTYPE rss [<!ENTITY ext SYSTEM "{url}/entity">]>{rss_with_entity}',
    '<!DOCTYPE rss [<!ENTITY % pe SYSTEM "{url}/parameter"> %pe;]>{rss}',
])
def test_hostile_references_never_reach_server(
        template: str, loopback_server: tuple[str, list[str]]) -> None:
    url, requests = loopback_server
    rss = ("<rss version='2.0'><channel><title>t</title>"
           "<item><title>{title}</title></item></channel></rss>")
    document = template.format(url=url, rss=rss.format(title="safe"),
                               rss_with_entity=rss.format(title="&ext;"))

    with pytest.raises(FeedError):
        parse_bytes(f'<?xml version="1.0"?>{document}'.encode())

    assert requests == []


def test_xinclude_and_stylesheet_are_not_followed(loopback_server: tuple[str, list[str]]) -> None:
    url, requests = loopback_server
    document = (f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{url}/xsl"?>'
                '<rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude"><channel>'
                f'<title>t</title><item><title>Item</title><xi:include href="{url}/include"/>'
                "</item></channel></rss>")

    parsed = parse_bytes(document.encode())

    assert [notice.title["en"] for notice in parsed.notices] == ["Item"]
    assert requests == []


def test_security_sample_style_attack_is_rejected(
        loopback_server: tuple[str, list[str]]) -> None:
    url, requests = loopback_server
    document = f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE alert [
  <!ENTITY xxe SYSTEM "{url}/payload">
  <!ENTITY % file SYSTEM "file:///etc/passwd">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>X</identifier>
<sender>s</sender><sent>2003-06-17T14:57:00-07:00</sent><status>Actual</status>
<msgType>Alert</msgType><scope>Public</scope>
<info><event>E</event><urgency>Immediate</urgency><severity>Severe</severity>
<certainty>Observed</certainty><headline>H&xxe;</headline></info></alert>"""

    with pytest.raises(FeedError, match="entity"):
        parse_bytes(document.encode())

    assert requests == []


def test_many_ampersand_references_parse() -> None:
    description = "Fish &amp; chips, " * 20_000
    data = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Menu &amp; more</title>'
            f"<item><title>Lunch &amp; dinner</title><description>{description}"
            "</description><guid>1</guid></item></channel></rss>").encode()

    notice = parse_bytes(data).notices[0]

    assert notice.title["en"] == "Lunch & dinner"
    assert notice.body["en"].count("&") == 20_000
    assert notice.issuer["en"] == "Menu & more"


def test_undefined_entity_is_feed_error() -> None:
    data = b"<rss version='2.0'><channel><title>a&nbsp;b</title></channel></rss>"

    with pytest.raises(FeedError, match=r"undefined entity at line 1, column \d+"):
        parse_bytes(data)


@pytest.mark.parametrize("name", ["cap12_multilingual_station_measles.xml",
                                  "rss_html_summaries_and_dates.xml", "atom_languages.xml"])
def test_truncated_documents_are_rejected(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    end = len(data.rstrip())
    # Cutting inside the last end tag keeps a prefix that is never well-formed.
    for length in [*range(1, end - 2, max(1, end // 60)), end - 2]:
        with pytest.raises(FeedError):
            parse_bytes(data[:length])


def test_truncation_is_named_in_message() -> None:
    data = (FIXTURES / "cap12_multilingual_station_measles.xml").read_bytes()

    with pytest.raises(FeedError, match=r"truncated"):
        parse_bytes(data[:2000])


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_empty_document_is_rejected(data: bytes) -> None:
    with pytest.raises(FeedError, match="document is empty"):
        parse_bytes(data)


def test_document_over_size_limit_is_rejected() -> None:
    data = (FIXTURES / "rss_html_summaries_and_dates.xml").read_bytes()

    with pytest.raises(FeedError, match=rf"{len(data)} bytes, more than the limit of 100 bytes"):
        parse_bytes(data, max_bytes=100)


def test_default_size_limit_is_five_mebibytes() -> None:
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
    tail = b"<item><title>Last</title><guid>1</guid></item></channel></rss>"
    padding = DEFAULT_MAX_BYTES - len(head) - len(tail) - len(b"<!---->")
    at_limit = head + b"<!--" + b"x" * padding + b"-->" + tail
    assert len(at_limit) == DEFAULT_MAX_BYTES == 5 * 1024 * 1024

    assert [notice.title["en"] for notice in parse_bytes(at_limit).notices] == ["Last"]
    with pytest.raises(FeedError, match="more than the limit of 5242880 bytes"):
        parse_bytes(at_limit + b" ")


def test_too_many_elements_is_rejected() -> None:
    data = (b"<rss version='2.0'><channel><title>t</title>" + b"<x/>" * MAX_ELEMENTS
            + b"</channel></rss>")

    with pytest.raises(FeedError, match=rf"more than {MAX_ELEMENTS} elements"):
        parse_bytes(data)


def test_captive_portal_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed: the server returned an HTML page"):
        parse_fixture("captive_portal.html")


def test_html_labelled_as_rss_is_rejected() -> None:
    data = (FIXTURES / "captive_portal.html").read_bytes()

    with pytest.raises(FeedError, match="not a feed"):
        parse_bytes(b"<!-- portal -->\n" + data, content_type="application/rss+xml")


def test_xhtml_page_is_not_a_feed() -> None:
    data = (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
            b"<body><p>Sign in</p></body></html>")

    with pytest.raises(FeedError, match="not a feed"):
        parse_bytes(data)


def test_broken_page_served_as_html_mentions_html() -> None:
    with pytest.raises(FeedError, match="labelled it as an HTML page"):
        parse_bytes(b"<div><p>Login required</div>", content_type="text/html; charset=utf-8")


@pytest.mark.parametrize(("data", "content_type"), [
    (b'{"entity": []}', "application/json"),
    (b"\x0a\x0d\x0a\x032.0\x10\x00\x18\xfc\xc5\x9a\xa0\x06", "application/x-protobuf"),
    (b"header {\n  gtfs_realtime_version: \"2.0\"\n}\n", None),
    (b"Service unavailable", "text/plain"),
])
def test_other_formats_are_unsupported(data: bytes, content_type: str | None) -> None:
    with pytest.raises(FeedError, match="unsupported format"):
        parse_bytes(data, content_type=content_type)


def test_unknown_xml_root_is_unsupported() -> None:
    data = b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'

    with pytest.raises(FeedError, match=r"unsupported format: root element <kml>"):
        parse_bytes(data)


def test_error_message_names_feed_and_source() -> None:
    with pytest.raises(FeedError, match=r"^feed test \(https://feeds.example.org/feed\): "):
        parse_bytes(b"")


def test_invalid_limits_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="limits must be positive"):
        parse_bytes(b"<rss/>", max_items=0)


def _parse_or_feed_error(data: bytes) -> None:
    try:
        result = parse_bytes(data)
    except FeedError:
        return
    assert isinstance(result, ParsedFeed)
    assert result.kind in {"cap", "cap-index", "rss", "atom"}


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2048))
def test_random_bytes_give_feed_or_error(data: bytes) -> None:
    _parse_or_feed_error(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FIXTURE_NAMES), edits=st.lists(
    st.tuples(st.floats(min_value=0, max_value=1), st.binary(max_size=8)), max_size=4))
def test_mutated_fixtures_give_feed_or_error(
        name: str, edits: list[tuple[float, bytes]]) -> None:
    data = bytearray((FIXTURES / name).read_bytes())
    for position, replacement in edits:
        index = int(position * len(data))
        data[index:index + len(replacement)] = replacement
    _parse_or_feed_error(bytes(data))


@settings(max_examples=200, deadline=None)
@given(headline=st.text(max_size=200), sent=st.text(max_size=40),
       language=st.text(max_size=20))
def test_random_cap_fields_give_feed_or_error(
        headline: str, sent: str, language: str) -> None:
    def xml_text(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "]]&gt;")

    document = ('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>H-1'
                f"</identifier><sender>s@example.org</sender><sent>{xml_text(sent)}</sent>"
                "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info>"
                f"<language>{xml_text(language)}</language><event>E</event><urgency>Future"
                "</urgency><severity>Minor</severity><certainty>Likely</certainty>"
                f"<headline>{xml_text(headline)}</headline></info></alert>")
    _parse_or_feed_error(document.encode("utf-8", errors="surrogatepass"))
