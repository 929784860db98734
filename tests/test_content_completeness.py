"""Tests for translation completeness, and for the translations of the shipped default bundle."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kiosk.content import missing_translations
from kiosk.content.completeness import text_fields
from kiosk.i18n.languages import KIOSK_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "assets" / "content" / "default-bundle.json"
MINIMAL_BUNDLE = ROOT / "tests" / "fixtures" / "content" / "minimal-bundle.json"

# Keys whose values the schema declares as passenger-facing text.
TEXT_KEYS = {"issuer", "name", "title", "body", "instruction", "label", "criteria", "advice",
             "hours", "scope", "text"}
CJK_LANGUAGES = {"zh_Hans", "zh_Hant", "ja", "ko"}
HOTLINE_NUMBER = re.compile(r"(?<![\d.,])(110|120|12306|12320|12326|12328|12345)(?!\d)")


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


def texts_by_key(value: Any, path: str = "$") -> list[tuple[str, dict[str, str]]]:
    """Find text objects by key name, independently of the schema walk under test."""
    found: list[tuple[str, dict[str, str]]] = []
    if isinstance(value, dict):
        for key, member in value.items():
            member_path = f"{path}.{key}"
            if key in TEXT_KEYS and isinstance(member, dict):
                found.append((member_path, member))
            else:
                found.extend(texts_by_key(member, member_path))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(texts_by_key(item, f"{path}[{index}]"))
    return found


# The completeness functions.

def test_text_fields_finds_every_text() -> None:
    for path in (DEFAULT_BUNDLE, MINIMAL_BUNDLE):
        document = load(path)

        assert dict(text_fields(document)) == dict(texts_by_key(document))


def test_text_fields_paths() -> None:
    paths = [path for path, _ in text_fields(load(MINIMAL_BUNDLE))]

    assert "$.issuer" in paths
    assert "$.sites[1].name" in paths
    assert "$.notices[0].body" in paths
    assert "$.risk_levels[3].advice" in paths
    assert "$.hotlines[0].scope" in paths
    assert "$.self_check.questions[1].text" in paths
    assert "$.sites[0].site_type" not in paths


def test_missing_translation_is_reported_by_path() -> None:
    document = copy.deepcopy(load(MINIMAL_BUNDLE))
    del document["notices"][1]["body"]["en"]
    document["hotlines"][0]["hours"]["en"] = ""

    assert missing_translations(document, "en") == ["$.notices[1].body", "$.hotlines[0].hours"]
    assert missing_translations(document, "zh_Hans") == []


def test_language_absent_everywhere_lists_every_text() -> None:
    document = load(MINIMAL_BUNDLE)

    assert missing_translations(document, "ja") == [path for path, _ in text_fields(document)]


# The shipped default bundle.

@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_default_bundle_complete_in_main_languages(language: str) -> None:
    assert missing_translations(load(DEFAULT_BUNDLE), language) == []


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_default_bundle_risk_levels_and_hotlines_complete(language: str) -> None:
    missing = missing_translations(load(DEFAULT_BUNDLE), language)

    assert [path for path in missing if path.startswith(("$.risk_levels", "$.hotlines"))] == []


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_default_bundle_complete_in_every_language(language: str) -> None:
    assert missing_translations(load(DEFAULT_BUNDLE), language) == []


def test_default_bundle_texts_are_trimmed() -> None:
    for path, text in text_fields(load(DEFAULT_BUNDLE)):
        for language, value in text.items():
            assert value == value.strip(), (path, language)
            assert "  " not in value, (path, language)


def test_default_bundle_titles_fit_one_line() -> None:
    for path, text in text_fields(load(DEFAULT_BUNDLE)):
        if not path.endswith((".title", ".label", ".name", ".hours")):
            continue
        for language, value in text.items():
            limit = 24 if language in CJK_LANGUAGES else 60
            assert "\n" not in value, (path, language)
            assert len(value) <= limit, (path, language, len(value))


def test_default_bundle_bodies_are_short() -> None:
    for path, text in text_fields(load(DEFAULT_BUNDLE)):
        for language, value in text.items():
            paragraphs = value.split("\n\n")
            limit = 160 if language in CJK_LANGUAGES else 400
            assert len(paragraphs) <= 3, (path, language)
            assert all(paragraph.strip() for paragraph in paragraphs), (path, language)
            assert len(value) <= limit, (path, language, len(value))


def test_translations_name_same_hotline_numbers() -> None:
    for path, text in text_fields(load(DEFAULT_BUNDLE)):
        numbers = {language: set(HOTLINE_NUMBER.findall(value))
                   for language, value in text.items()}
        assert all(found == numbers["zh_Hans"] for found in numbers.values()), (path, numbers)


def test_default_bundle_numbers_in_advice_are_linked() -> None:
    document = load(DEFAULT_BUNDLE)
    number_of = {line["id"]: line["number"] for line in document["hotlines"]}

    for section, field in (("symptoms", "body"), ("risk_levels", "advice")):
        for item in document[section]:
            linked = {number_of[hotline_id] for hotline_id in item["hotline_ids"]}
            mentioned = set(HOTLINE_NUMBER.findall(item[field]["zh_Hans"]))
            assert mentioned <= linked, (section, item.get("id", item.get("colour")))
