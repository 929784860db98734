"""Tests for character encodings: GBK family, mislabelled feeds, UTF-16 and byte order marks."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest

from kiosk.feeds import FeedError, ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
SIMPLIFIED_TITLES = ["春运期间旅客健康提示", "发热门诊开放时间调整"]
SIMPLIFIED_BODY = "自4月1日起，机场发热门诊24小时开放。请佩戴口罩。"


def parse_bytes(data: bytes, content_type: str | None = None) -> ParsedFeed:
    return parse_feed(data, feed_id="health-cn", source_url="https://health.example.cn/rss",
                      content_type=content_type)


def parse_fixture(name: str, content_type: str | None = None) -> ParsedFeed:
    return parse_bytes((FIXTURES / name).read_bytes(), content_type)


def titles(parsed: ParsedFeed) -> list[str]:
    return [notice.title["zh_Hans"] for notice in parsed.notices]


def test_gbk_declared_feed_is_correct_chinese() -> None:
    parsed = parse_fixture("rss_gbk_declared_gbk.xml")

    assert titles(parsed) == SIMPLIFIED_TITLES
    assert parsed.notices[1].body == {"zh_Hans": SIMPLIFIED_BODY}
    assert parsed.notices[0].issuer == {"zh_Hans": "卫生健康委员会通知"}


def test_gb2312_label_reads_gbk_characters() -> None:
    parsed = parse_fixture("rss_gb2312_declared_gbk_characters.xml")

    assert sorted(titles(parsed)) == sorted(["朱镕基路站临时关闭", "王堃医生健康讲座"])


def test_gb18030_four_byte_character() -> None:
    parsed = parse_fixture("rss_gb18030_declared.xml")

    assert titles(parsed) == ["罕用字㐀测试"]


def test_utf8_bytes_labelled_gbk_are_read_as_utf8(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.feeds"):
        parsed = parse_fixture("rss_utf8_bytes_declared_gbk.xml")

    assert titles(parsed) == SIMPLIFIED_TITLES
    assert any("valid UTF-8" in record.getMessage() for record in caplog.records)


def test_gbk_bytes_labelled_utf8_are_rejected() -> None:
    with pytest.raises(FeedError, match=r"'UTF-8' in the XML declaration.*does not match"):
        parse_fixture("rss_gbk_bytes_declared_utf8.xml")


def test_gbk_bytes_without_label_are_rejected() -> None:
    with pytest.raises(FeedError, match=r"declares no encoding, so it must be UTF-8"):
        parse_fixture("rss_gbk_no_declaration.xml")


def test_big5_bytes_labelled_gb2312_are_rejected() -> None:
    with pytest.raises(FeedError, match=r"probably in another encoding, such as Big5"):
        parse_fixture("rss_big5_bytes_declared_gb2312.xml")


def test_header_charset_labels_unlabelled_gbk() -> None:
    parsed = parse_fixture("rss_gbk_no_declaration.xml", content_type="text/xml; charset=GBK")

    assert titles(parsed) == SIMPLIFIED_TITLES


def test_server_default_latin1_does_not_override_gbk() -> None:
    parsed = parse_fixture("rss_gbk_declared_gbk.xml",
                           content_type="text/xml; charset=ISO-8859-1")

    assert titles(parsed) == SIMPLIFIED_TITLES


def test_utf8_header_with_gbk_declaration_and_gbk_bytes() -> None:
    parsed = parse_fixture("rss_gbk_declared_gbk.xml",
                           content_type="application/rss+xml; charset=utf-8")

    assert titles(parsed) == SIMPLIFIED_TITLES


def test_unknown_encoding_label_with_utf8_bytes() -> None:
    data = (FIXTURES / "rss_utf8_bytes_declared_gbk.xml").read_bytes().replace(
        b'encoding="GBK"', b'encoding="x-made-up"')

    assert titles(parse_bytes(data)) == SIMPLIFIED_TITLES


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-8-sig"])
def test_unicode_encodings_with_and_without_bom(encoding: str) -> None:
    text = (FIXTURES / "rss_utf8_bytes_declared_gbk.xml").read_text(encoding="utf-8")
    label = encoding.removesuffix("-sig")
    data = text.replace('encoding="GBK"', f'encoding="{label}"').encode(encoding)

    assert titles(parse_bytes(data)) == SIMPLIFIED_TITLES


def test_bom_decides_over_declaration() -> None:
    text = (FIXTURES / "rss_utf8_bytes_declared_gbk.xml").read_text(encoding="utf-8")
    data = codecs.BOM_UTF8 + text.encode("utf-8")

    assert titles(parse_bytes(data, content_type="text/xml; charset=gbk")) == SIMPLIFIED_TITLES


def test_windows_1252_feed() -> None:
    data = ('<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
            "<title>Gare</title><language>fr</language><item><title>Quai fermé – travaux"
            "</title><guid>1</guid></item></channel></rss>").encode("cp1252")

    assert parse_bytes(data).notices[0].title == {"fr": "Quai fermé – travaux"}


def test_latin1_label_reads_windows_1252_quotes() -> None:
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
            "<title>t</title><item><title>“Quoted” café</title><guid>1</guid></item>"
            "</channel></rss>").encode("cp1252")

    assert parse_bytes(data).notices[0].title == {"en": "“Quoted” café"}


def test_shift_jis_feed() -> None:
    data = ('<?xml version="1.0" encoding="Shift_JIS"?><rss version="2.0"><channel>'
            "<title>駅</title><language>ja</language><item><title>運休のお知らせ</title>"
            "<guid>1</guid></item></channel></rss>").encode("shift_jis")

    assert parse_bytes(data).notices[0].title == {"ja": "運休のお知らせ"}


def test_no_replacement_characters_in_chinese_fixtures() -> None:
    for name in ("rss_gbk_declared_gbk.xml", "rss_gb2312_declared_gbk_characters.xml",
                 "rss_gb18030_declared.xml", "rss_utf8_bytes_declared_gbk.xml"):
        for notice in parse_fixture(name).notices:
            text = "".join([*notice.title.values(), *notice.body.values()])
            assert "\ufffd" not in text, name
            assert any("\u4e00" <= character <= "\u9fff" for character in text), name
