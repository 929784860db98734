"""Travel rules in force at this site."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class RulesScreen(ListingScreen):
    """Travel rules targeted at this site, its type or its region."""

    def cards(self, selection: Selection) -> list[Widget]:
        tr = self.app.tr
        return [text_card(self.text(rule.title), self.text(rule.body),
                          [tr._("Source: {link}").format(link=rule.source_url)]
                          if rule.source_url else None,
                          accent=self.app.palette.accent)
                for rule in selection.travel_rules]
