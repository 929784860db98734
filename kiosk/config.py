"""Typed kiosk configuration, loaded from a TOML file and validated once at start-up."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from kiosk.i18n.languages import DEFAULT_LANGUAGE, KIOSK_LANGUAGES

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class ConfigError(ValueError):
    """An invalid configuration file, naming the file, key, value and accepted range."""

    def __init__(self, source: str, key: str, problem: str, value: object = None,
                 expected: str | None = None) -> None:
        message = f"{source}: {key}: {problem}"
        if value is not None:
            message += f" (got {value!r})"
        if expected:
            message += f"; expected {expected}"
        super().__init__(message)
        self.source = source
        self.key = key


@dataclass(frozen=True)
class DisplayConfig:
    """The screen the kiosk runs on."""

    width_px: int = 1080
    height_px: int = 1920
    #: Screen diagonal in inches, used to turn millimetres into pixels.
    diagonal_in: float = 43.0
    fullscreen: bool = True
    show_cursor: bool = False
    #: Kivy input providers, one per touch panel, as ``provider,args`` strings.
    #: Under X the panel drives the pointer, so the mouse provider alone
    #: delivers each touch once.
    input_providers: tuple[str, ...] = ("mouse,disable_multitouch",)


@dataclass(frozen=True)
class FeedConfig:
    """An official feed that the kiosk reads directly."""

    id: str
    url: str
    #: ``auto`` sniffs CAP, RSS and Atom from the document itself.
    kind: str = "auto"


@dataclass(frozen=True)
class SyncConfig:
    """Background refresh of feeds and signed content."""

    interval_s: float = 300.0
    #: Age of the last successful sync after which every screen shows a banner.
    stale_after_s: float = 3600.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    #: Overall limit for one download, however slowly the bytes trickle in.
    deadline_s: float = 60.0
    max_feed_bytes: int = 5 * 1024 * 1024
    max_bundle_bytes: int = 64 * 1024 * 1024
    backoff_base_s: float = 10.0
    backoff_max_s: float = 1800.0
    #: Hosts that feed and repository URLs may point at.
    allowed_hosts: tuple[str, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()
    #: Base URL of the signed content repository; empty for none.
    repository_url: str = ""
    #: Trusted TUF root installed with the kiosk.
    trusted_root: Path | None = None


@dataclass(frozen=True)
class HeartbeatConfig:
    """Reports to the admin console's fleet view; disabled while ``url`` is empty."""

    #: Base URL of the console's fleet API, such as https://console.example.gov.cn/fleet/api/.
    url: str = ""
    #: File holding this kiosk's token, readable by the kiosk's user only.
    token_file: Path | None = None
    interval_s: float = 60.0


@dataclass(frozen=True)
class KioskConfig:
    """Everything the kiosk reads from its configuration file."""

    site_id: str = ""
    kiosk_id: str = ""
    #: IANA time zone of the site, for the clock and every time shown.
    timezone: str = "Asia/Shanghai"
    default_language: str = DEFAULT_LANGUAGE
    languages: tuple[str, ...] = KIOSK_LANGUAGES
    idle_timeout_s: float = 60.0
    #: Minimum size of a passenger touch target, in millimetres.
    touch_target_mm: float = 15.0
    #: Size of one QR code module on screen, in millimetres. At 1.2 mm a code
    #: for a typical notice link is about 5 cm wide, which phones read from 50 cm.
    qr_module_mm: float = 1.2
    #: Hash of the maintenance PIN (argon2 encoded string); empty disables the view.
    maintenance_pin_hash: str = ""
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("kiosk")))
    #: Bundle shown when the cache contains no verified content.
    default_bundle: Path | None = None
    display: DisplayConfig = DisplayConfig()
    sync: SyncConfig = SyncConfig()
    heartbeat: HeartbeatConfig = HeartbeatConfig()


def _check_number(source: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(source, key, "not a number", value, f"a number from {low} to {high}")
    if not low <= value <= high:
        raise ConfigError(source, key, "out of range", value, f"{low} to {high}")
    return value


def _check_keys(source: str, prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(source, prefix + key, "unknown key",
                              expected="one of " + ", ".join(sorted(allowed)))


def _check_url(source: str, key: str, url: str, allowed_hosts: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ConfigError(source, key, "plain http is allowed only for loopback", url,
                          "an https URL")
    if parts.scheme not in {"http", "https"} or not host:
        raise ConfigError(source, key, "not an http(s) URL", url, "an https URL")
    if host not in allowed_hosts and host not in LOOPBACK_HOSTS:
        raise ConfigError(source, key, "host is not in sync.allowed_hosts", host,
                          "one of " + (", ".join(allowed_hosts) or "(none listed)"))


def _display(source: str, table: Mapping[str, Any]) -> DisplayConfig:
    _check_keys(source, "display.", table, {f.name for f in fields(DisplayConfig)})
    default = DisplayConfig()
    return DisplayConfig(
        width_px=int(_check_number(source, "display.width_px", table.get("width_px", default.width_px), 320, 8192)),
        height_px=int(_check_number(source, "display.height_px", table.get("height_px", default.height_px), 320, 8192)),
        diagonal_in=_check_number(source, "display.diagonal_in", table.get("diagonal_in", default.diagonal_in), 5, 200),
        fullscreen=bool(table.get("fullscreen", default.fullscreen)),
        show_cursor=bool(table.get("show_cursor", default.show_cursor)),
        input_providers=_input_providers(source, table.get("input_providers",
                                                           list(default.input_providers))),
    )


def _input_providers(source: str, value: Any) -> tuple[str, ...]:
    known = {"mouse", "mtdev", "hidinput", "probesysfs", "linuxwacom", "tuio"}
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, "display.input_providers", "not a list of provider strings",
                          value, 'for example ["mouse,disable_multitouch"]')
    for spec in value:
        if spec.split(",")[0] not in known:
            raise ConfigError(source, "display.input_providers", "unknown input provider", spec,
                              "one of " + ", ".join(sorted(known)))
    return tuple(value)


def _sync(source: str, table: Mapping[str, Any], base: Path) -> SyncConfig:
    allowed = {f.name for f in fields(SyncConfig)}
    _check_keys(source, "sync.", table, allowed)
    default = SyncConfig()
    numbers: dict[str, Any] = {}
    limits = {"interval_s": (10, 86400), "stale_after_s": (60, 30 * 86400),
              "connect_timeout_s": (0.1, 120), "read_timeout_s": (0.1, 600),
              "deadline_s": (1, 3600), "max_feed_bytes": (1024, 256 * 1024 * 1024),
              "max_bundle_bytes": (1024, 1024 * 1024 * 1024), "backoff_base_s": (0.1, 3600),
              "backoff_max_s": (1, 86400)}
    for key, (low, high) in limits.items():
        value = _check_number(source, f"sync.{key}", table.get(key, getattr(default, key)), low, high)
        numbers[key] = int(value) if key.startswith("max_") else float(value)

    hosts = table.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ConfigError(source, "sync.allowed_hosts", "not a list of host names", hosts)
    allowed_hosts = tuple(h.lower() for h in hosts)

    feeds = []
    seen: set[str] = set()
    for index, entry in enumerate(table.get("feeds", [])):
        key = f"sync.feeds[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(source, key, "not a table", entry)
        _check_keys(source, key + ".", entry, {"id", "url", "kind"})
        if not isinstance(entry.get("id"), str) or not entry["id"] or entry["id"] in seen:
            raise ConfigError(source, key + ".id", "missing or repeated feed id", entry.get("id"),
                              "a unique non-empty id")
        seen.add(entry["id"])
        url = entry.get("url")
        if not isinstance(url, str):
            raise ConfigError(source, key + ".url", "missing", expected="an https URL")
        _check_url(source, key + ".url", url, allowed_hosts)
        kind = entry.get("kind", "auto")
        if kind not in {"auto", "cap", "rss", "atom"}:
            raise ConfigError(source, key + ".kind", "unknown feed kind", kind,
                              "auto, cap, rss or atom")
        feeds.append(FeedConfig(entry["id"], url, kind))

    repository_url = table.get("repository_url", "")
    if repository_url:
        _check_url(source, "sync.repository_url", repository_url, allowed_hosts)
    trusted_root = table.get("trusted_root")
    return SyncConfig(allowed_hosts=allowed_hosts, feeds=tuple(feeds),
                      repository_url=repository_url,
                      trusted_root=(base / trusted_root) if trusted_root else None, **numbers)


def _heartbeat(source: str, table: Mapping[str, Any], base: Path,
               allowed_hosts: tuple[str, ...]) -> HeartbeatConfig:
    _check_keys(source, "heartbeat.", table, {f.name for f in fields(HeartbeatConfig)})
    url = table.get("url", "")
    if not isinstance(url, str):
        raise ConfigError(source, "heartbeat.url", "not a string", url, "an https URL")
    token_file = table.get("token_file")
    if url:
        _check_url(source, "heartbeat.url", url, allowed_hosts)
        if not isinstance(token_file, str) or not token_file:
            raise ConfigError(source, "heartbeat.token_file", "missing",
                              expected="the path of the file with this kiosk's token")
    interval = _check_number(source, "heartbeat.interval_s",
                             table.get("interval_s", HeartbeatConfig.interval_s), 10, 3600)
    return HeartbeatConfig(url=url, token_file=(base / token_file) if token_file else None,
                           interval_s=float(interval))


def load_config(path: Path | None) -> KioskConfig:
    """Load and validate the configuration file; ``None`` gives the defaults.

    Relative paths in the file are relative to the file's folder.
    """
    if path is None:
        return KioskConfig()
    source = str(path)
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except OSError as error:
        raise ConfigError(source, "(file)", f"cannot read: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, "(file)", f"invalid TOML: {error}") from error
    return config_from_mapping(document, source, path.parent)


def config_from_mapping(document: Mapping[str, Any], source: str, base: Path) -> KioskConfig:
    """Validate an already parsed configuration document."""
    top = {f.name for f in fields(KioskConfig)}
    _check_keys(source, "", document, top)
    default = KioskConfig()

    languages = document.get("languages", list(default.languages))
    if not isinstance(languages, list) or not languages or any(
            lang not in KIOSK_LANGUAGES for lang in languages):
        raise ConfigError(source, "languages", "unsupported language list", languages,
                          "a non-empty list from " + ", ".join(KIOSK_LANGUAGES))
    default_language = document.get("default_language", default.default_language)
    if default_language not in languages:
        raise ConfigError(source, "default_language", "not among the enabled languages",
                          default_language, ", ".join(languages))

    zone = document.get("timezone", default.timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ConfigError(source, "timezone", "unknown time zone", zone,
                          "an IANA name such as Asia/Shanghai") from error

    for key in ("site_id", "kiosk_id", "maintenance_pin_hash"):
        if not isinstance(document.get(key, ""), str):
            raise ConfigError(source, key, "not a string", document[key])
    pin_hash = document.get("maintenance_pin_hash", "")
    if pin_hash and not pin_hash.startswith("$argon2"):
        # The value is a secret's hash; show only its start.
        raise ConfigError(source, "maintenance_pin_hash", "not an Argon2 hash", pin_hash[:8] + "...",
                          "the output of 'kiosk pin-hash'")

    data_dir = document.get("data_dir")
    default_bundle = document.get("default_bundle")
    sync = _sync(source, document.get("sync", {}), base)
    return KioskConfig(
        site_id=document.get("site_id", ""),
        kiosk_id=document.get("kiosk_id", ""),
        timezone=zone,
        default_language=default_language,
        languages=tuple(languages),
        idle_timeout_s=_check_number(source, "idle_timeout_s",
                                     document.get("idle_timeout_s", default.idle_timeout_s), 5, 3600),
        touch_target_mm=_check_number(source, "touch_target_mm",
                                      document.get("touch_target_mm", default.touch_target_mm), 9, 40),
        qr_module_mm=_check_number(source, "qr_module_mm",
                                   document.get("qr_module_mm", default.qr_module_mm), 0.5, 5),
        maintenance_pin_hash=document.get("maintenance_pin_hash", ""),
        data_dir=(base / data_dir) if data_dir else default.data_dir,
        default_bundle=(base / default_bundle) if default_bundle else None,
        display=_display(source, document.get("display", {})),
        sync=sync,
        heartbeat=_heartbeat(source, document.get("heartbeat", {}), base, sync.allowed_hosts),
    )
