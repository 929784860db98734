"""Per-kiosk settings that the console publishes in the signed repository.

The console writes ``kiosk-settings.json`` as a signed target beside the
bundle; the kiosk reads only its own entry. The settings arrive through the
same TUF verification as content, so a forged setting is rejected like
forged content. Parsing is pure: bytes in, settings or ``RemoteSettingsError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kiosk.i18n.languages import KIOSK_LANGUAGES

#: Signed target name of the settings file.
SETTINGS_TARGET = "kiosk-settings.json"
#: Largest settings file accepted, in bytes: about 2,000 kiosks' entries.
MAX_SETTINGS_BYTES = 1024 * 1024


class RemoteSettingsError(ValueError):
    """A settings file or entry that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class RemoteSettings:
    """The settings of one kiosk, as edited in the console."""

    site_id: str
    languages: tuple[str, ...]
    default_language: str
    idle_timeout_s: float
    maintenance_pin_hash: str


def parse_remote_settings(data: bytes, kiosk_id: str) -> RemoteSettings | None:
    """Return this kiosk's entry of a settings file, or None when the file has none.

    Raises RemoteSettingsError for a malformed, oversized or invalid file or entry.
    """
    if len(data) > MAX_SETTINGS_BYTES:
        raise RemoteSettingsError(f"settings file too large: {len(data)} bytes, "
                                  f"at most {MAX_SETTINGS_BYTES}")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise RemoteSettingsError(f"settings file is not valid UTF-8 JSON: {error}") from error
    if not isinstance(document, dict) or document.get("schema_version") != 1 or not isinstance(
            document.get("kiosks"), list):
        raise RemoteSettingsError("settings file must be an object with schema_version 1 "
                                  "and a kiosks list")
    for index, entry in enumerate(document["kiosks"]):
        if isinstance(entry, dict) and entry.get("kiosk_id") == kiosk_id:
            return _entry(entry, f"kiosks[{index}]")
    return None


def _entry(entry: dict[str, Any], where: str) -> RemoteSettings:
    site_id = entry.get("site_id", "")
    if not isinstance(site_id, str) or len(site_id) > 128:
        raise RemoteSettingsError(f"{where}.site_id: invalid value {site_id!r}")
    languages = entry.get("languages")
    if not isinstance(languages, list) or not languages or any(
            language not in KIOSK_LANGUAGES for language in languages):
        raise RemoteSettingsError(f"{where}.languages: invalid value {languages!r}; expected a "
                                  f"non-empty list from {', '.join(KIOSK_LANGUAGES)}")
    default = entry.get("default_language")
    if not isinstance(default, str) or default not in languages:
        raise RemoteSettingsError(f"{where}.default_language: {default!r} is not among "
                                  f"the enabled languages")
    timeout = entry.get("idle_timeout_s")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 5 <= timeout <= 3600:
        raise RemoteSettingsError(f"{where}.idle_timeout_s: invalid value {timeout!r}; "
                                  "expected 5 to 3600 seconds")
    pin_hash = entry.get("maintenance_pin_hash", "")
    if not isinstance(pin_hash, str) or (pin_hash and not pin_hash.startswith("$argon2")):
        raise RemoteSettingsError(f"{where}.maintenance_pin_hash: not an Argon2 hash")
    return RemoteSettings(site_id, tuple(languages), default, float(timeout), pin_hash)
