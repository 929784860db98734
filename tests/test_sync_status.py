"""Tests for kiosk.sync.status."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.sync.status import SourceStatus, SyncStatus

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def status(name: str, last_success: datetime | None, failures: int = 0) -> SourceStatus:
    return SourceStatus(name=name, kind="feed", url=f"https://feeds.example.org/{name}",
                        last_success=last_success, consecutive_failures=failures)


def test_source_is_stale_after_limit() -> None:
    assert status("a", NOW - timedelta(seconds=3601)).is_stale(NOW, 3600) is True
    assert status("a", NOW - timedelta(seconds=3600)).is_stale(NOW, 3600) is False


def test_source_never_synced_is_stale() -> None:
    assert status("a", None).is_stale(NOW, 3600) is True


def test_snapshot_reports_oldest_success() -> None:
    snapshot = SyncStatus(NOW, (status("a", NOW - timedelta(minutes=5)),
                                status("b", NOW - timedelta(hours=2))))

    assert snapshot.last_success == NOW - timedelta(hours=2)
    assert [source.name for source in snapshot.stale_sources(NOW, 3600)] == ["b"]


def test_snapshot_with_unsynced_source_has_no_last_success() -> None:
    snapshot = SyncStatus(NOW, (status("a", NOW), status("b", None)))

    assert snapshot.last_success is None


def test_snapshot_lists_failing_sources() -> None:
    snapshot = SyncStatus(NOW, (status("a", NOW), status("b", NOW, failures=3)))

    assert [source.name for source in snapshot.failing] == ["b"]
    assert snapshot.source("b") is snapshot.sources[1]
    assert snapshot.source("missing") is None


def test_snapshot_is_immutable() -> None:
    snapshot = SyncStatus(NOW, (status("a", NOW),))

    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.taken_at = NOW  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.sources[0].last_error = "changed"  # type: ignore[misc]
