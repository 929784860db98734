"""Gettext catalogs for every language the kiosk, the CLI and the console speak."""

from __future__ import annotations

import gettext
import logging
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from kiosk.i18n.languages import DEFAULT_LANGUAGE, KIOSK_LANGUAGES

logger = logging.getLogger(__name__)

DOMAIN = "kiosk"


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogs; it is translated where it is shown."""
    return message


def locale_dir() -> Path:
    """Return the folder of compiled catalogs: ``KIOSK_LOCALES`` or ``locales/`` beside ``kiosk/``."""
    override = os.environ.get("KIOSK_LOCALES")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "locales"


class MissingCatalogError(LookupError):
    """No compiled catalog exists for a language."""


@cache
def load_catalog(language: str, directory: Path | None = None) -> gettext.GNUTranslations:
    """Load the compiled catalog for ``language``.

    Raises MissingCatalogError naming the language and the file looked for.
    """
    folder = directory or locale_dir()
    path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    except OSError as error:
        raise MissingCatalogError(
            f"no compiled catalog for {language}: {path} ({error.strerror}); "
            "run 'pybabel compile -d locales -D kiosk'") from error


def translations(language: str) -> gettext.NullTranslations:
    """Return the catalog for ``language``, logging an error and using the msgids if absent."""
    try:
        return load_catalog(language)
    except MissingCatalogError as error:
        logger.error("%s", error)
        return gettext.NullTranslations()


#: POSIX locale names that map to a kiosk language other than their plain prefix.
_POSIX_ALIASES: Mapping[str, str] = {
    "zh_CN": "zh_Hans", "zh_SG": "zh_Hans", "zh": "zh_Hans",
    "zh_TW": "zh_Hant", "zh_HK": "zh_Hant", "zh_MO": "zh_Hant",
}


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """Pick the CLI and console language from LANGUAGE, LC_ALL, LC_MESSAGES or LANG.

    A POSIX locale such as ``zh_CN.UTF-8`` or ``en_US`` maps to a kiosk
    language; anything unknown (including ``C``) gives the default, Simplified Chinese.
    """
    environ = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        for candidate in value.split(":"):
            name = candidate.split(".")[0].split("@")[0]
            if name in _POSIX_ALIASES:
                return _POSIX_ALIASES[name]
            if name in KIOSK_LANGUAGES:
                return name
            prefix = name.split("_")[0]
            if prefix in KIOSK_LANGUAGES:
                return prefix
    return DEFAULT_LANGUAGE
