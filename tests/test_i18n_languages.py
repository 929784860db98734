"""Tests for the kiosk languages, the CLDR fallback chain and text resolution."""

from __future__ import annotations

import pytest
from babel import Locale

from kiosk.i18n.languages import (
    DEFAULT_LANGUAGE,
    KIOSK_LANGUAGES,
    endonym,
    fallback_chain,
    parent_language,
    resolve_text,
    text_direction,
)


def test_kiosk_languages() -> None:
    assert DEFAULT_LANGUAGE == "zh_Hans"
    assert KIOSK_LANGUAGES == ("zh_Hans", "en", "zh_Hant", "ja", "ko", "ru", "ar")


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_kiosk_language_is_a_cldr_locale(language: str) -> None:
    assert str(Locale.parse(language)) == language


@pytest.mark.parametrize(("language", "chain"), [
    ("zh_Hans", ("zh_Hans", "zh")),
    ("en", ("en", "zh_Hans")),
    ("zh_Hant", ("zh_Hant", "zh_Hans")),
    ("ja", ("ja", "zh_Hans")),
    ("ko", ("ko", "zh_Hans")),
    ("ru", ("ru", "zh_Hans")),
    ("ar", ("ar", "zh_Hans")),
])
def test_fallback_chain(language: str, chain: tuple[str, ...]) -> None:
    assert fallback_chain(language) == chain


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_fallback_chain_ends_with_default(language: str) -> None:
    chain = fallback_chain(language, "en")

    assert chain[0] == language
    assert chain[-1] == "en"
    assert len(set(chain)) == len(chain)


@pytest.mark.parametrize(("language", "chain"), [
    ("zh_Hant_TW", ("zh_Hant_TW", "zh_Hant", "zh_Hans")),
    ("zh_Hant_HK", ("zh_Hant_HK", "zh_Hant", "zh_Hans")),
    ("zh_Hant_MO", ("zh_Hant_MO", "zh_Hant_HK", "zh_Hant", "zh_Hans")),
    ("zh_Hans_SG", ("zh_Hans_SG", "zh_Hans", "zh")),
    ("en_GB", ("en_GB", "en_001", "en", "zh_Hans")),
    ("ar_EG", ("ar_EG", "ar", "zh_Hans")),
])
def test_regional_variants_follow_cldr_parents(language: str, chain: tuple[str, ...]) -> None:
    assert fallback_chain(language) == chain


@pytest.mark.parametrize("language", ["zh_Hant", "zh_Hant_TW", "zh_Hant_HK", "zh_Hant_MO"])
def test_traditional_chinese_never_passes_through_zh(language: str) -> None:
    assert "zh" not in fallback_chain(language)
    assert "zh" not in fallback_chain(language, "en")


def test_zh_hant_parent_is_root() -> None:
    assert parent_language("zh_Hant") is None
    assert parent_language("zh_Hans") == "zh"
    assert parent_language("en") is None


def test_zh_hant_reaches_zh_hans_only_as_default() -> None:
    text = {"zh": "通用", "zh_Hans": "简体", "en": "English"}

    with_chinese_default = resolve_text(text, "zh_Hant", "zh_Hans")
    with_english_default = resolve_text(text, "zh_Hant", "en")

    assert with_chinese_default.text == "简体"
    assert with_chinese_default.is_fallback is True
    assert with_english_default.text == "English"
    assert with_english_default.language == "en"


def test_resolve_text_exact_match_is_not_fallback() -> None:
    resolved = resolve_text({"zh_Hans": "发热", "en": "Fever"}, "en")

    assert resolved.text == "Fever"
    assert resolved.language == "en"
    assert resolved.requested == "en"
    assert resolved.is_fallback is False


@pytest.mark.parametrize("language", [lang for lang in KIOSK_LANGUAGES if lang != "zh_Hans"])
def test_missing_translation_falls_back_visibly(language: str) -> None:
    resolved = resolve_text({"zh_Hans": "发热", "en_GB": "Fever"}, language)

    assert resolved.text == "发热"
    assert resolved.language == "zh_Hans"
    assert resolved.requested == language
    assert resolved.is_fallback is True


def test_regional_request_uses_parent_text() -> None:
    resolved = resolve_text({"zh_Hans": "发热", "en": "Fever"}, "en_GB")

    assert resolved.text == "Fever"
    assert resolved.language == "en"
    assert resolved.is_fallback is True


def test_empty_translation_counts_as_missing() -> None:
    resolved = resolve_text({"zh_Hans": "发热", "en": ""}, "en")

    assert resolved.text == "发热"
    assert resolved.is_fallback is True


def test_unlisted_languages_use_first_sorted() -> None:
    resolved = resolve_text({"ru": "Жар", "ko": "발열"}, "ja")

    assert resolved.text == "발열"
    assert resolved.language == "ko"
    assert resolved.is_fallback is True


def test_text_without_any_language_resolves_empty() -> None:
    resolved = resolve_text({}, "en")

    assert resolved.text == ""


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_text_direction(language: str) -> None:
    assert text_direction(language) == ("rtl" if language == "ar" else "ltr")


@pytest.mark.parametrize(("language", "name"), [
    ("zh_Hans", "简体中文"),
    ("en", "English"),
    ("zh_Hant", "繁體中文"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("ru", "Русский"),
    ("ar", "العربية"),
])
def test_endonym(language: str, name: str) -> None:
    assert endonym(language) == name
