"""Tests for kiosk.sync.cache and kiosk.sync.serialize."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.content.model import AlertInfo, Notice, Severity, Targeting, Validity
from kiosk.sync.cache import FeedCache, FeedCacheEntry, atomic_write
from kiosk.sync.serialize import (
    SerializeError,
    notice_from_json,
    notice_to_json,
    notices_from_json,
)

BEIJING = timezone(timedelta(hours=8))
NEWFOUNDLAND = timezone(timedelta(hours=-3, minutes=-30))


def full_notice() -> Notice:
    """A notice with every field set to something other than its default."""
    return Notice(
        id="cma-2024-0001",
        title={"zh_Hans": "暴雨红色预警", "en": "Red rainstorm warning"},
        body={"zh_Hans": "请避免外出。", "en": "Avoid going out."},
        severity=Severity.URGENT,
        issuer={"zh_Hans": "气象台", "en": "Weather office"},
        source_url="https://alerts.example.org/cap/0001.xml",
        published_at=datetime(2024, 7, 1, 8, 30, tzinfo=BEIJING),
        validity=Validity(datetime(2024, 7, 1, 8, 0, tzinfo=BEIJING),
                          datetime(2024, 7, 2, 0, 0, 30, 123456, tzinfo=NEWFOUNDLAND)),
        targeting=Targeting(site_ids=frozenset({"pek-t3", "pkx"}),
                            site_types=frozenset({"airport"}),
                            regions=frozenset({"CN-BJ"})),
        instruction={"en": "Stay indoors."},
        origin="cma-alerts",
        alert=AlertInfo(
            identifier="CN-2024-0001",
            sender="alerts@example.org",
            sent=datetime(2024, 7, 1, 8, 25, tzinfo=BEIJING),
            severity="Severe",
            urgency="Immediate",
            certainty="Observed",
            event={"en": "Rainstorm"},
            area={"en": "Beijing"},
            msg_type="Update",
            references=(("alerts@example.org", "CN-2024-0000", "2024-07-01T07:00:00+08:00"),),
        ),
    )


def cache_entry(notices: tuple[Notice, ...] = ()) -> FeedCacheEntry:
    return FeedCacheEntry(
        feed_id="cma-alerts",
        url="https://alerts.example.org/index.atom",
        notices=notices,
        etag='"abc"',
        last_modified="Mon, 01 Jul 2024 00:25:00 GMT",
        fetched_at=datetime(2024, 7, 1, 0, 25, tzinfo=UTC),
        checked_at=datetime(2024, 7, 1, 0, 30, tzinfo=UTC),
    )


def test_notice_round_trip_keeps_every_field() -> None:
    notice = full_notice()

    text = json.dumps(notice_to_json(notice))
    restored = notice_from_json(json.loads(text))

    assert restored == notice
    assert restored.published_at is not None
    assert restored.published_at.utcoffset() == timedelta(hours=8)
    assert restored.validity.valid_until is not None
    assert restored.validity.valid_until.utcoffset() == timedelta(hours=-3, minutes=-30)


def test_notice_with_defaults_round_trips() -> None:
    notice = Notice(id="n1", title={"en": "T"}, body={}, severity=Severity.INFO, issuer={})

    assert notice_from_json(notice_to_json(notice)) == notice


@given(
    title=st.dictionaries(st.sampled_from(["zh_Hans", "en", "ar", "ja"]), st.text(), max_size=4),
    # ISO 8601 and CAP offsets are whole minutes.
    moment=st.datetimes(timezones=st.integers(-1439, 1439).map(
        lambda minutes: timezone(timedelta(minutes=minutes)))),
    severity=st.sampled_from(list(Severity)),
)
def test_round_trip_any_text_and_offset(title: dict[str, str], moment: datetime,
                                                   severity: Severity) -> None:
    notice = Notice(id="n", title=title, body=title, severity=severity, issuer={},
                    published_at=moment)

    restored = notice_from_json(json.loads(json.dumps(notice_to_json(notice))))

    assert restored.title == notice.title
    assert restored.severity is severity
    assert restored.published_at == moment
    assert restored.published_at is not None
    assert restored.published_at.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("severity", "catastrophic", "notice.severity: unknown severity"),
    ("title", ["not", "a", "mapping"], "notice.title: expected an object"),
    ("published_at", "yesterday", "notice.published_at: invalid ISO 8601"),
    ("id", 7, "notice.id: expected a string"),
])
def test_notice_from_json_names_bad_field(field: str, value: object, message: str) -> None:
    data = notice_to_json(full_notice())
    data[field] = value

    with pytest.raises(SerializeError) as caught:
        notice_from_json(data)

    assert message in str(caught.value)


def test_bad_alert_reference_is_rejected() -> None:
    data = notice_to_json(full_notice())
    data["alert"]["references"] = [["only", "two"]]

    with pytest.raises(SerializeError) as caught:
        notices_from_json([data])

    assert "notices[0].alert.references[0]" in str(caught.value)


def test_feed_cache_round_trip(tmp_path: Path) -> None:
    cache = FeedCache(tmp_path / "feeds")
    entry = cache_entry((full_notice(),))

    cache.save(entry)

    assert cache.load("cma-alerts") == entry


def test_missing_cache_file_is_none_without_warning(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert FeedCache(tmp_path).load("cma-alerts") is None

    assert caplog.records == []


def test_feed_id_is_kept_inside_cache_folder(tmp_path: Path) -> None:
    cache = FeedCache(tmp_path)

    path = cache.path("../../etc/passwd")

    assert path.parent == tmp_path
    assert "/" not in path.name


def _write_good_cache(folder: Path) -> Path:
    cache = FeedCache(folder)
    cache.save(cache_entry((full_notice(),)))
    return cache.path("cma-alerts")


def _mangle_zero_bytes(data: bytes) -> bytes:
    return b""


def _mangle_truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _mangle_garbage(data: bytes) -> bytes:
    return b"\x00\xff{not json"


def _mangle_schema(data: bytes) -> bytes:
    document = json.loads(data)
    document["schema"] = 99
    return json.dumps(document).encode()


def _mangle_list(data: bytes) -> bytes:
    return b"[1, 2, 3]"


def _mangle_notice(data: bytes) -> bytes:
    document = json.loads(data)
    document["notices"][0]["severity"] = 5
    return json.dumps(document).encode()


def _mangle_notices_missing(data: bytes) -> bytes:
    document = json.loads(data)
    del document["notices"]
    return json.dumps(document).encode()


def _mangle_naive_time(data: bytes) -> bytes:
    document = json.loads(data)
    document["checked_at"] = "2024-07-01T00:30:00"
    return json.dumps(document).encode()


def _mangle_other_feed(data: bytes) -> bytes:
    document = json.loads(data)
    document["feed_id"] = "someone-else"
    return json.dumps(document).encode()


@pytest.mark.parametrize("mangle", [
    _mangle_zero_bytes, _mangle_truncate, _mangle_garbage, _mangle_schema, _mangle_list,
    _mangle_notice, _mangle_notices_missing, _mangle_naive_time, _mangle_other_feed,
])
def test_damaged_cache_is_ignored_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                               mangle: Callable[[bytes], bytes]) -> None:
    path = _write_good_cache(tmp_path)
    path.write_bytes(mangle(path.read_bytes()))

    with caplog.at_level(logging.WARNING, logger="kiosk.sync.cache"):
        entry = FeedCache(tmp_path).load("cma-alerts")

    assert entry is None
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0].getMessage()


def test_unreadable_cache_is_ignored_with_warning(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    path = FeedCache(tmp_path).path("cma-alerts")
    path.mkdir()  # A folder where the file should be: reading it fails.

    with caplog.at_level(logging.WARNING, logger="kiosk.sync.cache"):
        assert FeedCache(tmp_path).load("cma-alerts") is None

    assert str(path) in caplog.text


def test_atomic_write_replaces_content(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    atomic_write(path, b"new")

    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_keeps_old_file_when_rename_fails(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    def failing_replace(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, b"new")

    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_keeps_old_file_when_fsync_fails(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    def failing_fsync(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write(path, b"new" * 1000)

    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_failed_cache_save_keeps_previous_entry(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FeedCache(tmp_path)
    old = cache_entry((full_notice(),))
    cache.save(old)

    def failing_replace(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        cache.save(cache_entry(()))

    monkeypatch.undo()
    assert cache.load("cma-alerts") == old
