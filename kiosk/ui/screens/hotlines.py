"""Hotline numbers with their hours and scope."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.links import tel_link
from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class HotlinesScreen(ListingScreen):
    """One card per hotline, the number as the title."""

    def cards(self, selection: Selection) -> list[Widget]:
        return [text_card(
                    self.message("{number} · {name}", number=line.number,
                                 name=self.localized(line.name)),
                    self.localized(line.scope),
                    [self.message("Hours: {hours}", hours=self.localized(line.hours))],
                    accent="accent", qr=tel_link(line.number),
                    qr_caption=self.message("Scan to call from your phone"))
                for line in selection.hotlines]
