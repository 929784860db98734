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
        tr = self.app.tr
        return [text_card(
                    tr._("{number} · {name}").format(number=line.number, name=self.text(line.name)),
                    self.text(line.scope),
                    [tr._("Hours: {hours}").format(hours=self.text(line.hours))],
                    accent=self.app.palette.accent, qr=tel_link(line.number),
                    qr_caption=tr._("Scan to call from your phone"))
                for line in selection.hotlines]
