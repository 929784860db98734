"""The four risk colours: label, shape, criteria and advice."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import risk_card


class RiskScreen(ListingScreen):
    """One card per colour, lowest risk first."""

    def cards(self, selection: Selection) -> list[Widget]:
        return [risk_card(level.colour.value, self.localized(level.label),
                          self.localized(level.criteria), self.localized(level.advice),
                          self.message("Applies when"), self.message("What to do"))
                for level in selection.risk_levels]
