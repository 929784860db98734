"""The languages the kiosk speaks and the CLDR fallback chain between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.core import get_global

#: Default language of the kiosk and of shipped content.
DEFAULT_LANGUAGE = "zh_Hans"

#: Kiosk languages in the order of the language bar.
KIOSK_LANGUAGES: tuple[str, ...] = ("zh_Hans", "en", "zh_Hant", "ja", "ko", "ru", "ar")


@dataclass(frozen=True)
class ResolvedText:
    """Text picked for a language, and the language it is really in."""

    text: str
    language: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.language != self.requested


@cache
def parent_language(language: str) -> str | None:
    """Return the CLDR parent of ``language``, or None when the parent is root.

    CLDR truncates ``zh_Hant_TW`` to ``zh_Hant``, but a locale whose script is
    not the usual script of its language (``zh_Hant``, ``sr_Latn``) has root as
    parent, so Traditional Chinese never falls back to Simplified through ``zh``.
    """
    exceptions: Mapping[str, str] = get_global("parent_exceptions")
    if language in exceptions:
        parent = exceptions[language]
        return None if parent == "root" else parent
    parts = language.split("_")
    if len(parts) == 1:
        return None
    parent = "_".join(parts[:-1])
    if len(parts) == 2 and len(parts[1]) == 4:
        likely: Mapping[str, str] = get_global("likely_subtags")
        usual = likely.get(parts[0], "")
        if f"_{parts[1]}" not in f"{usual}_":
            return None
    return parent


def fallback_chain(language: str, default_language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """Return the languages to try for ``language``: its CLDR parents, then the default."""
    chain: list[str] = []
    current: str | None = language
    while current is not None and current not in chain:
        chain.append(current)
        current = parent_language(current)
    if default_language not in chain:
        chain.append(default_language)
    return tuple(chain)


def resolve_text(text: Mapping[str, str], language: str,
                 default_language: str = DEFAULT_LANGUAGE) -> ResolvedText:
    """Pick the text for ``language`` along its fallback chain.

    Falls back to any language present (sorted, so the choice is stable) rather
    than show nothing; ``ResolvedText.is_fallback`` tells the caller it did.
    """
    for candidate in fallback_chain(language, default_language):
        if text.get(candidate):
            return ResolvedText(text[candidate], candidate, language)
    for candidate in sorted(text):
        if text[candidate]:
            return ResolvedText(text[candidate], candidate, language)
    return ResolvedText("", language, language)


@cache
def text_direction(language: str) -> str:
    """Return ``rtl`` or ``ltr`` for a language, from CLDR."""
    return "rtl" if Locale.parse(language).text_direction == "rtl" else "ltr"


@cache
def endonym(language: str) -> str:
    """Return the name of a language in itself, as shown on the language bar."""
    names = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文"}
    if language in names:
        # CLDR's own names read "中文 (简体)", which passengers scan less easily.
        return names[language]
    name: str = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]
