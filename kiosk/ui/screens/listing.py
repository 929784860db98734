"""Screens that list content items as cards under a top bar."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.cards import small


class ListingScreen(KioskScreen):
    """A top bar and a scrolling list; subclasses return the cards."""

    def populate(self, selection: Selection) -> None:
        container = self.ids.list.container
        container.clear_widgets()
        cards = self.cards(selection)
        if not cards:
            cards = [small(self.message("Nothing to show here at the moment."))]
        for card in cards:
            container.add_widget(card)
        self.ids.list.children[0].scroll_y = 1

    def cards(self, selection: Selection) -> list[Widget]:
        """Return the widgets listed for ``selection``."""
        raise NotImplementedError
