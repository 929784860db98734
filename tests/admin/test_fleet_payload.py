"""Tests for kiosk.admin.fleet.payload: heartbeat bodies decoded and validated without Django."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kiosk.admin.fleet.payload import PayloadError, decode_json, parse_heartbeat, validate_heartbeat
from kiosk.sync.heartbeat import MAX_ERROR_CHARS, MAX_ERRORS, MAX_SCREENS, MAX_SOURCES


def valid_document() -> dict[str, Any]:
    return {
        "schema": 1,
        "kiosk_id": "pek-t3-01",
        "sent_at": "2026-12-04T08:00:00+08:00",
        "app_version": "0.1.0",
        "content_version": 12,
        "clock_status": "ok",
        "uptime_s": 3600,
        "sources": [{"name": "weather", "kind": "feed",
                     "last_success": "2026-12-04T07:55:00Z", "last_error": None,
                     "consecutive_failures": 0}],
        "errors": ["kiosk.ui: catalog for ja missing"],
        "views": {"home": {"zh_Hans": 3, "en": 1}, "rules": {"ar": 0}},
    }


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(valid_document())
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def test_valid_heartbeat_is_parsed() -> None:
    report = parse_heartbeat(json.dumps(valid_document()).encode())

    assert report.kiosk_id == "pek-t3-01"
    assert report.sent_at == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    assert report.content_version == 12
    assert report.sources[0].last_success == datetime(2026, 12, 4, 7, 55, tzinfo=UTC)
    assert report.errors == ("kiosk.ui: catalog for ja missing",)
    assert report.views == {"home": {"zh_Hans": 3, "en": 1}}
    assert report.failing_sources == ()


def test_null_content_version_is_accepted() -> None:
    assert validate_heartbeat(changed(("content_version",), None)).content_version is None


def test_unknown_field_is_rejected() -> None:
    document = valid_document()
    document["answers"] = {"fever": "yes"}

    with pytest.raises(PayloadError) as caught:
        validate_heartbeat(document)

    assert caught.value.field == "answers"
    assert "unknown field" in str(caught.value)


def test_unknown_source_field_is_rejected() -> None:
    document = valid_document()
    document["sources"][0]["url"] = "https://alerts.example/"

    with pytest.raises(PayloadError) as caught:
        validate_heartbeat(document)

    assert caught.value.field == "sources[0].url"


def test_missing_field_is_rejected() -> None:
    document = valid_document()
    del document["uptime_s"]

    with pytest.raises(PayloadError) as caught:
        validate_heartbeat(document)

    assert caught.value.field == "uptime_s"
    assert caught.value.problem == "missing"


@pytest.mark.parametrize(("path", "value", "field"), [
    (("schema",), 2, "schema"),
    (("kiosk_id",), "pek t3", "kiosk_id"),
    (("kiosk_id",), 7, "kiosk_id"),
    (("sent_at",), "yesterday", "sent_at"),
    (("sent_at",), "2026-12-04T08:00:00", "sent_at"),
    (("sent_at",), "0001-01-01T00:00:00+05:00", "sent_at"),
    (("app_version",), "", "app_version"),
    (("app_version",), "v" * 65, "app_version"),
    (("content_version",), "12", "content_version"),
    (("content_version",), -1, "content_version"),
    (("content_version",), 12.0, "content_version"),
    (("content_version",), True, "content_version"),
    (("clock_status",), "fast", "clock_status"),
    (("uptime_s",), 1.5, "uptime_s"),
    (("uptime_s",), 10**12, "uptime_s"),
    (("sources",), {}, "sources"),
    (("sources",), [1], "sources[0]"),
    (("sources", 0, "consecutive_failures"), -1, "sources[0].consecutive_failures"),
    (("sources", 0, "last_error"), "x" * (MAX_ERROR_CHARS + 1), "sources[0].last_error"),
    (("sources", 0, "name"), "", "sources[0].name"),
    (("errors",), "boom", "errors"),
    (("errors",), [None], "errors[0]"),
    (("errors",), ["nul\x00byte"], "errors[0]"),
    (("errors",), ["lone \ud800 surrogate"], "errors[0]"),
    (("views",), [], "views"),
    (("views",), {"Home": {"en": 1}}, "views.Home"),
    (("views",), {"home": {"fr": 1}}, "views.home.fr"),
    (("views",), {"home": {"en": -1}}, "views.home.en"),
    (("views",), {"home": {"en": "1"}}, "views.home.en"),
    (("views",), {"home": 3}, "views.home"),
])
def test_wrong_value_is_rejected_with_its_field(path: tuple[Any, ...], value: Any,
                                                field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        validate_heartbeat(changed(path, value))

    assert caught.value.field == field


def test_duplicate_source_is_rejected() -> None:
    document = valid_document()
    document["sources"].append(dict(document["sources"][0]))

    with pytest.raises(PayloadError, match="listed twice"):
        validate_heartbeat(document)


@pytest.mark.parametrize(("key", "count"), [("sources", MAX_SOURCES + 1),
                                            ("errors", MAX_ERRORS + 1)])
def test_too_many_entries_are_rejected(key: str, count: int) -> None:
    document = valid_document()
    entry = document[key][0]
    document[key] = [dict(entry, name=f"s{index}") if isinstance(entry, dict) else entry
                     for index in range(count)]

    with pytest.raises(PayloadError, match="expected at most"):
        validate_heartbeat(document)


def test_too_many_screens_are_rejected() -> None:
    views = {f"screen{index}": {"en": 1} for index in range(MAX_SCREENS + 1)}

    with pytest.raises(PayloadError, match="screens"):
        validate_heartbeat(changed(("views",), views))


@pytest.mark.parametrize("body", [
    b"",
    b"{",
    b"[1, 2",
    b"\xff\xfe{}",
    '{"schema": 1}'.encode("utf-16"),
    b'{"uptime_s": NaN}',
    b'{"uptime_s": Infinity}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"uptime_s": 1' + b"0" * 5000 + b"}",
])
def test_malformed_json_is_rejected(body: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_json(body)


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(PayloadError, match="more than once"):
        decode_json(b'{"schema": 1, "schema": 1}')


@pytest.mark.parametrize("document", [[], "heartbeat", 1, None])
def test_non_object_body_is_rejected(document: Any) -> None:
    with pytest.raises(PayloadError, match="expected an object"):
        validate_heartbeat(document)


def test_long_unknown_field_name_is_cut_in_error() -> None:
    document = valid_document()
    document["x" * 10_000] = 1

    with pytest.raises(PayloadError) as caught:
        validate_heartbeat(document)

    assert len(caught.value.field) <= 120
