"""The attract loop shown while nobody uses the kiosk: urgent notices and "touch to start"."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import NumericProperty

from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen

#: Seconds each page of the loop stays on screen.
PAGE_S = 5.0


class AttractScreen(KioskScreen):
    """Cycles through the urgent notices, inviting a touch in each kiosk language in turn.

    Any touch leaves the loop for the home screen and is not passed on, so a
    passenger's first tap never opens something by accident.
    """

    page = NumericProperty(0)
    """Number of the page on screen; increases every PAGE_S seconds."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ticker: Any = None

    def populate(self, selection: Selection) -> None:
        self._show_page()

    def on_enter(self, *_args: Any) -> None:
        self._ticker = Clock.schedule_interval(self._advance, PAGE_S)

    def on_leave(self, *_args: Any) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self.page = 0

    def _advance(self, _dt: float) -> None:
        self.page += 1
        self._show_page()

    def _show_page(self) -> None:
        app = self.app
        languages = app.kiosk_config.languages
        language = languages[int(self.page) % len(languages)]
        urgent = app.state.selection.urgent_notices if app.state.selection else ()
        headline = self.ids.headline
        if urgent:
            notice = urgent[int(self.page) % len(urgent)]
            headline.language = language
            headline.source = self.localized(notice.title)
        else:
            headline.language = language
            headline.source = self.message("Passenger information")
        invite = self.ids.invite
        invite.language = language
        invite.source = self.message("Touch the screen to start")

    def on_touch_down(self, touch: Any) -> bool:
        self.app.go_home()
        return True
