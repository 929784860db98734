"""The observable translator that every screen's text is bound to.

In kv, ``text: tr._("Hotlines")`` re-evaluates whenever the language changes:
the kv compiler binds a rule to ``tr._`` through ``fbind("_")``, which this
class records and calls back on every switch. Python code that sets text
itself binds to ``on_language`` instead.
"""

from __future__ import annotations

import functools
import gettext
import logging
import weakref
from collections.abc import Callable
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n.catalogs import translations
from kiosk.i18n.fonts import font_for
from kiosk.i18n.languages import DEFAULT_LANGUAGE, text_direction

logger = logging.getLogger(__name__)


class Translator(EventDispatcher):  # type: ignore[misc]
    """Current language, its catalog and its fonts, observable from kv and Python."""

    language = StringProperty(DEFAULT_LANGUAGE)
    """Current language identifier, such as ``zh_Hans``; defaults to Simplified Chinese."""

    font_name = StringProperty("")
    """Path of the regular font for the current language."""

    font_name_bold = StringProperty("")
    """Path of the bold font for the current language."""

    rtl = BooleanProperty(False)
    """True while the current language is written right to left."""

    def __init__(self, language: str = DEFAULT_LANGUAGE,
                 load: Callable[[str], gettext.NullTranslations] = translations,
                 **kwargs: Any) -> None:
        self._load = load
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        self._observers: dict[int, tuple[Callable[[], Any], Callable[..., None], tuple[Any, ...]]] = {}
        self._next_uid = 1
        super().__init__(**kwargs)
        self.fbind("language", self._apply_language)
        self._apply_language(self, language)
        self.language = language

    def catalog(self, language: str) -> gettext.NullTranslations:
        if language not in self._catalogs:
            self._catalogs[language] = self._load(language)
        return self._catalogs[language]

    def _(self, message: str) -> str:
        """Translate ``message`` into the current language."""
        translated: str = self.catalog(self.language).gettext(message)
        return translated

    def gettext_in(self, language: str, message: str) -> str:
        """Translate ``message`` into ``language``, whatever language is on screen."""
        translated: str = self.catalog(language).gettext(message)
        return translated

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        translated: str = self.catalog(self.language).ngettext(singular, plural, count)
        return translated

    def _apply_language(self, _instance: Any, language: str) -> None:
        self.font_name = str(font_for(language))
        self.font_name_bold = str(font_for(language, bold=True))
        self.rtl = text_direction(language) == "rtl"
        for uid, (element_ref, callback, rest) in list(self._observers.items()):
            element = element_ref()
            try:
                if element is None:
                    raise ReferenceError
                callback((element, *rest), None, None)
            except ReferenceError:
                del self._observers[uid]

    # The kv compiler calls fbind/unbind_uid with the attribute name "_" for
    # rules that call tr._(...). Other names are ordinary Kivy properties.
    def fbind(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if name != "_":
            return super().fbind(name, func, *args, **kwargs)
        rule_args = args[0]
        if not isinstance(rule_args, tuple) or not rule_args:
            raise TypeError("tr._ can only be used in kv property rules, not canvas rules")
        uid = self._next_uid
        self._next_uid += 1
        # Only weak references, so that a widget dropped from the tree is not
        # kept alive by the translator. Kivy passes either the widget or its
        # WeakProxy, which cannot itself be weakly referenced.
        element = rule_args[0]
        element_ref: Callable[[], Any]
        try:
            element_ref = weakref.ref(element)
        except TypeError:
            element_ref = functools.partial(_same, element)
        self._observers[uid] = (element_ref, func, rule_args[1:])
        return uid

    def unbind_uid(self, name: str, uid: int) -> None:
        if name != "_":
            super().unbind_uid(name, uid)
            return
        self._observers.pop(uid, None)

    @property
    def observer_count(self) -> int:
        """Number of live kv rules bound to ``_``; flat over time unless widgets leak."""
        return len(self._observers)


def _same(value: Any) -> Any:
    return value
