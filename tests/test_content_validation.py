"""Tests for bundle validation: the compiled validator against jsonschema, and its error messages."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.content import ContentError, bundle_validator, parse_bundle, validation
from kiosk.content.loader import load_bundle
from kiosk.content.validation import (
    GENERATED_FILE,
    _compiled_validator,
    _validator,
    bundle_schema,
    generate_validator_code,
    schema_sha256,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "assets" / "content" / "default-bundle.json"
MINIMAL_BUNDLE = ROOT / "tests" / "fixtures" / "content" / "minimal-bundle.json"
SOURCE = "bundle.json"


def minimal_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MINIMAL_BUNDLE.read_text("utf-8"))
    return document


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def compiled_accepts(document: Any) -> bool:
    try:
        _compiled_validator()(document)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def jsonschema_accepts(document: Any) -> bool:
    return next(_validator().iter_errors(document), None) is None


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, member in value.items():
            found.extend(_paths(member, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple[str | int, ...], value: Any, delete: bool) -> None:
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value


MINIMAL_PATHS = _paths(minimal_document())
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Values close to valid ones, so that mutations also reach the keyword checks
# behind the type checks: patterns, formats, enums, lengths and bounds.
NEAR_VALID: st.SearchStrategy[Any] = st.sampled_from([
    "2026-12-05T08:00:00+08:00", "2026-02-30T08:00:00+08:00", "2026-12-05T08:00:00",
    "2026-12-05T08:00:00+08:00\n", "zh_Hant", "zh_Hant\n", "EN", "red", "purple", "urgent",
    "airport", "spaceport", "CN", "CN-BJ\n", "health", "fever\n", "https://example.org/a",
    "https://example.org/a\n", "javascript:alert(1)", "+86 10 12345", "", "x" * 129,
    0, 1, 1.0, 1.5, -1, 2**63, True, False, None, [], {}, {"en": ""}, {"en": "Text"},
    {"english": "Text"}, ["pek-t3", "pek-t3"], ["airport", "airport"], ["CN"],
])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MINIMAL_PATHS), JSON_VALUES | NEAR_VALID, st.booleans())
def test_compiled_validator_agrees_with_jsonschema(path: tuple[str | int, ...], value: Any,
                                                   delete: bool) -> None:
    document = copy.deepcopy(minimal_document())
    _replace(document, path, value, delete)

    compiled = compiled_accepts(document)
    reference = jsonschema_accepts(document)

    if compiled:
        assert reference, "fastjsonschema accepted a document that jsonschema rejects"
    if reference and not compiled:
        # The one known difference: Python's "$" matches before a final
        # newline, the ECMA-262 "$" that JSON Schema specifies does not.
        with pytest.raises(fastjsonschema.JsonSchemaValueException) as caught:
            _compiled_validator()(document)
        assert caught.value.rule == "pattern"
        assert str(caught.value.value).endswith("\n")


def test_compiled_validator_accepts_default_bundle() -> None:
    document = json.loads(DEFAULT_BUNDLE.read_text("utf-8"))

    assert compiled_accepts(document)


def test_compiled_validator_leaves_defaults_out() -> None:
    document = minimal_document()
    document.pop("sample", None)
    for notice in document["notices"]:
        notice.pop("takeover", None)
    before = copy.deepcopy(document)

    _compiled_validator()(document)

    assert document == before


def test_id_with_final_newline_is_rejected() -> None:
    document = minimal_document()
    document["notices"][0]["id"] = "masks\n"

    with pytest.raises(ContentError) as caught:
        parse_bundle(encode(document), SOURCE)

    assert caught.value.location == "$.notices[0].id"
    assert caught.value.value == "masks\n"
    assert caught.value.expected is not None
    assert "no line break" in caught.value.expected


def test_language_key_with_final_newline_is_rejected() -> None:
    document = minimal_document()
    document["issuer"]["en\n"] = "Health Authority"

    with pytest.raises(ContentError) as caught:
        parse_bundle(encode(document), SOURCE)

    assert caught.value.location.startswith("$.issuer")
    assert caught.value.source == SOURCE


def test_format_checker_rejects_impossible_date() -> None:
    document = minimal_document()
    document["published_at"] = "2026-02-30T08:00:00+08:00"

    assert not compiled_accepts(document)
    assert not jsonschema_accepts(document)


def test_large_bundle_loads() -> None:
    document = json.loads(DEFAULT_BUNDLE.read_text("utf-8"))
    templates = document["notices"]
    document["notices"] = [dict(templates[index % len(templates)], id=f"notice-{index}")
                           for index in range(2_000)]

    bundle = parse_bundle(encode(document), SOURCE)

    assert len(bundle.notices) == 2_000
    assert bundle.notices[-1].id == "notice-1999"


def test_compiling_validator_leaves_shared_schema_intact(default_bundle_path: Path) -> None:
    from importlib import resources

    shipped = json.loads(resources.files("kiosk.content").joinpath("bundle.schema.json")
                         .read_text("utf-8"))
    load_bundle(default_bundle_path)

    assert bundle_schema() == shipped


def test_generated_validator_matches_schema() -> None:
    assert bundle_validator.SCHEMA_SHA256 == schema_sha256(), (
        "bundle_validator.py was generated from another schema; "
        "run `python -m kiosk.content.generate_validator`")


def test_generated_validator_is_generator_output() -> None:
    if bundle_validator.VERSION != fastjsonschema.VERSION:
        pytest.skip(f"bundle_validator.py comes from fastjsonschema {bundle_validator.VERSION}, "
                    f"{fastjsonschema.VERSION} is installed, whose code may differ")

    assert GENERATED_FILE.read_text("utf-8") == generate_validator_code()


def test_stale_generated_validator_falls_back(monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(bundle_validator, "SCHEMA_SHA256", "0" * 64)
    _compiled_validator.cache_clear()
    try:
        with caplog.at_level("WARNING", logger=validation.__name__):
            fallback = _compiled_validator()
        document = minimal_document()
        fallback(document)
        document["version"] = "three"
        with pytest.raises(fastjsonschema.JsonSchemaValueException):
            fallback(document)
    finally:
        _compiled_validator.cache_clear()

    assert "generated from another schema" in caplog.text
    assert fallback.func is not bundle_validator.validate


def test_unimportable_generated_validator_falls_back(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    real_import = validation.importlib.import_module

    def import_module(name: str) -> object:
        if name == validation.GENERATED_MODULE:
            raise ImportError("cannot import name 'JsonSchemaValueException'")
        return real_import(name)

    monkeypatch.setattr(validation.importlib, "import_module", import_module)
    _compiled_validator.cache_clear()
    try:
        with caplog.at_level("WARNING", logger=validation.__name__):
            fallback = _compiled_validator()
        fallback(minimal_document())
    finally:
        _compiled_validator.cache_clear()

    assert "Cannot import" in caplog.text
    assert fallback.func is not bundle_validator.validate
