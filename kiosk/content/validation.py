"""Validation of a decoded bundle: the JSON Schema, then the rules the schema cannot state."""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

from kiosk.content.decision import check_decision_table
from kiosk.content.errors import ContentError
from kiosk.content.model import RiskColour

#: Sections whose items carry an ``id``, a validity window and targeting.
TARGETED_SECTIONS = ("notices", "travel_rules", "symptoms", "hotlines")

if TYPE_CHECKING:
    # jsonschema takes about 0.1 s to import and only explains invalid
    # bundles, so it is imported when the first one arrives.
    import jsonschema

logger = logging.getLogger(__name__)

# One member (".notices") or index ("[0]") of a value name from fastjsonschema.
_NAME_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


@cache
def bundle_schema() -> dict[str, Any]:
    """Return the bundle JSON Schema shipped with the package."""
    text = resources.files("kiosk.content").joinpath("bundle.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp that passed the schema into an aware datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        # The schema requires an offset, so this only guards callers that build
        # documents without validating them.
        raise ValueError(f"timestamp without an offset: {text}")
    return moment


def _is_timestamp(instance: object) -> bool:
    # jsonschema checks "date-time" only when the optional rfc3339-validator
    # package is installed, so the loader checks it itself. The schema's pattern
    # fixes the shape. This adds the ranges: month 13, 30 February, offset +25:00.
    if not isinstance(instance, str):
        return True
    try:
        return parse_time(instance).tzinfo is not None
    except ValueError:
        return False


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(_is_timestamp)
    return jsonschema.Draft202012Validator(bundle_schema(), format_checker=checker)


#: Module of validator code generated from the schema by fastjsonschema.
GENERATED_MODULE = "kiosk.content.bundle_validator"
GENERATED_FILE = Path(__file__).with_name("bundle_validator.py")


def schema_sha256() -> str:
    """Return the SHA-256 of the shipped schema file, which the generated validator records."""
    data = resources.files("kiosk.content").joinpath("bundle.schema.json").read_bytes()
    return hashlib.sha256(data).hexdigest()


def generate_validator_code() -> str:
    """Return the source of the validator module that fastjsonschema generates from the schema.

    fastjsonschema's generator for draft 2019-09 also covers this schema,
    which uses no keyword that changed in 2020-12. use_default=False keeps
    the code from writing "default" values into the document. The generator
    rewrites every "$ref" of the schema it is given into an absolute URI, so
    it gets a copy of the shared schema.
    """
    code = fastjsonschema.compile_to_code(copy.deepcopy(bundle_schema()),
                                          formats={"date-time": _is_timestamp}, use_default=False)
    entry = "validate_" + re.sub(r"\W", "_", bundle_schema()["$id"])
    return (f"# Generated from bundle.schema.json by fastjsonschema {fastjsonschema.VERSION}.\n"
            "# Do not edit: run `python -m kiosk.content.generate_validator` after changing the schema.\n"
            "# ruff: noqa\n"
            f"SCHEMA_SHA256 = {schema_sha256()!r}\n"
            f"{code}\n\n"
            f"validate = {entry}\n")


@cache
def _compiled_validator() -> Callable[[Any], Any]:
    # Validation runs generated Python code: on a bundle of 1,000 notices it
    # took about 30 ms where jsonschema took about 600 ms
    # (tests/benchmarks/bench_content.py on a 2-core AMD EPYC). The code is
    # generated ahead of time and shipped, because generating and compiling
    # it took about 80 ms of every start-up.
    formats = {"date-time": _is_timestamp}
    try:
        generated = importlib.import_module(GENERATED_MODULE)
    except ImportError as error:
        # The generated code imports names from fastjsonschema, which a newer
        # release could move.
        logger.warning("Cannot import %s (%s); compiling the validator at start-up.",
                       GENERATED_MODULE, error)
    else:
        if generated.SCHEMA_SHA256 == schema_sha256():
            return partial(generated.validate, custom_formats=formats)
        logger.warning("%s was generated from another schema; compiling the validator at start-up. "
                       "Run `python -m kiosk.content.generate_validator` to generate it again.",
                       GENERATED_MODULE)
    namespace: dict[str, Any] = {}
    exec(compile(generate_validator_code(), GENERATED_FILE.name, "exec"), namespace)  # noqa: S102
    return partial(namespace["validate"], custom_formats=formats)


def validate_document(document: Any, source: str) -> None:
    """Check a decoded bundle against the schema and the rules the schema cannot state.

    Raises ContentError for the first problem found, naming its JSON path.
    """
    try:
        _compiled_validator()(document)
    except fastjsonschema.JsonSchemaValueException as fast_error:
        # Only an invalid bundle pays for jsonschema, which gives every error
        # with its schema keyword, so the message can state what was expected.
        from jsonschema.exceptions import best_match

        errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            raise _schema_error(best_match(errors), source) from fast_error
        raise _compiled_error(fast_error, source) from fast_error
    _check_semantics(document, source)


def json_path(parts: Iterable[str | int]) -> str:
    """Return a JSON path such as ``$.notices[2].title`` for a sequence of keys and indexes."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def _json_type(instance: object) -> str:
    match instance:
        case dict():
            return "object"
        case list():
            return "array"
        case str():
            return "string"
        case bool():
            return "boolean"
        case int() | float():
            return "number"
        case _:
            return "null"


def _schema_error(error: jsonschema.ValidationError, source: str) -> ContentError:
    path = list(error.absolute_path)
    instance = error.instance
    rule = error.validator_value
    # Objects and arrays are left out of the message: they can be megabytes long.
    value = None if isinstance(instance, dict | list) else instance

    match error.validator:
        case "required":
            missing = [name for name in rule if name not in instance]
            return ContentError(source, json_path([*path, missing[0]]), "missing required field",
                                expected=f"a field named {missing[0]!r} in this object")
        case "additionalProperties":
            allowed = error.schema.get("properties", {})
            extra = [name for name in instance if name not in allowed]
            return ContentError(source, json_path([*path, extra[0]]), "unknown field", extra[0],
                                "one of the fields " + ", ".join(sorted(allowed)))
        case "type":
            return ContentError(source, json_path(path),
                                f"wrong type: a JSON {_json_type(instance)}", value,
                                f"a JSON {rule}")
        case "format" | "pattern" if _is_timestamp_rule(error):
            return ContentError(source, json_path(path), "invalid timestamp", value,
                                "an RFC 3339 date-time with an offset, such as "
                                "2026-12-04T08:00:00+08:00")
        case "pattern" if error.validator_value == _language_pattern():
            # Also reached for a bad key in a text object, through propertyNames.
            return ContentError(source, json_path(path), "invalid language identifier", value,
                                "a CLDR language identifier such as zh_Hans, en or ar")
        case _:
            return ContentError(source, json_path(path), "invalid value", value,
                                _schema_expectation(error))


def _compiled_error(error: fastjsonschema.JsonSchemaValueException, source: str) -> ContentError:
    # Python's "$" also matches before a final newline, so jsonschema lets
    # "en\n" pass the pattern ^[a-z]{2,3}...$. JSON Schema patterns follow
    # ECMA-262, where "$" matches only at the end, and fastjsonschema does the
    # same. The bundle is invalid, so report what fastjsonschema found.
    path = _compiled_path(error.name or "data")
    value = None if isinstance(error.value, dict | list) else error.value
    rule = (error.definition or {}).get(error.rule or "")
    if error.rule == "pattern":
        expected = f"text matching {rule} with no line break at the end"
    else:
        expected = f"a value that meets the schema keyword {error.rule!r}"
    logger.debug("jsonschema accepted what fastjsonschema rejected: %s", error.message)
    return ContentError(source, json_path(path), "invalid value", value, expected)


def _compiled_path(name: str) -> list[str | int]:
    # fastjsonschema names the value "data.notices[0].id". A key that contains
    # a dot or a bracket splits wrongly, which only affects the error message.
    return [int(index) if index else key
            for key, index in _NAME_PART.findall(name.removeprefix("data"))]


def _is_timestamp_rule(error: jsonschema.ValidationError) -> bool:
    timestamp = bundle_schema()["$defs"]["timestamp"]
    return error.validator_value in (timestamp["format"], timestamp["pattern"])


def _language_pattern() -> str:
    pattern: str = bundle_schema()["$defs"]["language"]["pattern"]
    return pattern


def _schema_expectation(error: jsonschema.ValidationError) -> str | None:
    rule = error.validator_value
    match error.validator:
        case "enum":
            return "one of " + ", ".join(map(str, rule))
        case "const":
            return repr(rule)
        case "pattern":
            return f"text matching {rule}"
        case "minimum":
            return f"at least {rule}"
        case "maxLength":
            return f"at most {rule} characters"
        case "minLength":
            return f"at least {rule} characters"
        case "minItems":
            return f"at least {rule} items"
        case "maxItems":
            return f"at most {rule} items"
        case "minProperties":
            return "text in at least one language"
        case "uniqueItems":
            return "no repeated entries"
        case _:
            return None


def _check_semantics(document: Mapping[str, Any], source: str) -> None:
    if parse_time(document["expires_at"]) <= parse_time(document["published_at"]):
        raise ContentError(source, "$.expires_at", "expiry is not after the publish time",
                           document["expires_at"], f"later than {document['published_at']}")

    for section in ("sites", *TARGETED_SECTIONS):
        _check_unique_ids(document[section], section, source)

    colours = [level["colour"] for level in document["risk_levels"]]
    if sorted(colours) != sorted(colour.value for colour in RiskColour):
        raise ContentError(source, "$.risk_levels", "each risk colour must appear once", colours,
                           "green, yellow, orange and red")

    _check_hotline_references(document, source)
    _check_windows_and_targets(document, source)

    if "self_check" in document:
        check_decision_table(document["self_check"], source)


def _check_unique_ids(items: Sequence[Mapping[str, Any]], section: str, source: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] in seen:
            raise ContentError(source, f"$.{section}[{index}].id", "duplicate id", item["id"],
                               f"ids unique within {section}")
        seen.add(item["id"])


def _check_hotline_references(document: Mapping[str, Any], source: str) -> None:
    hotline_ids = {line["id"] for line in document["hotlines"]}
    for section in ("symptoms", "risk_levels"):
        for index, item in enumerate(document[section]):
            for position, hotline_id in enumerate(item.get("hotline_ids", [])):
                if hotline_id not in hotline_ids:
                    raise ContentError(source, f"$.{section}[{index}].hotline_ids[{position}]",
                                       "unknown hotline", hotline_id, "the id of a hotline")


def _check_windows_and_targets(document: Mapping[str, Any], source: str) -> None:
    site_ids = {site["id"] for site in document["sites"]}
    for section in TARGETED_SECTIONS:
        for index, item in enumerate(document[section]):
            window = item.get("validity", {})
            if "from" in window and "until" in window and (
                    parse_time(window["until"]) <= parse_time(window["from"])):
                raise ContentError(source, f"$.{section}[{index}].validity.until",
                                   "validity ends before it starts", window["until"],
                                   f"later than {window['from']}")
            # Selection looks a kiosk's site up in this bundle, so a target id
            # that names no site here would never match any kiosk.
            targets = item.get("targeting", {}).get("site_ids", [])
            for position, site_id in enumerate(targets):
                if site_id not in site_ids:
                    raise ContentError(source,
                                       f"$.{section}[{index}].targeting.site_ids[{position}]",
                                       "unknown site", site_id, "the id of a site in $.sites")
