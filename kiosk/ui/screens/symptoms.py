"""Guidance for symptoms: what to do, where to go, which number to call."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import Text, text_card


class SymptomsScreen(ListingScreen):
    """One card per symptom with the hotlines to call."""

    def cards(self, selection: Selection) -> list[Widget]:
        bundle = self.app.state.bundle
        cards: list[Widget] = []
        for item in selection.symptoms:
            lines: list[Text] = []
            for hotline_id in item.hotline_ids:
                hotline = bundle.hotline(hotline_id)
                if hotline is not None:
                    lines.append(self.message("Call {number}: {name}", number=hotline.number,
                                              name=self.localized(hotline.name)))
            cards.append(text_card(self.localized(item.title), self.localized(item.body), lines,
                                   accent="warning"))
        return cards
