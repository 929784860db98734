"""Tests for CAP 1.1/1.2 alert documents turned into notices."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from kiosk.content.model import Severity
from kiosk.feeds import FeedError, ParsedFeed, parse_feed
from kiosk.feeds.cap import alert_notice_id
from kiosk.i18n.languages import resolve_text

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CAP_1_2 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_1_1 = "urn:oasis:names:tc:emergency:cap:1.1"


def parse_fixture(name: str, feed_id: str = "health-feed") -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), feed_id=feed_id,
                      source_url=f"https://alerts.example.org/{name}")


def info_block(*, language: str | None = "en-US", severity: str = "Moderate",
               urgency: str = "Expected", certainty: str = "Likely",
               headline: str | None = "Test headline", description: str = "Test description",
               extra: str = "") -> str:
    parts = ["<info>"]
    if language is not None:
        parts.append(f"<language>{language}</language>")
    parts.append("<category>Safety</category><event>Test event</event>")
    parts.append(f"<urgency>{urgency}</urgency><severity>{severity}</severity>"
                 f"<certainty>{certainty}</certainty>")
    if headline is not None:
        parts.append(f"<headline>{headline}</headline>")
    parts.append(f"<description>{description}</description>{extra}</info>")
    return "".join(parts)


def cap_document(*, identifier: str = "TEST-1", sender: str = "test@alerts.example.org",
                 sent: str = "2024-01-01T00:00:00+00:00", status: str = "Actual",
                 msg_type: str = "Alert", scope: str | None = "Public",
                 references: str | None = None, infos: tuple[str, ...] | None = None,
                 namespace: str = CAP_1_2, prefix: str = "") -> bytes:
    parts = [f"<identifier>{identifier}</identifier>", f"<sender>{sender}</sender>",
             f"<sent>{sent}</sent>", f"<status>{status}</status>",
             f"<msgType>{msg_type}</msgType>"]
    if scope is not None:
        parts.append(f"<scope>{scope}</scope>")
    if references is not None:
        parts.append(f"<references>{references}</references>")
    parts.extend(infos if infos is not None else (info_block(),))
    body = f"<alert>{''.join(parts)}</alert>"
    if prefix:
        body = re.sub(r"<(/?)(\w+)", rf"<\1{prefix}:\2", body)
        body = body.replace(f"<{prefix}:alert>",
                            f'<{prefix}:alert xmlns:{prefix}="{namespace}">', 1)
    else:
        body = body.replace("<alert>", f'<alert xmlns="{namespace}">', 1)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()


def parse_cap(data: bytes) -> ParsedFeed:
    return parse_feed(data, feed_id="test-feed", source_url="https://alerts.example.org/cap")


def test_multilingual_alert_gives_one_notice() -> None:
    parsed = parse_fixture("cap12_multilingual_station_measles.xml")

    assert parsed.kind == "cap"
    assert parsed.linked_alerts == ()
    assert len(parsed.notices) == 1
    notice = parsed.notices[0]
    assert set(notice.title) == {"en", "zh_Hans", "zh_Hant", "ja", "ko", "ru", "ar", "fr"}
    assert notice.origin == "health-feed"


def test_traditional_chinese_passenger_gets_taiwan_block() -> None:
    notice = parse_fixture("cap12_multilingual_station_measles.xml").notices[0]

    title = resolve_text(notice.title, "zh_Hant")
    assert title.text == "中央車站發現麻疹暴露"
    assert not title.is_fallback
    assert resolve_text(notice.body, "zh_Hant").text == "一名麻疹患者於3月8日經過東大廳。"
    assert resolve_text(notice.issuer, "zh_Hant").text == "市衛生局"
    assert notice.title["zh_Hans"] == "中央车站发现麻疹暴露"


@pytest.mark.parametrize(("language", "title"), [
    ("en", "Measles exposure at Central Station"),
    ("ja", "中央駅で麻しんの曝露"),
    ("ko", "중앙역 홍역 노출"),
    ("ru", "Контакт с корью на Центральном вокзале"),
    ("ar", "التعرض للحصبة في المحطة المركزية"),
    ("fr", "Exposition à la rougeole à la gare centrale"),
])
def test_multilingual_alert_title_per_language(language: str, title: str) -> None:
    notice = parse_fixture("cap12_multilingual_station_measles.xml").notices[0]

    assert notice.title[language] == title


def test_multilingual_alert_fields() -> None:
    notice = parse_fixture("cap12_multilingual_station_measles.xml").notices[0]

    assert notice.severity is Severity.WARNING
    assert notice.instruction["en"].startswith("Watch for fever and rash for 14 days.")
    assert "ja" not in notice.instruction
    assert notice.issuer["en"] == "City Health Bureau"
    # zh-CN comes first in the kiosk's language order, so its link wins.
    assert notice.source_url == "https://health.example.org/zh-hans/measles"
    assert notice.published_at == datetime(2024, 3, 10, 1, 0, tzinfo=UTC)
    assert notice.validity.valid_from == datetime(2024, 3, 10, 1, 0, tzinfo=UTC)
    assert notice.validity.valid_until == datetime(2024, 3, 24, 1, 0, tzinfo=UTC)
    assert notice.alert is not None
    assert notice.alert.identifier == "HEALTH-2024-0042"
    assert notice.alert.sender == "alerts@health.example.org"
    assert notice.alert.event["zh_Hans"] == "麻疹暴露"
    assert notice.alert.area["zh_Hant"] == "中央車站東大廳"
    assert notice.alert.severity == "Moderate"
    assert notice.alert.urgency == "Expected"
    assert notice.alert.certainty == "Likely"
    assert notice.alert.msg_type == "Alert"
    assert notice.alert.references == ()


def test_notice_id_comes_from_sender_and_identifier() -> None:
    first = parse_fixture("cap12_multilingual_station_measles.xml", feed_id="feed-a").notices[0]
    second = parse_fixture("cap12_multilingual_station_measles.xml", feed_id="feed-b").notices[0]

    assert first.id == second.id
    assert first.id == alert_notice_id("alerts@health.example.org", "HEALTH-2024-0042")
    assert first.id != alert_notice_id("other@health.example.org", "HEALTH-2024-0042")
    assert first.origin == "feed-a"
    assert second.origin == "feed-b"


def test_info_without_language_is_english() -> None:
    notice = parse_fixture("cap12_missing_offset.xml").notices[0]

    assert set(notice.title) == {"en"}
    assert notice.title["en"] == "Fog on the coast road"


def test_time_offsets_are_normalised_to_utc() -> None:
    notice = parse_fixture("cap12_time_offsets.xml").notices[0]

    assert notice.published_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert notice.validity.valid_from == datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    assert notice.validity.valid_until == datetime(2024, 5, 2, 0, 0, tzinfo=UTC)
    assert notice.alert is not None
    assert notice.alert.sent == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


def test_missing_offset_is_utc_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.feeds"):
        notice = parse_fixture("cap12_missing_offset.xml").notices[0]

    assert notice.validity.valid_until == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    warnings = [record.getMessage() for record in caplog.records
                if record.levelno == logging.WARNING]
    assert any("NO-OFFSET-1" in message and "expires" in message for message in warnings)


def test_missing_effective_starts_at_sent() -> None:
    notice = parse_fixture("cap12_missing_offset.xml").notices[0]

    assert notice.validity.valid_from == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


def test_restricted_scope_gives_no_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="kiosk.feeds"):
        parsed = parse_fixture("cap12_restricted_scope.xml")

    assert parsed.kind == "cap"
    assert parsed.notices == ()
    messages = [record.getMessage() for record in caplog.records
                if record.levelno == logging.INFO and "RESTRICTED-1" in record.getMessage()]
    assert messages
    assert "scope Restricted" in messages[0]


def test_exercise_status_gives_no_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="kiosk.feeds"):
        parsed = parse_fixture("cap12_exercise_status.xml")

    assert parsed.notices == ()
    messages = [record.getMessage() for record in caplog.records
                if record.levelno == logging.INFO and "EXERCISE-1" in record.getMessage()]
    assert messages
    assert "status Exercise" in messages[0]


@pytest.mark.parametrize("status", ["Test", "System", "Draft"])
def test_non_actual_status_gives_no_notice(status: str) -> None:
    assert parse_cap(cap_document(status=status)).notices == ()


@pytest.mark.parametrize("scope", ["Restricted", "Private"])
def test_non_public_scope_gives_no_notice(scope: str) -> None:
    assert parse_cap(cap_document(scope=scope)).notices == ()


def test_missing_scope_is_feed_error() -> None:
    with pytest.raises(FeedError, match=r"missing required element <scope>"):
        parse_cap(cap_document(scope=None))


@pytest.mark.parametrize("element", ["identifier", "sender", "sent", "status", "msgType"])
def test_missing_required_element_is_feed_error(element: str) -> None:
    document = cap_document().decode()
    document = re.sub(rf"<{element}>[^<]*</{element}>", "", document)

    with pytest.raises(FeedError, match=rf"missing required element <{element}>"):
        parse_cap(document.encode())


@pytest.mark.parametrize(("cap_severity", "expected"), [
    ("Extreme", Severity.URGENT),
    ("Severe", Severity.URGENT),
    ("Moderate", Severity.WARNING),
    ("Minor", Severity.INFO),
    ("Unknown", Severity.INFO),
])
def test_cap_severity_maps_to_notice_severity(cap_severity: str, expected: Severity) -> None:
    notice = parse_cap(cap_document(infos=(info_block(severity=cap_severity),))).notices[0]

    assert notice.severity is expected
    assert notice.alert is not None
    assert notice.alert.severity == cap_severity


def test_most_severe_info_block_sets_severity() -> None:
    infos = (info_block(language="en-US", severity="Minor", urgency="Future"),
             info_block(language="zh-CN", severity="Extreme", urgency="Immediate",
                        certainty="Observed"))
    notice = parse_cap(cap_document(infos=infos)).notices[0]

    assert notice.severity is Severity.URGENT
    assert notice.alert is not None
    assert notice.alert.severity == "Extreme"
    assert notice.alert.urgency == "Immediate"
    assert notice.alert.certainty == "Observed"
    assert notice.alert.takes_over_screen


def test_code_values_are_matched_case_insensitively() -> None:
    infos = (info_block(severity="severe", urgency="IMMEDIATE", certainty="Very Likely"),)
    notice = parse_cap(cap_document(status="actual", msg_type="alert", scope="public",
                                    infos=infos)).notices[0]

    assert notice.alert is not None
    assert notice.alert.severity == "Severe"
    assert notice.alert.urgency == "Immediate"
    assert notice.alert.certainty == "Likely"
    assert notice.alert.msg_type == "Alert"


def test_unknown_message_type_is_feed_error() -> None:
    with pytest.raises(FeedError, match=r"unknown <msgType> 'Rumour'"):
        parse_cap(cap_document(msg_type="Rumour"))


def test_invalid_sent_time_is_feed_error() -> None:
    with pytest.raises(FeedError, match=r"<sent> value 'yesterday'"):
        parse_cap(cap_document(sent="yesterday"))


@pytest.mark.parametrize("sent", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_out_of_range_time_is_feed_error(sent: str) -> None:
    with pytest.raises(FeedError, match=r"<sent> value .* out of the supported range"):
        parse_cap(cap_document(sent=sent))


def test_invalid_expires_names_alert() -> None:
    infos = (info_block(extra="<expires>2024-13-45T99:00:00+00:00</expires>"),)

    with pytest.raises(FeedError, match=r"TEST-1.*<expires>"):
        parse_cap(cap_document(infos=infos))


def test_latest_expiry_across_info_blocks() -> None:
    infos = (info_block(language="en", extra="<expires>2024-01-02T00:00:00+00:00</expires>"),
             info_block(language="ja", extra="<expires>2024-01-03T00:00:00+00:00</expires>"))
    notice = parse_cap(cap_document(infos=infos)).notices[0]

    assert notice.validity.valid_until == datetime(2024, 1, 3, tzinfo=UTC)


def test_non_http_web_link_is_dropped() -> None:
    infos = (info_block(extra="<web>javascript:alert(1)</web>"),)
    notice = parse_cap(cap_document(infos=infos)).notices[0]

    assert notice.source_url is None


def test_namespace_prefixed_document_parses() -> None:
    parsed = parse_cap(cap_document(prefix="cap"))

    assert len(parsed.notices) == 1
    assert parsed.notices[0].title["en"] == "Test headline"


def test_cap_1_1_document_parses() -> None:
    parsed = parse_cap(cap_document(namespace=CAP_1_1))

    assert len(parsed.notices) == 1


def test_cap_1_0_is_unsupported() -> None:
    with pytest.raises(FeedError, match=r"unsupported format: CAP 1\.0"):
        parse_cap(cap_document(namespace="http://www.incident.com/cap/1.0"))


def test_alert_without_cap_namespace_is_unsupported() -> None:
    document = cap_document().replace(f' xmlns="{CAP_1_2}"'.encode(), b"")

    with pytest.raises(FeedError, match="unsupported format"):
        parse_cap(document)


def test_identical_info_blocks_are_not_repeated() -> None:
    notice = parse_cap(cap_document(infos=(info_block(), info_block()))).notices[0]

    assert notice.body["en"] == "Test description"


def test_escaped_html_in_description_becomes_lines() -> None:
    description = escape("Road: closed<br />Detour: <b>Route 9</b><script>steal()</script>")
    notice = parse_cap(cap_document(infos=(info_block(description=description),))).notices[0]

    assert notice.body["en"] == "Road: closed\nDetour: Route 9"


def test_text_without_tags_keeps_angle_brackets() -> None:
    description = escape("Wind speed < 40 km/h & gusts > 60 km/h")
    notice = parse_cap(cap_document(infos=(info_block(description=description),))).notices[0]

    assert notice.body["en"] == "Wind speed < 40 km/h & gusts > 60 km/h"


def test_control_characters_are_stripped() -> None:
    infos = (info_block(headline="Heat&#x9B; warning&#x80;",
                        description="Line one\r\nLine two&#x9F;\n\tindented"),)
    notice = parse_cap(cap_document(infos=infos)).notices[0]

    assert notice.title["en"] == "Heat warning"
    assert notice.body["en"] == "Line one\nLine two\n\tindented"


def test_headline_missing_uses_event() -> None:
    notice = parse_cap(cap_document(infos=(info_block(headline=None),))).notices[0]

    assert notice.title["en"] == "Test event"


def test_sender_is_issuer_without_sender_name() -> None:
    notice = parse_cap(cap_document()).notices[0]

    assert notice.issuer == {"en": "test@alerts.example.org"}


def test_cancel_without_info_gives_cancel_notice() -> None:
    references = "test@alerts.example.org,TEST-0,2023-12-31T00:00:00+00:00"
    parsed = parse_cap(cap_document(msg_type="Cancel", references=references, infos=()))

    assert len(parsed.notices) == 1
    notice = parsed.notices[0]
    assert notice.alert is not None
    assert notice.alert.msg_type == "Cancel"
    assert notice.alert.references == (
        ("test@alerts.example.org", "TEST-0", "2023-12-31T00:00:00+00:00"),)
    assert notice.title == {}


def test_alert_without_info_gives_no_notice() -> None:
    assert parse_cap(cap_document(infos=())).notices == ()


@pytest.mark.parametrize("msg_type", ["Ack", "Error"])
def test_ack_and_error_give_no_notice(msg_type: str) -> None:
    assert parse_cap(cap_document(msg_type=msg_type)).notices == ()


def test_malformed_reference_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    references = ("a@example.org,ID-1,2024-01-01T00:00:00+00:00 not-a-triple "
                  "a@example.org,ID-1,2024-01-01T00:00:00+00:00")
    with caplog.at_level(logging.WARNING, logger="kiosk.feeds"):
        notice = parse_cap(cap_document(msg_type="Update", references=references)).notices[0]

    assert notice.alert is not None
    assert notice.alert.references == (("a@example.org", "ID-1", "2024-01-01T00:00:00+00:00"),)
    assert any("not-a-triple" in record.getMessage() for record in caplog.records)


def test_too_many_info_blocks_is_feed_error() -> None:
    with pytest.raises(FeedError, match=r"101 <info> blocks"):
        parse_cap(cap_document(infos=tuple(info_block() for _ in range(101))))
