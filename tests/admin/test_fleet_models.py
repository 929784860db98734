"""Tests for the fleet models, per-kiosk tokens and how heartbeats are stored."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from kiosk.admin.fleet.ingest import record_heartbeat
from kiosk.admin.fleet.models import HeartbeatDay, Kiosk, ScreenViewCount
from kiosk.admin.fleet.payload import parse_heartbeat
from kiosk.admin.fleet.tokens import (
    TOKEN_PATTERN,
    TokenError,
    bearer_token,
    digest_matches,
    generate_token,
    selector_of,
    token_digest,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def heartbeat_body(**changes: object) -> bytes:
    document: dict[str, object] = {
        "schema": 1, "kiosk_id": "pek-t3-01", "sent_at": "2026-12-04T02:00:30Z",
        "app_version": "0.1.0", "content_version": 12, "clock_status": "ok", "uptime_s": 60,
        "sources": [{"name": "weather", "kind": "feed", "last_success": None,
                     "last_error": "HTTP status 503", "consecutive_failures": 2}],
        "errors": [], "views": {"home": {"zh_Hans": 3, "en": 1}},
    }
    document.update(changes)
    return json.dumps(document).encode()


def make_kiosk(kiosk_id: str = "pek-t3-01") -> Kiosk:
    return Kiosk.objects.create(kiosk_id=kiosk_id, name="Terminal 3, gate 12", site_id="pek-t3")


# -- tokens ----------------------------------------------------------------------------

def test_generated_token_matches_its_digest() -> None:
    new = generate_token()

    assert TOKEN_PATTERN.fullmatch(new.token)
    assert new.token.startswith(new.selector + ".")
    assert new.digest == token_digest(new.token)
    assert digest_matches(new.token, new.digest)


def test_tokens_are_unique() -> None:
    assert len({generate_token().token for _ in range(200)}) == 200


def test_other_token_does_not_match() -> None:
    assert not digest_matches(generate_token().token, generate_token().digest)


def test_empty_stored_digest_never_matches() -> None:
    assert not digest_matches(generate_token().token, "")


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"])
def test_malformed_authorization_header_is_rejected(header: str | None) -> None:
    with pytest.raises(TokenError):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def") == "abc.def"


@pytest.mark.parametrize("token", ["abc", "0123456789abcdef", "0123456789ABCDEF." + "a" * 43,
                                   "0123456789abcdef." + "a" * 42])
def test_malformed_token_is_rejected(token: str) -> None:
    with pytest.raises(TokenError):
        selector_of(token)


def test_issued_token_is_stored_only_as_hash() -> None:
    kiosk = make_kiosk()

    token = kiosk.issue_token(NOW)

    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.token_selector == selector_of(token)
    assert stored.token_hash == token_digest(token)
    assert token not in {stored.token_selector, stored.token_hash}
    assert stored.token_created_at == NOW
    assert stored.has_token


def test_new_token_replaces_old_one() -> None:
    kiosk = make_kiosk()
    old = kiosk.issue_token(NOW)

    new = kiosk.issue_token(NOW)

    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert digest_matches(new, stored.token_hash)
    assert not digest_matches(old, stored.token_hash)


def test_revoked_token_leaves_no_hash() -> None:
    kiosk = make_kiosk()
    kiosk.issue_token(NOW)

    kiosk.revoke_token()

    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.token_selector is None
    assert stored.token_hash == ""
    assert not stored.has_token


def test_kiosks_without_token_may_coexist() -> None:
    make_kiosk("a")
    make_kiosk("b")
    assert Kiosk.objects.filter(token_selector__isnull=True).count() == 2


# -- kiosk validation ------------------------------------------------------------------

def test_valid_kiosk_passes_full_clean() -> None:
    kiosk = Kiosk(kiosk_id="pek-t3-01", name="Gate 12", languages=["zh_Hans", "en"],
                  default_language="en", idle_timeout_s=90,
                  maintenance_pin_hash=PasswordHasher().hash("2468"))
    kiosk.full_clean()


def test_kiosk_id_is_unique() -> None:
    make_kiosk()
    with pytest.raises(IntegrityError):
        make_kiosk()


@pytest.mark.parametrize(("fields", "error_field"), [
    ({"kiosk_id": "pek t3"}, "kiosk_id"),
    ({"languages": []}, "languages"),
    ({"languages": ["zh_Hans", "fr"]}, "languages"),
    ({"languages": ["en", "en"]}, "languages"),
    ({"languages": ["en"], "default_language": "zh_Hans"}, "default_language"),
    ({"idle_timeout_s": 2}, "idle_timeout_s"),
    ({"maintenance_pin_hash": "1234"}, "maintenance_pin_hash"),
])
def test_invalid_kiosk_is_rejected(fields: dict[str, object], error_field: str) -> None:
    values: dict[str, object] = {"kiosk_id": "k1", "name": "Gate", "languages": ["zh_Hans", "en"],
                                 "default_language": "zh_Hans"}
    values.update(fields)

    with pytest.raises(ValidationError) as caught:
        Kiosk(**values).full_clean()

    assert error_field in caught.value.message_dict


# -- storing heartbeats ----------------------------------------------------------------

def test_heartbeat_updates_kiosk_latest_state() -> None:
    kiosk = make_kiosk()

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body()), NOW)

    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.last_heartbeat_at == NOW
    assert stored.last_app_version == "0.1.0"
    assert stored.last_content_version == 12
    assert stored.last_clock_status == "ok"
    assert stored.last_clock_offset_s == 30.0
    assert stored.last_uptime_s == 60
    assert stored.last_sources == [{"name": "weather", "kind": "feed", "last_success": None,
                                    "last_error": "HTTP status 503",
                                    "consecutive_failures": 2}]
    assert stored.failing_sources == stored.last_sources


def test_heartbeats_add_up_per_day() -> None:
    kiosk = make_kiosk()

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body()), NOW)
    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body(sources=[])),
                     NOW + timedelta(minutes=1))

    day = HeartbeatDay.objects.get(kiosk=kiosk)
    assert day.heartbeats == 2
    assert day.with_errors == 1
    assert day.first_at == NOW
    assert day.last_at == NOW + timedelta(minutes=1)


def test_view_counts_add_up_per_day() -> None:
    kiosk = make_kiosk()

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body()), NOW)
    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body(views={"home": {"en": 4},
                                                                  "risk": {"ar": 2}})),
                     NOW + timedelta(minutes=1))

    counts = {(row.screen, row.language): row.views for row in ScreenViewCount.objects.all()}
    assert counts == {("home", "zh_Hans"): 3, ("home", "en"): 5, ("risk", "ar"): 2}


def test_day_follows_console_time_zone() -> None:
    kiosk = make_kiosk()
    # 16:30 UTC is half past midnight the next day in Asia/Shanghai.
    late_evening = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body()), late_evening)

    assert HeartbeatDay.objects.get(kiosk=kiosk).day == date(2026, 12, 5)


def test_many_view_pairs_are_stored_in_batches() -> None:
    kiosk = make_kiosk()
    languages = ["zh_Hans", "en", "zh_Hant", "ja", "ko", "ru", "ar"]
    views = {f"screen{index}": {language: index + 1 for language in languages}
             for index in range(64)}

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body(views=views)), NOW)

    assert ScreenViewCount.objects.filter(kiosk=kiosk).count() == 64 * 7


def test_errors_are_kept_until_newer_errors_arrive() -> None:
    kiosk = make_kiosk()

    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body(errors=["kiosk.ui: font missing"])),
                     NOW)
    record_heartbeat(kiosk, parse_heartbeat(heartbeat_body(errors=[])),
                     NOW + timedelta(minutes=1))

    stored = Kiosk.objects.get(pk=kiosk.pk)
    assert stored.last_errors == ["kiosk.ui: font missing"]
    assert stored.last_errors_at == NOW


def test_prune_deletes_only_old_history() -> None:
    kiosk = make_kiosk()
    today = timezone.localdate()
    for age in (0, 5, 30):
        day = today - timedelta(days=age)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        HeartbeatDay.objects.create(kiosk=kiosk, day=day, heartbeats=1, first_at=moment,
                                    last_at=moment)
        ScreenViewCount.objects.create(kiosk=kiosk, day=day, screen="home", language="en",
                                       views=1)

    output = io.StringIO()
    call_command("prune_fleet_history", "--days", "10", stdout=output)

    assert "Deleted 1 heartbeat days and 1 view counts" in output.getvalue()
    assert sorted((today - row.day).days for row in HeartbeatDay.objects.all()) == [0, 5]
    assert sorted((today - row.day).days for row in ScreenViewCount.objects.all()) == [0, 5]


def test_prune_rejects_zero_days() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_fleet_history", "--days", "0")


def test_heartbeat_of_deleted_kiosk_stores_nothing() -> None:
    kiosk = make_kiosk()
    Kiosk.objects.filter(pk=kiosk.pk).delete()

    stored = record_heartbeat(kiosk, parse_heartbeat(heartbeat_body()), NOW)

    assert stored is False
    assert not HeartbeatDay.objects.exists()
    assert not ScreenViewCount.objects.exists()
