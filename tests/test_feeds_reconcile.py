"""Tests for applying CAP Update and Cancel messages in any arrival order."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.content.model import AlertInfo, Notice, Severity, Validity
from kiosk.feeds import parse_feed, reconcile_alerts

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CHAIN = ("cap12_chain_1_alert.xml", "cap12_chain_2_update.xml", "cap12_chain_3_update.xml",
         "cap12_chain_4_cancel.xml")
# 13:00 in the railway's UTC+8 zone, after all four messages and before any expiry.
DURING_CHAIN = datetime(2024, 7, 1, 5, 0, tzinfo=UTC)
SENDER = "ops@example.org"
BASE_TIME = datetime(2024, 7, 1, tzinfo=UTC)


def chain_notice(name: str) -> Notice:
    parsed = parse_feed((FIXTURES / name).read_bytes(), feed_id="rail",
                        source_url=f"https://rail.example.org/{name}")
    assert len(parsed.notices) == 1
    return parsed.notices[0]


def alert_notice(identifier: str, *, msg_type: str = "Alert", minutes: int = 0,
                 references: tuple[str, ...] = (), expires_in_hours: float | None = 24,
                 severity: Severity = Severity.WARNING, title: str | None = None) -> Notice:
    """Build an alert notice sent ``minutes`` after BASE_TIME by SENDER."""
    sent = BASE_TIME + timedelta(minutes=minutes)
    until = sent + timedelta(hours=expires_in_hours) if expires_in_hours is not None else None
    text = title if title is not None else f"Alert {identifier}"
    return Notice(
        id=f"cap-{identifier}",
        title={"en": text} if text else {},
        body={},
        severity=severity,
        issuer={"en": "Example Ops"},
        published_at=sent,
        validity=Validity(valid_from=sent, valid_until=until),
        origin="test",
        alert=AlertInfo(
            identifier=identifier, sender=SENDER, sent=sent, severity="Moderate",
            urgency="Expected", certainty="Likely", msg_type=msg_type,
            references=tuple((SENDER, reference, "2024-07-01T00:00:00+00:00")
                             for reference in references),
        ),
    )


def shown_identifiers(notices: tuple[Notice, ...]) -> list[str]:
    return [notice.alert.identifier if notice.alert else notice.id for notice in notices]


def test_update_replaces_referenced_alert() -> None:
    shown = reconcile_alerts([chain_notice(CHAIN[0]), chain_notice(CHAIN[1])], DURING_CHAIN)

    assert shown_identifiers(shown) == ["RAIL-2024-7-2"]
    assert shown[0].title["en"] == "North line closed between A and C"


@pytest.mark.parametrize("order", list(itertools.permutations(CHAIN[:3])))
def test_update_chain_in_any_order_shows_latest(order: tuple[str, ...]) -> None:
    shown = reconcile_alerts([chain_notice(name) for name in order], DURING_CHAIN)

    assert shown_identifiers(shown) == ["RAIL-2024-7-3"]


@pytest.mark.parametrize("order", list(itertools.permutations(CHAIN)))
def test_cancelled_chain_in_any_order_shows_nothing(order: tuple[str, ...]) -> None:
    assert reconcile_alerts([chain_notice(name) for name in order], DURING_CHAIN) == ()


def test_cancel_arriving_alone_shows_nothing() -> None:
    assert reconcile_alerts([chain_notice(CHAIN[3])], DURING_CHAIN) == ()


def test_cancel_removes_updates_sent_before_it() -> None:
    original = alert_notice("A", minutes=0)
    update = alert_notice("B", msg_type="Update", minutes=10, references=("A",))
    cancel = alert_notice("C", msg_type="Cancel", minutes=20, references=("A",), title="")

    for order in itertools.permutations([original, update, cancel]):
        assert reconcile_alerts(order, BASE_TIME + timedelta(hours=1)) == ()


def test_update_sent_after_cancel_is_shown() -> None:
    original = alert_notice("A", minutes=0)
    cancel = alert_notice("C", msg_type="Cancel", minutes=20, references=("A",), title="")
    reissue = alert_notice("D", msg_type="Update", minutes=30, references=("A",))

    for order in itertools.permutations([original, cancel, reissue]):
        shown = reconcile_alerts(order, BASE_TIME + timedelta(hours=1))
        assert shown_identifiers(shown) == ["D"]


def test_expired_alert_is_dropped() -> None:
    alert = alert_notice("A", expires_in_hours=2)
    expiry = BASE_TIME + timedelta(hours=2)

    assert shown_identifiers(reconcile_alerts([alert], expiry - timedelta(seconds=1))) == ["A"]
    assert reconcile_alerts([alert], expiry) == ()
    assert reconcile_alerts([alert], expiry + timedelta(days=1)) == ()


def test_alert_without_expiry_is_kept() -> None:
    alert = alert_notice("A", expires_in_hours=None)

    assert shown_identifiers(reconcile_alerts([alert], BASE_TIME + timedelta(days=365))) == ["A"]


def test_expired_update_does_not_bring_back_original() -> None:
    original = alert_notice("A", expires_in_hours=48)
    update = alert_notice("B", msg_type="Update", minutes=10, references=("A",),
                          expires_in_hours=1)

    assert reconcile_alerts([original, update], BASE_TIME + timedelta(hours=5)) == ()


def test_update_without_text_hides_original() -> None:
    original = alert_notice("A")
    update = alert_notice("B", msg_type="Update", minutes=10, references=("A",), title="")

    assert reconcile_alerts([update, original], BASE_TIME + timedelta(hours=1)) == ()


def test_duplicate_alert_is_shown_once() -> None:
    alert = chain_notice(CHAIN[0])

    assert reconcile_alerts([alert, chain_notice(CHAIN[0])], DURING_CHAIN) == (alert,)


def test_non_cap_notices_pass_through() -> None:
    news = Notice(id="rss-1", title={"en": "News"}, body={}, severity=Severity.INFO,
                  issuer={"en": "Ministry"}, origin="news")
    alert = alert_notice("A", severity=Severity.URGENT)

    shown = reconcile_alerts([news, alert], BASE_TIME + timedelta(hours=1))

    assert shown == (alert, news)


def test_result_is_sorted_by_severity_then_newest() -> None:
    info = alert_notice("A", minutes=30, severity=Severity.INFO)
    old_urgent = alert_notice("B", minutes=0, severity=Severity.URGENT)
    new_urgent = alert_notice("C", minutes=10, severity=Severity.URGENT)

    shown = reconcile_alerts([info, old_urgent, new_urgent], BASE_TIME + timedelta(hours=1))

    assert shown_identifiers(shown) == ["C", "B", "A"]


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        reconcile_alerts([], datetime(2024, 7, 1))


def _scenario() -> list[Notice]:
    """Two threads and a stray update: one thread updated twice, one updated then cancelled."""
    return [
        alert_notice("A1", minutes=0),
        alert_notice("A2", msg_type="Update", minutes=5, references=("A1",)),
        alert_notice("A3", msg_type="Update", minutes=9, references=("A1", "A2")),
        alert_notice("B1", minutes=1, severity=Severity.URGENT),
        alert_notice("B2", msg_type="Update", minutes=4, references=("B1",)),
        alert_notice("B3", msg_type="Cancel", minutes=8, references=("B2",), title=""),
        alert_notice("C1", minutes=2, expires_in_hours=0.5),
        alert_notice("D1", msg_type="Update", minutes=3, references=("Z9",)),
        alert_notice("A2", msg_type="Update", minutes=5, references=("A1",)),
    ]


@settings(max_examples=200, deadline=None)
@given(order=st.permutations(_scenario()))
def test_any_arrival_order_gives_same_state(order: list[Notice]) -> None:
    now = BASE_TIME + timedelta(hours=2)

    assert reconcile_alerts(order, now) == reconcile_alerts(_scenario(), now)
    assert shown_identifiers(reconcile_alerts(order, now)) == ["A3", "D1"]
