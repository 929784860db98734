"""Guidance for symptoms: what to do, where to go, which number to call."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class SymptomsScreen(ListingScreen):
    """One card per symptom with the hotlines to call."""

    def cards(self, selection: Selection) -> list[Widget]:
        tr = self.app.tr
        bundle = self.app.state.bundle
        cards: list[Widget] = []
        for item in selection.symptoms:
            lines = []
            for hotline_id in item.hotline_ids:
                hotline = bundle.hotline(hotline_id)
                if hotline is not None:
                    lines.append(tr._("Call {number}: {name}").format(
                        number=hotline.number, name=self.text(hotline.name)))
            cards.append(text_card(self.text(item.title), self.text(item.body), lines,
                                   accent=self.app.palette.warning))
        return cards
