"""Kiosk configuration: defaults, validation errors that name file, key, value and range."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.ui.maintenance import hash_pin

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "config" / "sample-kiosk.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_config_loads():
    config = load_config(SAMPLE)
    assert config.site_id == "sample-airport-t1"
    assert config.display.fullscreen is False
    assert config.languages[0] == "zh_Hans"


def test_defaults_without_file():
    config = load_config(None)
    assert config.idle_timeout_s == 60.0
    assert config.default_language == "zh_Hans"
    assert config.display.width_px == 1080
    assert config.display.height_px == 1920
    assert config.sync.feeds == ()


@pytest.mark.parametrize(("text", "key", "fragment"), [
    ("idle_timeout_s = 1", "idle_timeout_s", "5 to 3600"),
    ("idle_timeout_s = 'soon'", "idle_timeout_s", "not a number"),
    ("idle_timeout_s = true", "idle_timeout_s", "not a number"),
    ("languages = ['zh_Hans', 'fr']", "languages", "unsupported language"),
    ("default_language = 'ru'\nlanguages = ['zh_Hans', 'en']", "default_language", "not among"),
    ("colour = 'red'", "colour", "unknown key"),
    ("timezone = 'Mars/Olympus'", "timezone", "unknown time zone"),
    ("maintenance_pin_hash = '1234'", "maintenance_pin_hash", "not an Argon2 hash"),
    ("[display]\nwidth_px = 10", "display.width_px", "320 to 8192"),
    ("[display]\ninput_providers = ['wiimote']", "display.input_providers", "unknown input provider"),
    ("[sync]\ninterval_s = 1", "sync.interval_s", "10 to 86400"),
    ("[sync]\nrepository_url = 'ftp://example.gov/repo'", "sync.repository_url", "not an http(s) URL"),
    ("[sync]\nrepository_url = 'http://example.gov/repo'", "sync.repository_url", "only for loopback"),
    ("[sync]\nrepository_url = 'https://example.gov/repo'", "sync.repository_url", "allowed_hosts"),
    ("[sync]\nallowed_hosts = ['a.gov']\n[[sync.feeds]]\nid = 'x'\nurl = 'https://b.gov/f'",
     "sync.feeds[0].url", "allowed_hosts"),
    ("[sync]\nallowed_hosts = ['a.gov']\n[[sync.feeds]]\nid = 'x'\nurl = 'https://a.gov/f'\n"
     "[[sync.feeds]]\nid = 'x'\nurl = 'https://a.gov/g'", "sync.feeds[1].id", "repeated"),
    ("[sync]\nallowed_hosts = ['a.gov']\n[[sync.feeds]]\nid = 'x'\nurl = 'https://a.gov/f'\n"
     "kind = 'json'", "sync.feeds[0].kind", "unknown feed kind"),
])
def test_invalid_values_name_file_and_key(tmp_path, text, key, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert f": {key}:" in message
    assert fragment in message


def test_malformed_toml_is_reported(tmp_path):
    path = write(tmp_path, "site_id = 'unterminated")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_loopback_http_allowed_and_paths_relative_to_file(tmp_path):
    path = write(tmp_path, "data_dir = 'data'\n[sync]\nrepository_url = 'http://127.0.0.1:8000/repo'\n"
                           "trusted_root = 'root.json'\n[[sync.feeds]]\nid = 'local'\n"
                           "url = 'http://localhost:8000/cap.xml'")
    config = load_config(path)
    assert config.data_dir == tmp_path / "data"
    assert config.sync.trusted_root == tmp_path / "root.json"
    assert config.sync.feeds[0].url == "http://localhost:8000/cap.xml"


def test_pin_hash_accepted_but_never_echoed(tmp_path):
    pin_hash = hash_pin("2468")
    config = load_config(write(tmp_path, f"maintenance_pin_hash = '{pin_hash}'"))
    assert config.maintenance_pin_hash == pin_hash


def test_hash_pin_rejects_non_digits():
    with pytest.raises(ValueError, match="4 to 12 digits"):
        hash_pin("12ab")


def test_heartbeat_table(tmp_path):
    path = write(tmp_path, "[sync]\nallowed_hosts = ['console.example.gov']\n[heartbeat]\n"
                           "url = 'https://console.example.gov/fleet/api/'\ntoken_file = 'token'\n"
                           "interval_s = 120\n")
    config = load_config(path)
    assert config.heartbeat.url == "https://console.example.gov/fleet/api/"
    assert config.heartbeat.token_file == tmp_path / "token"
    assert config.heartbeat.interval_s == 120.0


@pytest.mark.parametrize(("text", "fragment"), [
    ("[heartbeat]\nurl = 'https://other.example.gov/fleet/api/'\ntoken_file = 't'", "allowed_hosts"),
    ("[sync]\nallowed_hosts = ['c.gov']\n[heartbeat]\nurl = 'https://c.gov/fleet/api/'", "token_file"),
    ("[heartbeat]\ninterval_s = 1", "10 to 3600"),
    ("[heartbeat]\ncolour = 'red'", "unknown key"),
])
def test_heartbeat_table_errors(tmp_path, text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config(write(tmp_path, text))


def test_heartbeat_sender_built_from_config(tmp_path):
    """The kiosk's heartbeat factory reads the token file and builds a working sender."""
    from types import SimpleNamespace

    from kiosk.sync.heartbeat import ViewCounter
    from kiosk.ui.launch import heartbeat_factory

    (tmp_path / "token").write_text("abc.def\n", encoding="utf-8")
    path = write(tmp_path, "kiosk_id = 'kiosk-9'\n[sync]\nallowed_hosts = ['c.gov']\n[heartbeat]\n"
                           "url = 'https://c.gov/fleet/api/'\ntoken_file = 'token'\n")
    config = load_config(path)
    app = SimpleNamespace(view_counter=ViewCounter(), capture_screenshot=lambda: None,
                          state=SimpleNamespace(bundle=SimpleNamespace(sample=True, version=1),
                                                selection=None))
    sender = heartbeat_factory(config, app)(object())
    assert sender.name == "heartbeat"
    assert sender.url == "https://c.gov/fleet/api/heartbeat"
    payload, _sequence = sender.payload(datetime.now(UTC))
    assert payload["kiosk_id"] == "kiosk-9"
    assert payload["content_version"] is None
