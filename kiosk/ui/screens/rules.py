"""Travel rules in force at this site."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class RulesScreen(ListingScreen):
    """Travel rules targeted at this site, its type or its region."""

    def cards(self, selection: Selection) -> list[Widget]:
        return [text_card(self.localized(rule.title), self.localized(rule.body),
                          accent="accent", qr=rule.source_url,
                          qr_caption=self.message("Scan to open the official source"))
                for rule in selection.travel_rules]
