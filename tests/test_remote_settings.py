"""Per-kiosk settings from the signed repository: parsing and rejection."""

from __future__ import annotations

import json

import pytest

from kiosk.remote_settings import MAX_SETTINGS_BYTES, RemoteSettingsError, parse_remote_settings

GOOD = {"kiosk_id": "k1", "site_id": "s1", "languages": ["zh_Hans", "en"],
        "default_language": "zh_Hans", "idle_timeout_s": 45,
        "maintenance_pin_hash": "$argon2id$v=19$m=65536,t=3,p=4$abc$def"}


def document(*entries: dict[str, object]) -> bytes:
    return json.dumps({"schema_version": 1, "kiosks": list(entries)}).encode()


def test_own_entry_is_returned():
    settings = parse_remote_settings(document({**GOOD, "kiosk_id": "other"}, GOOD), "k1")
    assert settings is not None
    assert settings.site_id == "s1"
    assert settings.languages == ("zh_Hans", "en")
    assert settings.idle_timeout_s == 45.0


def test_missing_entry_gives_none():
    assert parse_remote_settings(document(GOOD), "k2") is None


@pytest.mark.parametrize(("change", "field"), [
    ({"languages": []}, "languages"),
    ({"languages": ["fr"]}, "languages"),
    ({"default_language": "ru"}, "default_language"),
    ({"idle_timeout_s": 1}, "idle_timeout_s"),
    ({"idle_timeout_s": True}, "idle_timeout_s"),
    ({"idle_timeout_s": "60"}, "idle_timeout_s"),
    ({"maintenance_pin_hash": "1234"}, "maintenance_pin_hash"),
    ({"site_id": 5}, "site_id"),
])
def test_invalid_entry_names_field(change, field):
    with pytest.raises(RemoteSettingsError, match=field):
        parse_remote_settings(document({**GOOD, **change}), "k1")


@pytest.mark.parametrize("data", [
    b"", b"{", b"\xff\xfe", b"[]", b'{"schema_version": 2, "kiosks": []}',
    b'{"schema_version": 1}', b"[" * 100000,
])
def test_malformed_files_are_rejected(data):
    with pytest.raises(RemoteSettingsError):
        parse_remote_settings(data, "k1")


def test_oversized_file_is_rejected():
    with pytest.raises(RemoteSettingsError, match="too large"):
        parse_remote_settings(b" " * (MAX_SETTINGS_BYTES + 1), "k1")
