"""Tests for reading bundles: the shipped default bundle, every rejection path and hostile input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.content import ContentError, load_bundle, parse_bundle
from kiosk.content.decoding import MAX_BUNDLE_BYTES, MAX_JSON_DEPTH
from kiosk.content.model import Bundle, RiskColour, Severity, Targeting

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "assets" / "content" / "default-bundle.json"
MINIMAL_BUNDLE = ROOT / "tests" / "fixtures" / "content" / "minimal-bundle.json"
SOURCE = "bundle.json"
CHINA = timezone(timedelta(hours=8))


def minimal_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MINIMAL_BUNDLE.read_text("utf-8"))
    return document


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def parse_error(data: bytes) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_bundle(data, SOURCE)
    return caught.value


# The shipped default bundle.

def test_default_bundle_loads() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)

    assert bundle.sample is True
    assert bundle.version == 1
    assert bundle.default_language == "zh_Hans"
    assert bundle.published_at == datetime(2026, 12, 1, tzinfo=CHINA)
    assert bundle.expires_at >= datetime(2027, 12, 31, tzinfo=CHINA)


def test_default_bundle_has_every_section() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)

    assert [level.colour for level in bundle.risk_levels] == list(RiskColour)
    assert {line.number for line in bundle.hotlines} == {
        "120", "110", "12320", "12345", "12306", "12326", "12328"}
    assert len(bundle.symptoms) >= 5
    assert all(symptom.hotline_ids for symptom in bundle.symptoms)
    assert all(level.hotline_ids for level in bundle.risk_levels)
    assert bundle.self_check is not None
    assert len(bundle.self_check.questions) == 6


def test_default_bundle_sites_cover_rule_site_types() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)
    site_types = {site.site_type for site in bundle.sites}
    rule_types = {kind for rule in bundle.travel_rules for kind in rule.targeting.site_types}

    assert {"airport", "railway_station", "coach_station"} <= rule_types
    assert rule_types <= site_types
    untargeted = [rule.id for rule in bundle.travel_rules if rule.targeting == Targeting()]
    assert untargeted == ["rule-general"]
    assert all(site.id.startswith("sample-") for site in bundle.sites)


def test_default_bundle_notices() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)

    assert len(bundle.notices) >= 3
    assert any(notice.severity is Severity.URGENT for notice in bundle.notices)
    assert any(notice.targeting.site_types for notice in bundle.notices)
    for notice in bundle.notices:
        assert notice.source_url is not None
        assert notice.source_url.startswith("https://example.gov.cn/")
        assert notice.published_at is not None
        assert notice.published_at <= bundle.published_at
        assert notice.validity.valid_until is not None
        assert notice.issuer


def test_minimal_fixture_loads() -> None:
    bundle = load_bundle(MINIMAL_BUNDLE)

    assert bundle.version == 3
    assert bundle.sample is False
    # Risk levels come out in colour order whatever the file order.
    assert [level.colour for level in bundle.risk_levels] == list(RiskColour)
    assert bundle.notices[1].targeting.site_ids == frozenset({"airport-1"})
    assert bundle.hotline("health") is not None
    assert bundle.site("station-1") is not None


def test_documented_example_loads() -> None:
    text = (ROOT / "docs" / "content-format.md").read_text("utf-8")
    example = text.split("\n## Example\n", 1)[1]
    document = example.split("```json\n", 1)[1].split("```", 1)[0]

    bundle = parse_bundle(document.encode("utf-8"), "content-format.md")

    assert bundle.version == 7
    assert bundle.self_check is not None


def test_integral_float_version_becomes_int() -> None:
    document = minimal_document()
    document["version"] = 4.0

    bundle = parse_bundle(encode(document), SOURCE)

    assert bundle.version == 4
    assert isinstance(bundle.version, int)


def test_byte_order_mark_is_accepted() -> None:
    bundle = parse_bundle(b"\xef\xbb\xbf" + MINIMAL_BUNDLE.read_bytes(), SOURCE)

    assert bundle.version == 3


# Rejections of well-formed JSON: each names the file, the JSON path, the bad
# value and what was expected.

def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


REJECTIONS = [
    pytest.param(_set(("version",), "3"), "$.version", "3", "integer",
                 id="wrong-type"),
    pytest.param(_set(("version",), 0), "$.version", 0, "at least 1",
                 id="version-below-minimum"),
    pytest.param(_set(("notices", 0, "colour"), "red"), "$.notices[0].colour", "colour",
                 "severity", id="unknown-field"),
    pytest.param(_set(("notices", 1, "severity"), "critical"), "$.notices[1].severity",
                 "critical", "info, warning, urgent", id="bad-enum"),
    pytest.param(_set(("sites", 0, "site_type"), "spaceport"), "$.sites[0].site_type",
                 "spaceport", "airport", id="bad-site-type"),
    pytest.param(_delete(("hotlines", 1, "number")), "$.hotlines[1].number", None, "number",
                 id="missing-field"),
    pytest.param(_delete(("expires_at",)), "$.expires_at", None, "expires_at",
                 id="missing-top-level-field"),
    pytest.param(_set(("published_at",), "2026-12-01T08:00:00"), "$.published_at",
                 "2026-12-01T08:00:00", "offset", id="timestamp-without-offset"),
    pytest.param(_set(("notices", 0, "validity", "from"), "2026-02-30T08:00:00+08:00"),
                 "$.notices[0].validity.from", "2026-02-30T08:00:00+08:00", "RFC 3339",
                 id="impossible-date"),
    pytest.param(_set(("notices", 0, "published_at"), "yesterday"),
                 "$.notices[0].published_at", "yesterday", "RFC 3339", id="timestamp-as-words"),
    pytest.param(_set(("notices", 1, "id"), "notice-1"), "$.notices[1].id", "notice-1",
                 "unique", id="duplicate-id"),
    pytest.param(_set(("symptoms", 0, "hotline_ids"), ["fire-119"]),
                 "$.symptoms[0].hotline_ids[0]", "fire-119", "hotline",
                 id="unknown-hotline-in-symptom"),
    pytest.param(_set(("risk_levels", 0, "hotline_ids"), ["health", "fire-119"]),
                 "$.risk_levels[0].hotline_ids[1]", "fire-119", "hotline",
                 id="unknown-hotline-in-risk-level"),
    pytest.param(_set(("expires_at",), "2026-11-01T08:00:00+08:00"), "$.expires_at",
                 "2026-11-01T08:00:00+08:00", "later than 2026-12-01T08:00:00+08:00",
                 id="expiry-before-publish"),
    pytest.param(_set(("expires_at",), "2026-12-01T00:00:00Z"), "$.expires_at",
                 "2026-12-01T00:00:00Z", "later than", id="expiry-equal-to-publish"),
    pytest.param(_set(("notices", 0, "validity", "until"), "2026-11-01T08:00:00+08:00"),
                 "$.notices[0].validity.until", "2026-11-01T08:00:00+08:00",
                 "later than 2026-12-01T08:00:00+08:00", id="validity-until-before-from"),
    pytest.param(_set(("notices", 0, "validity", "until"), "2026-12-01T08:00:00+08:00"),
                 "$.notices[0].validity.until", "2026-12-01T08:00:00+08:00", "later than",
                 id="validity-until-equal-to-from"),
    pytest.param(_set(("notices", 0, "title", "english"), "Notice"), "$.notices[0].title",
                 "english", "zh_Hans", id="bad-language-key"),
    pytest.param(_set(("notices", 0, "title"), {}), "$.notices[0].title", None,
                 "at least one language", id="text-without-languages"),
    pytest.param(_set(("notices", 0, "targeting"), {"site_ids": ["airport-9"]}),
                 "$.notices[0].targeting.site_ids[0]", "airport-9", "site",
                 id="unknown-target-site"),
    pytest.param(_set(("notices", 0, "source_url"), "javascript:alert(1)"),
                 "$.notices[0].source_url", "javascript:alert(1)", "https?",
                 id="non-http-source-url"),
    pytest.param(_set(("risk_levels", 1, "colour"), "red"), "$.risk_levels", None,
                 "green, yellow, orange and red", id="risk-colour-twice"),
    pytest.param(_set(("hotlines", 0, "number"), "call us"), "$.hotlines[0].number",
                 "call us", "text matching", id="bad-phone-number"),
]


@pytest.mark.parametrize(("mutate", "location", "value", "expected"), REJECTIONS)
def test_invalid_document_is_rejected(mutate: Callable[[dict[str, Any]], None], location: str,
                                      value: Any, expected: str) -> None:
    document = minimal_document()
    mutate(document)

    error = parse_error(encode(document))

    assert error.source == SOURCE
    assert error.location == location
    if value is not None:
        assert error.value == value
    assert error.expected is not None
    assert expected in error.expected
    message = str(error)
    assert message.startswith(f"{SOURCE}: {location}: ")
    if value is not None:
        assert repr(value) in message


def test_missing_field_names_the_field() -> None:
    document = minimal_document()
    del document["hotlines"][1]["number"]

    error = parse_error(encode(document))

    assert error.problem == "missing required field"
    assert "'number'" in str(error)


def test_unknown_field_lists_accepted_fields() -> None:
    document = minimal_document()
    document["sites"][0]["city"] = "Beijing"

    error = parse_error(encode(document))

    assert error.location == "$.sites[0].city"
    assert error.problem == "unknown field"
    assert error.expected is not None
    assert "site_type" in error.expected


def test_duplicate_json_key_is_rejected_with_path() -> None:
    text = MINIMAL_BUNDLE.read_text("utf-8")
    doubled = text.replace('"severity": "info"', '"severity": "info", "severity": "urgent"')
    assert doubled != text

    error = parse_error(doubled.encode("utf-8"))

    assert error.location == "$.notices[0].severity"
    assert error.value == "severity"
    assert error.expected == "each key once per object"


def test_duplicate_top_level_key_is_rejected() -> None:
    text = MINIMAL_BUNDLE.read_text("utf-8")
    doubled = text.replace('"version": 3,', '"version": 3, "version": 4,')

    error = parse_error(doubled.encode("utf-8"))

    assert error.location == "$.version"


def test_long_value_is_shortened_in_message() -> None:
    document = minimal_document()
    document["notices"][0]["severity"] = "x" * 500

    error = parse_error(encode(document))

    assert error.value == "x" * 500
    assert len(str(error)) < 300
    assert "..." in str(error)


# Malformed and hostile bytes: always ContentError, never another exception.

def _truncated() -> bytes:
    data = MINIMAL_BUNDLE.read_bytes()
    return data[: len(data) // 2]


HOSTILE_INPUTS = [
    pytest.param(b"", "file is empty", id="empty"),
    pytest.param(b" \n\t ", "file is empty", id="whitespace"),
    pytest.param(_truncated(), "invalid JSON", id="truncated"),
    pytest.param(b'{"version": 1', "invalid JSON", id="unclosed-object"),
    pytest.param(b"{'version': 1}", "invalid JSON", id="single-quotes"),
    pytest.param(b"\xff\xfe{\x00}\x00", "not UTF-8", id="utf-16"),
    pytest.param('{"issuer": "caf\u00e9"}'.encode("latin-1"), "not UTF-8", id="latin-1"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deeply-nested-arrays"),
    pytest.param(b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "nested too deeply",
                 id="deeply-nested-objects"),
    pytest.param(b'{"version": NaN}', "number out of range", id="nan"),
    pytest.param(b'{"version": Infinity}', "number out of range", id="infinity"),
    pytest.param(b'{"version": -Infinity}', "number out of range", id="minus-infinity"),
    pytest.param(b'{"version": 1e999}', "number out of range", id="float-overflow"),
    pytest.param(b'{"version": ' + b"9" * 5_000 + b"}", "too many digits", id="huge-integer"),
    pytest.param(b'{"issuer": {"en": "\\ud800"}}', "surrogate", id="lone-surrogate"),
    pytest.param(b'{"\\udfff": 1}', "surrogate", id="lone-surrogate-key"),
    pytest.param(b"null", "wrong type", id="null"),
    pytest.param(b"[]", "wrong type", id="top-level-array"),
    pytest.param(b'"bundle"', "wrong type", id="top-level-string"),
    pytest.param(b"{}", "missing required field", id="empty-object"),
    pytest.param(b"\x00\x01\x02", "invalid JSON", id="binary"),
]


@pytest.mark.parametrize(("data", "problem"), HOSTILE_INPUTS)
def test_hostile_input_gives_content_error(data: bytes, problem: str) -> None:
    error = parse_error(data)

    assert error.source == SOURCE
    assert problem in error.problem


def test_depth_limit_allows_the_maximum() -> None:
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH

    error = parse_error(nested)

    # Decoding succeeds; the schema then rejects the array.
    assert error.problem.startswith("wrong type")


def test_brackets_in_strings_are_not_nesting() -> None:
    document = minimal_document()
    document["notices"][0]["body"]["en"] = "[" * (MAX_JSON_DEPTH * 4) + '\\"{'

    bundle = parse_bundle(encode(document), SOURCE)

    assert bundle.notices[0].body["en"].startswith("[[[")


def test_oversized_input_is_rejected_before_decoding() -> None:
    data = b"{" + b" " * MAX_BUNDLE_BYTES

    error = parse_error(data)

    assert error.problem == "file too large"
    assert error.value == MAX_BUNDLE_BYTES + 1


def test_oversized_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as stream:
        stream.truncate(MAX_BUNDLE_BYTES + 10)

    with pytest.raises(ContentError) as caught:
        load_bundle(path)

    assert caught.value.source == str(path)
    assert caught.value.problem == "file too large"


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(ContentError) as caught:
        load_bundle(path)

    assert caught.value.source == str(path)
    assert "cannot read file" in caught.value.problem


def test_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load_bundle(tmp_path)

    assert caught.value.source == str(tmp_path)


# Properties: whatever the input, the loader returns a Bundle or raises ContentError.

@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_bundle_or_content_error(data: bytes) -> None:
    try:
        result = parse_bundle(data, SOURCE)
    except ContentError:
        return
    assert isinstance(result, Bundle)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, member in value.items():
            found.extend(_paths(member, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


MINIMAL_PATHS = _paths(minimal_document())
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
SCALAR_CANDIDATES: st.SearchStrategy[Any] = st.sampled_from([
    "2026-12-05T08:00:00+08:00", "2027-01-01T00:00:00Z", "2026-12-01T08:00:00", "", "zh_Hant",
    "red", "urgent", "airport", "CN", "health", "fever", 0, 1, -1, 2**63, [], {}, None, True,
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MINIMAL_PATHS), JSON_VALUES | SCALAR_CANDIDATES, st.booleans())
def test_mutated_bundle_gives_bundle_or_content_error(
        path: tuple[str | int, ...], replacement: Any, delete: bool) -> None:
    document = copy.deepcopy(minimal_document())
    if delete:
        _delete(path)(document)
    else:
        _set(path, replacement)(document)

    try:
        result = parse_bundle(encode(document), SOURCE)
    except ContentError:
        return
    assert isinstance(result, Bundle)
