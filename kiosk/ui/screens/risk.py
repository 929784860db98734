"""The four risk colours: label, shape, criteria and advice."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import risk_card


class RiskScreen(ListingScreen):
    """One card per colour, lowest risk first."""

    def cards(self, selection: Selection) -> list[Widget]:
        tr = self.app.tr
        return [risk_card(level.colour.value, self.text(level.label), self.text(level.criteria),
                          self.text(level.advice), tr._("Applies when"), tr._("What to do"))
                for level in selection.risk_levels]
