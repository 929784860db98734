"""Read, validate and build bundles: the one way every part of the system reads content."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from kiosk.content.decision import check_decision_table
from kiosk.content.errors import ContentError
from kiosk.content.model import (
    Bundle,
    Hotline,
    LocalizedText,
    Notice,
    RiskColour,
    RiskLevel,
    SelfCheck,
    SelfCheckQuestion,
    SelfCheckRule,
    Severity,
    Site,
    SymptomGuidance,
    Targeting,
    TravelRule,
    Validity,
)

logger = logging.getLogger(__name__)

#: Largest bundle file accepted, in bytes. 10,000 notices in seven languages
#: take about 20 MB of JSON.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Deepest JSON nesting accepted; the schema itself needs 6 levels.
MAX_JSON_DEPTH = 32


@cache
def bundle_schema() -> dict[str, Any]:
    """Return the bundle JSON Schema shipped with the package."""
    text = resources.files("kiosk.content").joinpath("bundle.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.Draft202012Validator:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(bundle_schema(), format_checker=checker)


def load_bundle(path: Path) -> Bundle:
    """Read and validate the bundle file at ``path``.

    Raises ContentError naming the file for a missing, oversized or invalid file.
    """
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BUNDLE_BYTES + 1)
    except OSError as error:
        raise ContentError(source, "$", f"cannot read file: {error.strerror}") from error
    return parse_bundle(data, source)


def parse_bundle(data: bytes, source: str) -> Bundle:
    """Decode, validate and build a bundle from the raw bytes of a bundle file."""
    document = decode_document(data, source)
    validate_document(document, source)
    return build_bundle(document)


def decode_document(data: bytes, source: str) -> Any:
    """Decode bundle bytes as strict JSON: UTF-8, no duplicate keys, no NaN."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise ContentError(source, "$", "file too large", len(data),
                           f"at most {MAX_BUNDLE_BYTES} bytes")
    if not data.strip():
        raise ContentError(source, "$", "file is empty", expected="a JSON object")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError(source, "$", f"not UTF-8 at byte {error.start}",
                           expected="UTF-8 encoded JSON") from error
    _check_depth(text, source)
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ContentError(source, f"line {error.lineno} column {error.colno}",
                           f"invalid JSON: {error.msg}") from error
    except _DuplicateKey as error:
        raise ContentError(source, "$", "duplicate key in an object", error.key,
                           "each key once per object") from error


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not allowed", name, 0)


def _check_depth(text: str, source: str) -> None:
    # json.loads recurses per nesting level, so a hostile file of a million
    # "[" would hit RecursionError deep in the parser. Count brackets first,
    # ignoring those inside strings.
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ContentError(source, "$", "JSON nested too deeply", depth,
                                   f"at most {MAX_JSON_DEPTH} levels")
        elif char in "]}":
            depth -= 1


def _json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_document(document: Any, source: str) -> None:
    """Check a decoded bundle against the schema and the rules the schema cannot state.

    Raises ContentError for the first problem found, naming its JSON path.
    """
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise ContentError(source, _json_path(error.absolute_path), _schema_problem(error),
                           error.instance if not isinstance(error.instance, dict | list) else None,
                           _schema_expectation(error))
    _check_semantics(document, source)


def _schema_problem(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("'", '"')
    if error.validator == "additionalProperties":
        return "unknown field: " + error.message.split("(")[-1].rstrip(")")
    return "invalid value"


def _schema_expectation(error: jsonschema.ValidationError) -> str | None:
    rule = error.validator_value
    match error.validator:
        case "enum":
            return "one of " + ", ".join(map(str, rule))
        case "const":
            return repr(rule)
        case "type":
            return f"a JSON {rule}"
        case "pattern":
            return f"text matching {rule}"
        case "format":
            return "an RFC 3339 date-time with an offset" if rule == "date-time" else rule
        case "minimum":
            return f"at least {rule}"
        case "maxLength":
            return f"at most {rule} characters"
        case "minLength":
            return f"at least {rule} characters"
        case "minItems" | "maxItems":
            return f"{'at least' if error.validator == 'minItems' else 'at most'} {rule} items"
        case "minProperties":
            return "text in at least one language"
        case "uniqueItems":
            return "no repeated entries"
        case "propertyNames":
            return "language identifiers such as zh_Hans, en, ar"
        case _:
            return None


def _check_semantics(document: Mapping[str, Any], source: str) -> None:
    if _parse_time(document["expires_at"]) <= _parse_time(document["published_at"]):
        raise ContentError(source, "$.expires_at", "expiry is not after the publish time",
                           document["expires_at"], f"later than {document['published_at']}")

    for section in ("sites", "notices", "travel_rules", "symptoms", "hotlines"):
        _check_unique_ids(document[section], section, source)

    colours = [level["colour"] for level in document["risk_levels"]]
    if sorted(colours) != sorted(colour.value for colour in RiskColour):
        raise ContentError(source, "$.risk_levels", "each risk colour must appear once", colours,
                           "green, yellow, orange and red")

    hotline_ids = {line["id"] for line in document["hotlines"]}
    for section in ("symptoms", "risk_levels"):
        for index, item in enumerate(document[section]):
            for position, hotline_id in enumerate(item.get("hotline_ids", [])):
                if hotline_id not in hotline_ids:
                    raise ContentError(source, f"$.{section}[{index}].hotline_ids[{position}]",
                                       "unknown hotline", hotline_id, "the id of a hotline")

    for section in ("notices", "travel_rules", "symptoms", "hotlines"):
        for index, item in enumerate(document[section]):
            window = item.get("validity", {})
            if "from" in window and "until" in window and (
                    _parse_time(window["until"]) <= _parse_time(window["from"])):
                raise ContentError(source, f"$.{section}[{index}].validity.until",
                                   "validity ends before it starts", window["until"],
                                   f"later than {window['from']}")

    if "self_check" in document:
        check_decision_table(document["self_check"], source)


def _check_unique_ids(items: Sequence[Mapping[str, Any]], section: str, source: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] in seen:
            raise ContentError(source, f"$.{section}[{index}].id", "duplicate id", item["id"],
                               f"ids unique within {section}")
        seen.add(item["id"])


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        # The schema's date-time format requires an offset; this only guards callers
        # that build documents without validating.
        raise ValueError(f"timestamp without an offset: {text}")
    return moment


def _optional_time(mapping: Mapping[str, Any], key: str) -> datetime | None:
    return _parse_time(mapping[key]) if key in mapping else None


def _text(value: Mapping[str, str] | None) -> LocalizedText:
    return dict(value or {})


def _validity(item: Mapping[str, Any]) -> Validity:
    window = item.get("validity", {})
    return Validity(_optional_time(window, "from"), _optional_time(window, "until"))


def _targeting(item: Mapping[str, Any]) -> Targeting:
    target = item.get("targeting", {})
    return Targeting(frozenset(target.get("site_ids", ())), frozenset(target.get("site_types", ())),
                     frozenset(target.get("regions", ())))


def build_bundle(document: Mapping[str, Any]) -> Bundle:
    """Build the content model from a document that passed ``validate_document``."""
    return Bundle(
        version=document["version"],
        published_at=_parse_time(document["published_at"]),
        expires_at=_parse_time(document["expires_at"]),
        default_language=document["default_language"],
        issuer=_text(document["issuer"]),
        sample=document.get("sample", False),
        sites=tuple(Site(s["id"], _text(s["name"]), s["site_type"], s["region"])
                    for s in document["sites"]),
        notices=tuple(_notice(item) for item in document["notices"]),
        travel_rules=tuple(
            TravelRule(r["id"], _text(r["title"]), _text(r["body"]), r.get("source_url"),
                       _validity(r), _targeting(r))
            for r in document["travel_rules"]),
        symptoms=tuple(
            SymptomGuidance(s["id"], _text(s["title"]), _text(s["body"]),
                            tuple(s.get("hotline_ids", ())), _validity(s), _targeting(s))
            for s in document["symptoms"]),
        risk_levels=tuple(
            RiskLevel(RiskColour(r["colour"]), _text(r["label"]), _text(r["criteria"]),
                      _text(r["advice"]), tuple(r.get("hotline_ids", ())))
            for r in sorted(document["risk_levels"],
                            key=lambda r: [c.value for c in RiskColour].index(r["colour"]))),
        hotlines=tuple(
            Hotline(h["id"], _text(h["name"]), h["number"], _text(h["hours"]), _text(h["scope"]),
                    _validity(h), _targeting(h))
            for h in document["hotlines"]),
        self_check=_self_check(document.get("self_check")),
    )


def _notice(item: Mapping[str, Any]) -> Notice:
    return Notice(
        id=item["id"],
        title=_text(item["title"]),
        body=_text(item["body"]),
        severity=Severity[item["severity"].upper()],
        issuer=_text(item["issuer"]),
        source_url=item.get("source_url"),
        published_at=_optional_time(item, "published_at"),
        validity=_validity(item),
        targeting=_targeting(item),
        instruction=_text(item.get("instruction")),
    )


def _self_check(section: Mapping[str, Any] | None) -> SelfCheck | None:
    if section is None:
        return None
    return SelfCheck(
        questions=tuple(SelfCheckQuestion(q["id"], _text(q["text"])) for q in section["questions"]),
        rules=tuple(SelfCheckRule(tuple(r["any_yes"]), RiskColour(r["colour"]))
                    for r in section["rules"]),
        guidance_url=section.get("guidance_url"),
    )
