"""Translation functions for command-line and console messages.

The language comes from the environment (see ``language_from_environment``)
and is read once, when the first message is translated.
"""

from __future__ import annotations

from functools import cache

from kiosk.i18n.catalogs import language_from_environment, translations


@cache
def _catalog():  # type: ignore[no-untyped-def]
    return translations(language_from_environment())


def _(message: str) -> str:
    """Translate a message into the operator's language."""
    translated: str = _catalog().gettext(message)
    return translated


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message with a count into the operator's language."""
    translated: str = _catalog().ngettext(singular, plural, count)
    return translated
