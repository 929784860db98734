"""The base class of every kiosk screen: rebuild on content or language change, lazily."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.content.model import LocalizedText
from kiosk.content.selection import Selection
from kiosk.i18n.languages import resolve_text
from kiosk.ui.widgets.text import KioskLabel


class KioskScreen(Screen):  # type: ignore[misc]
    """A screen whose widgets are built from the current selection and language.

    Subclasses implement ``populate``. It runs when the screen is about to be
    shown and again while it is shown whenever the content changes. A language
    switch does not rebuild anything: labels built from ``localized`` and
    ``message`` texts re-render themselves, and those of hidden screens wait
    until their screen is shown again.
    """

    title_msgid = StringProperty("")
    """Untranslated title of the screen, shown in its top bar."""

    is_stale = BooleanProperty(True)
    """True when the widgets no longer match the content or language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        app.state.fbind("selection", self._invalidate)

    @property
    def app(self) -> Any:
        return App.get_running_app()

    @property
    def language(self) -> str:
        language: str = self.app.tr.language
        return language

    def text(self, value: LocalizedText) -> str:
        """Resolve a content text to the current language along its fallback chain."""
        bundle = self.app.state.bundle
        return resolve_text(value, self.language, bundle.default_language).text

    def localized(self, value: LocalizedText) -> Callable[[str], str]:
        """Return a text source that resolves ``value`` in whatever language is on screen."""
        default = self.app.state.bundle.default_language
        return lambda language: resolve_text(value, language, default).text

    def message(self, msgid: str, **fields: Any) -> Callable[[str], str]:
        """Return a text source that translates ``msgid`` and fills its placeholders.

        A field may itself be a text source; it is resolved in the same language.
        """
        translator = self.app.tr

        def render(language: str) -> str:
            values = {name: value(language) if callable(value) else value
                      for name, value in fields.items()}
            text: str = translator.gettext_in(language, msgid).format(**values)
            return text
        return render

    def _invalidate(self, *_args: Any) -> None:
        self.is_stale = True
        if self.manager is not None and self.manager.current_screen is self:
            self.rebuild()

    def on_pre_enter(self, *_args: Any) -> None:
        self.prepare()

    def prepare(self) -> bool:
        """Bring widgets and labels up to date; return True if anything was out of date.

        The app also calls this for hidden screens while the kiosk is idle. A
        label drawn anew can resize its neighbours on the next frame, so a
        hidden screen may need a second call.
        """
        changed = bool(self.is_stale)
        if changed:
            self.rebuild()
        for widget in self.walk(restrict=True):
            if isinstance(widget, KioskLabel) and widget.refresh():
                changed = True
        return changed

    def rebuild(self) -> None:
        selection = self.app.state.selection
        if selection is not None:
            self.populate(selection)
        self.is_stale = False

    def populate(self, selection: Selection) -> None:
        """Build the screen's widgets for ``selection`` in the current language."""

    def reset(self) -> None:
        """Forget any passenger state; called on idle reset."""
