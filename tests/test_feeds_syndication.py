"""Tests for RSS and Atom feeds, and for Atom/RSS indexes of CAP documents."""

from __future__ import annotations

import logging
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.content.model import Notice, Severity
from kiosk.feeds import ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def parse_fixture(name: str, source_url: str = "https://airport.example.org/health/rss.xml",
                  max_linked_alerts: int = 50) -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), feed_id="airport",
                      source_url=source_url, max_linked_alerts=max_linked_alerts)


def rss(items: str, *, channel_extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Test feed</title><link>https://news.example.org/</link>"
            f"<description>Test</description>{channel_extra}{items}</channel></rss>").encode()


def parse_rss(data: bytes, max_items: int = 500) -> ParsedFeed:
    return parse_feed(data, feed_id="news", source_url="https://news.example.org/rss",
                      max_items=max_items)


def all_text(notice: Notice) -> str:
    return "\n".join([*notice.title.values(), *notice.body.values(), *notice.issuer.values()])


def test_rss_items_become_notices() -> None:
    parsed = parse_fixture("rss_html_summaries_and_dates.xml")

    assert parsed.kind == "rss"
    assert parsed.linked_alerts == ()
    assert len(parsed.notices) == 5
    for notice in parsed.notices:
        assert notice.origin == "airport"
        assert notice.severity is Severity.INFO
        assert notice.alert is None
        assert set(notice.title) == {"en"}
        assert notice.issuer == {"en": "Airport Health Office notices"}


def test_dated_items_first_then_undated_in_document_order() -> None:
    parsed = parse_fixture("rss_html_summaries_and_dates.xml")

    assert [notice.title["en"] for notice in parsed.notices] == [
        "Newest notice & more",
        "Older notice",
        "Undated first item",
        "Item with a bad date",
        "Undated second item",
    ]
    assert parsed.notices[0].published_at == datetime(2024, 4, 3, 1, 30, tzinfo=UTC)
    assert parsed.notices[1].published_at == datetime(2024, 4, 2, 0, 0, tzinfo=UTC)
    assert parsed.notices[3].published_at is None


def test_scripts_and_styles_do_not_leak() -> None:
    parsed = parse_fixture("rss_html_summaries_and_dates.xml")

    for notice in parsed.notices:
        text = all_text(notice)
        assert "stolen" not in text
        assert "color" not in text
        assert "alert(" not in text
        assert "iframe" not in text
        assert "<" not in text.replace("&lt;b&gt;", "")


def test_summary_html_becomes_plain_text() -> None:
    by_title = {notice.title["en"]: notice for notice in
                parse_fixture("rss_html_summaries_and_dates.xml").notices}

    assert by_title["Older notice"].body["en"] == (
        "Masks are recommended in Terminal 2.\n\nAsk staff & volunteers for help.")
    assert by_title["Item with a bad date"].body["en"] == "• Gate A\n• Gate B"


def test_entities_are_decoded_once() -> None:
    newest = parse_fixture("rss_html_summaries_and_dates.xml").notices[0]

    assert newest.body["en"] == "Escaped once: Travellers' guide & map. Literal: &lt;b&gt;"


def test_control_characters_are_removed_from_items() -> None:
    for notice in parse_fixture("rss_html_summaries_and_dates.xml").notices:
        for character in all_text(notice):
            assert character in "\n\t" or unicodedata.category(character) != "Cc", (
                f"control character {character!r} in {notice.title}")


def test_links_are_http_only_and_resolved() -> None:
    links = {notice.title["en"]: notice.source_url for notice in
             parse_fixture("rss_html_summaries_and_dates.xml").notices}

    assert links["Newest notice & more"] == "https://airport.example.org/health/newest"
    assert links["Older notice"] == "https://airport.example.org/health/older"
    assert links["Item with a bad date"] is None
    assert links["Undated second item"] is None


def test_notice_ids_are_stable_and_distinct() -> None:
    first = parse_fixture("rss_html_summaries_and_dates.xml")
    second = parse_fixture("rss_html_summaries_and_dates.xml")

    assert [notice.id for notice in first.notices] == [notice.id for notice in second.notices]
    assert len({notice.id for notice in first.notices}) == 5
    assert all(notice.id.startswith("airport-") for notice in first.notices)


def test_atom_languages_come_from_xml_lang() -> None:
    parsed = parse_fixture("atom_languages.xml", source_url="https://mtr.example.org/health.atom")

    assert parsed.kind == "atom"
    by_id = {notice.source_url: notice for notice in parsed.notices}
    cleaning = by_id["https://mtr.example.org/health/1"]
    assert cleaning.title == {"zh_Hant": "車站消毒安排"}
    assert cleaning.body == {"zh_Hant": "所有車站每日消毒兩次。"}
    assert cleaning.issuer == {"zh_Hant": "港鐵公司"}
    english = by_id["https://mtr.example.org/health/2"]
    assert english.title == {"en": "Station cleaning schedule"}
    assert english.body == {"en": "All stations are cleaned twice a day."}
    assert english.issuer == {"en": "港鐵健康通告"}


def test_rss_language_maps_to_kiosk_key() -> None:
    parsed = parse_rss(rss("<item><title>台鐵公告</title><guid>1</guid></item>",
                           channel_extra="<language>zh-TW</language>"))

    assert parsed.notices[0].title == {"zh_Hant": "台鐵公告"}


def test_rss_without_language_is_english() -> None:
    parsed = parse_rss(rss("<item><title>Notice</title><guid>1</guid></item>"))

    assert set(parsed.notices[0].title) == {"en"}


def test_item_without_title_uses_body_start() -> None:
    parsed = parse_rss(rss("<item><description>Gate 5 is closed today.\nUse gate 6."
                           "</description><guid>1</guid></item>"))

    assert parsed.notices[0].title["en"] == "Gate 5 is closed today. Use gate 6."


def test_empty_item_is_skipped() -> None:
    parsed = parse_rss(rss("<item><guid>1</guid></item><item><title>Real</title></item>"))

    assert [notice.title["en"] for notice in parsed.notices] == ["Real"]


def test_repeated_guid_gives_one_notice() -> None:
    item = "<item><title>Same</title><guid>same-guid</guid></item>"

    assert len(parse_rss(rss(item * 3)).notices) == 1


def test_item_limit_keeps_first_items(caplog: pytest.LogCaptureFixture) -> None:
    items = "".join(f"<item><title>Item {number}</title><guid>{number}</guid></item>"
                    for number in range(10))
    with caplog.at_level(logging.WARNING, logger="kiosk.feeds"):
        parsed = parse_rss(rss(items), max_items=3)

    assert [notice.title["en"] for notice in parsed.notices] == ["Item 0", "Item 1", "Item 2"]
    assert any("10 items" in record.getMessage() for record in caplog.records)


def test_doctype_without_external_id_is_accepted() -> None:
    parsed = parse_fixture("rss_doctype_without_external_id.xml")

    assert parsed.notices[0].title == {"ja": "駅の案内"}


def test_rss_1_0_feed_is_rss() -> None:
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://news.example.org/"><title>RDF</title>
    <link>https://news.example.org/</link><description>d</description></channel>
  <item rdf:about="https://news.example.org/1"><title>First</title>
    <link>https://news.example.org/1</link><description>Body</description></item>
</rdf:RDF>"""

    parsed = parse_rss(data)

    assert parsed.kind == "rss"
    assert parsed.notices[0].title == {"en": "First"}
    assert parsed.notices[0].source_url == "https://news.example.org/1"


def test_atom_index_with_cap_links_lists_documents() -> None:
    parsed = parse_fixture("atom_cap_index_typed_links.xml",
                           source_url="https://alerts.example.org/index.atom")

    assert parsed.kind == "cap-index"
    assert parsed.notices == ()
    assert parsed.linked_alerts == ("https://alerts.example.org/cap/1.xml",
                                    "https://alerts.example.org/cap/2.xml")


def test_cap_index_links_are_bounded() -> None:
    parsed = parse_fixture("atom_cap_index_typed_links.xml",
                           source_url="https://alerts.example.org/index.atom",
                           max_linked_alerts=1)

    assert parsed.linked_alerts == ("https://alerts.example.org/cap/1.xml",)


def test_rss_linking_cap_files_is_index() -> None:
    items = "".join(f"<item><title>Alert {number}</title>"
                    f"<link>https://alerts.example.org/{number}.cap</link></item>"
                    for number in range(3))

    parsed = parse_rss(rss(items))

    assert parsed.kind == "cap-index"
    assert parsed.linked_alerts == tuple(f"https://alerts.example.org/{number}.cap"
                                         for number in range(3))


def test_rss_titled_cap_index_uses_item_links() -> None:
    data = rss("<item><title>Road closed</title>"
               "<link>https://alerts.example.org/GetCapAlert?id=7</link></item>").replace(
        b"<title>Test feed</title>", b"<title>Regional CAP Index</title>")

    parsed = parse_rss(data)

    assert parsed.kind == "cap-index"
    assert parsed.linked_alerts == ("https://alerts.example.org/GetCapAlert?id=7",)


def test_rss_linking_one_xml_file_is_not_index() -> None:
    parsed = parse_rss(rss("<item><title>Report</title>"
                           "<link>https://news.example.org/report.xml</link></item>"))

    assert parsed.kind == "rss"
    assert parsed.linked_alerts == ()
