"""Gettext catalogs: complete in every language, placeholders intact, loud when missing."""

from __future__ import annotations

import logging
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from kiosk.i18n.catalogs import (
    MissingCatalogError,
    language_from_environment,
    load_catalog,
    translations,
)
from kiosk.i18n.languages import KIOSK_LANGUAGES

LOCALES = Path(__file__).resolve().parents[1] / "locales"


def read_catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as stream:
        return read_po(stream)


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.fixture(scope="module")
def template():  # type: ignore[no-untyped-def]
    return read_catalog(LOCALES / "kiosk.pot")


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_catalog_translates_every_message(template, language):
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / "kiosk.po")
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id)
        assert entry is not None, f"{language}: {message.id!r} missing; run pybabel update"
        assert not entry.fuzzy, f"{language}: {message.id!r} is fuzzy"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), f"{language}: {message.id!r} has no translation"


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_catalog_keeps_placeholders(language):
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / "kiosk.po")
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for translation in strings:
            assert placeholders(translation) == placeholders(ids[0]), (language, entry.id)


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_compiled_catalog_matches_source(language):
    source = read_catalog(LOCALES / language / "LC_MESSAGES" / "kiosk.po")
    compiled = load_catalog(language)
    for entry in source:
        if entry.id and isinstance(entry.id, str) and entry.string and not entry.fuzzy:
            assert compiled.gettext(entry.id) == entry.string, (language, entry.id)


def test_template_matches_messages_in_code(template):
    """The template holds exactly the messages the code uses, so nothing escapes translation."""
    with (LOCALES / "babel.cfg").open(encoding="utf-8") as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    keywords = {"_": None, "N_": None, "message": None, "ngettext": (1, 2)}
    in_code = set()
    for _path, _line, message, _comments, _context in extract_from_dir(
            str(LOCALES.parent), method_map, options_map, keywords=keywords):
        in_code.add(message[0] if isinstance(message, tuple) else message)
    in_template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in template if m.id}

    assert sorted(in_code - in_template) == [], "run pybabel extract (see README.md)"
    assert sorted(in_template - in_code) == [], "run pybabel extract (see README.md)"


def test_missing_catalog_is_logged_with_locale(caplog, tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_LOCALES", str(tmp_path))
    load_catalog.cache_clear()
    try:
        with pytest.raises(MissingCatalogError, match="ko"):
            load_catalog("ko")
        with caplog.at_level(logging.ERROR):
            fallback = translations("ko")
        assert fallback.gettext("Hotlines") == "Hotlines"
        assert any("ko" in record.getMessage() and record.levelno == logging.ERROR
                   for record in caplog.records)
    finally:
        load_catalog.cache_clear()


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
    ({"LANG": "zh_TW.UTF-8"}, "zh_Hant"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANGUAGE": "ja:en", "LANG": "en_US.UTF-8"}, "ja"),
    ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, "ru"),
    ({"LANG": "C.UTF-8"}, "zh_Hans"),
    ({}, "zh_Hans"),
])
def test_cli_language_from_environment(environ, expected):
    assert language_from_environment(environ) == expected
