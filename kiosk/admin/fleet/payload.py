"""Parse and validate heartbeat bodies (schema 1) into typed reports; no Django, no I/O.

Every rule here names the field and the accepted values in its error, so a
kiosk's maintenance view can say what the console rejected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiosk.i18n.languages import KIOSK_LANGUAGES
from kiosk.sync.heartbeat import (
    CLOCK_STATUSES,
    KIOSK_ID_PATTERN,
    MAX_CONSECUTIVE_FAILURES,
    MAX_ERROR_CHARS,
    MAX_ERRORS,
    MAX_NAME_CHARS,
    MAX_SOURCES,
    MAX_UPTIME_S,
    PAYLOAD_KEYS,
    SCHEMA_VERSION,
    SOURCE_KEYS,
)
from kiosk.sync.views import MAX_SCREENS, MAX_VIEW_COUNT, SCREEN_PATTERN

#: Content versions fit a signed 64-bit database column.
MAX_CONTENT_VERSION = 2**63 - 1
#: Characters of an ISO 8601 timestamp, with room for fractions and an offset.
MAX_TIMESTAMP_CHARS = 40
#: Characters of a field path quoted in an error.
MAX_FIELD_CHARS = 120


class PayloadError(ValueError):
    """The heartbeat body is not valid; ``field`` is the JSON path of the first problem."""

    def __init__(self, field: str, problem: str) -> None:
        # Field names come from the body; a long one is cut so the error stays short.
        if len(field) > MAX_FIELD_CHARS:
            field = field[:MAX_FIELD_CHARS - 1] + "…"
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class SourceReport:
    """Sync status of one kiosk source as the kiosk reported it."""

    name: str
    kind: str
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int


@dataclass(frozen=True)
class HeartbeatReport:
    """A validated heartbeat."""

    kiosk_id: str
    sent_at: datetime
    app_version: str
    content_version: int | None
    clock_status: str
    uptime_s: int
    sources: tuple[SourceReport, ...]
    errors: tuple[str, ...]
    #: Views since the previous heartbeat: ``{screen: {language: count}}``.
    views: Mapping[str, Mapping[str, int]]

    @property
    def failing_sources(self) -> tuple[SourceReport, ...]:
        return tuple(source for source in self.sources if source.consecutive_failures > 0)


def _reject_constant(name: str) -> Any:
    raise PayloadError("", f"{name} is not valid JSON")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise PayloadError(key, "appears more than once in one object")
        document[key] = value
    return document


def decode_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON document, rejecting NaN, Infinity, duplicate keys and deep nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("", f"the body is not UTF-8 ({error.reason} at byte "
                               f"{error.start})") from error
    try:
        return json.loads(text, parse_constant=_reject_constant,
                          object_pairs_hook=_unique_object)
    except PayloadError:
        raise
    except RecursionError as error:
        raise PayloadError("", "the JSON document is nested too deeply") from error
    except ValueError as error:
        # json.JSONDecodeError, and ValueError for integers with too many digits.
        raise PayloadError("", f"the body is not valid JSON ({error})") from error


def parse_heartbeat(body: bytes) -> HeartbeatReport:
    """Decode and validate a heartbeat body; raise PayloadError naming the first bad field."""
    return validate_heartbeat(decode_json(body))


def validate_heartbeat(document: Any) -> HeartbeatReport:
    """Validate a decoded heartbeat document; raise PayloadError naming the first bad field."""
    if not isinstance(document, dict):
        raise PayloadError("", f"the body is a JSON {_json_type(document)}; expected an object")
    _check_keys("", document, PAYLOAD_KEYS)

    schema = _integer(document, "schema", "schema", 0, 2**31)
    if schema != SCHEMA_VERSION:
        raise PayloadError("schema", f"version {schema} is not supported; expected "
                                     f"{SCHEMA_VERSION}")
    kiosk_id = _string(document["kiosk_id"], "kiosk_id", MAX_NAME_CHARS)
    if not KIOSK_ID_PATTERN.fullmatch(kiosk_id):
        raise PayloadError("kiosk_id", f"{kiosk_id!r} is not a kiosk id; expected letters, "
                                       "digits, '.', '-' or '_'")
    clock_status = _string(document["clock_status"], "clock_status", MAX_NAME_CHARS)
    if clock_status not in CLOCK_STATUSES:
        raise PayloadError("clock_status", f"{clock_status!r} is not one of "
                                           + ", ".join(CLOCK_STATUSES))
    content_version = document["content_version"]
    return HeartbeatReport(
        kiosk_id=kiosk_id,
        sent_at=_timestamp(document["sent_at"], "sent_at"),
        app_version=_string(document["app_version"], "app_version", MAX_NAME_CHARS,
                            allow_empty=False),
        content_version=None if content_version is None else _integer(
            document, "content_version", "content_version", 0, MAX_CONTENT_VERSION),
        clock_status=clock_status,
        uptime_s=_integer(document, "uptime_s", "uptime_s", 0, MAX_UPTIME_S),
        sources=_sources(document["sources"]),
        errors=_errors(document["errors"]),
        views=_views(document["views"]),
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check_keys(path: str, document: Mapping[str, Any], expected: frozenset[str]) -> None:
    prefix = f"{path}." if path else ""
    unknown = sorted(set(document) - expected)
    if unknown:
        raise PayloadError(prefix + unknown[0], "unknown field; expected only "
                                                + ", ".join(sorted(expected)))
    missing = sorted(expected - set(document))
    if missing:
        raise PayloadError(prefix + missing[0], "missing")


def _integer(document: Mapping[str, Any], key: str, path: str, low: int, high: int) -> int:
    value = document[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(path, f"is a JSON {_json_type(value)}; expected an integer "
                                 f"from {low} to {high}")
    if not low <= value <= high:
        raise PayloadError(path, f"{value} is out of range; expected {low} to {high}")
    return value


def _string(value: Any, path: str, limit: int, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise PayloadError(path, f"is a JSON {_json_type(value)}; expected a string")
    if len(value) > limit:
        raise PayloadError(path, f"has {len(value)} characters; expected at most {limit}")
    if not allow_empty and not value:
        raise PayloadError(path, "is empty")
    if "\x00" in value:
        raise PayloadError(path, "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PayloadError(path, "contains an unpaired surrogate escape") from error
    return value


def _timestamp(value: Any, path: str) -> datetime:
    text = _string(value, path, MAX_TIMESTAMP_CHARS)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise PayloadError(path, f"{text!r} is not an ISO 8601 time") from error
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PayloadError(path, f"{text!r} has no UTC offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise PayloadError(path, f"{text!r} is outside the years 1 to 9999 in UTC") from error


def _list(value: Any, path: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadError(path, f"is a JSON {_json_type(value)}; expected an array")
    if len(value) > limit:
        raise PayloadError(path, f"has {len(value)} entries; expected at most {limit}")
    return value


def _sources(value: Any) -> tuple[SourceReport, ...]:
    sources = []
    names: set[str] = set()
    for index, entry in enumerate(_list(value, "sources", MAX_SOURCES)):
        path = f"sources[{index}]"
        if not isinstance(entry, dict):
            raise PayloadError(path, f"is a JSON {_json_type(entry)}; expected an object")
        _check_keys(path, entry, SOURCE_KEYS)
        name = _string(entry["name"], f"{path}.name", MAX_NAME_CHARS, allow_empty=False)
        if name in names:
            raise PayloadError(f"{path}.name", f"source {name!r} is listed twice")
        names.add(name)
        last_success = entry["last_success"]
        last_error = entry["last_error"]
        sources.append(SourceReport(
            name=name,
            kind=_string(entry["kind"], f"{path}.kind", MAX_NAME_CHARS),
            last_success=None if last_success is None
            else _timestamp(last_success, f"{path}.last_success"),
            last_error=None if last_error is None
            else _string(last_error, f"{path}.last_error", MAX_ERROR_CHARS),
            consecutive_failures=_integer(entry, "consecutive_failures",
                                          f"{path}.consecutive_failures", 0,
                                          MAX_CONSECUTIVE_FAILURES),
        ))
    return tuple(sources)


def _errors(value: Any) -> tuple[str, ...]:
    return tuple(_string(entry, f"errors[{index}]", MAX_ERROR_CHARS)
                 for index, entry in enumerate(_list(value, "errors", MAX_ERRORS)))


def _views(value: Any) -> dict[str, dict[str, int]]:
    if not isinstance(value, dict):
        raise PayloadError("views", f"is a JSON {_json_type(value)}; expected an object")
    if len(value) > MAX_SCREENS:
        raise PayloadError("views", f"has {len(value)} screens; expected at most {MAX_SCREENS}")
    views: dict[str, dict[str, int]] = {}
    for screen, languages in value.items():
        path = f"views.{screen}"
        if not SCREEN_PATTERN.fullmatch(screen):
            raise PayloadError(path, "is not a screen name; expected lower-case letters, "
                                     "digits and '_', starting with a letter")
        if not isinstance(languages, dict):
            raise PayloadError(path, f"is a JSON {_json_type(languages)}; expected an object "
                                     "of counts per language")
        counts: dict[str, int] = {}
        for language in languages:
            if language not in KIOSK_LANGUAGES:
                raise PayloadError(f"{path}.{language}", "is not a kiosk language; expected "
                                                         + ", ".join(KIOSK_LANGUAGES))
            count = _integer(languages, language, f"{path}.{language}", 0, MAX_VIEW_COUNT)
            if count:
                counts[language] = count
        if counts:
            views[screen] = counts
    return views
