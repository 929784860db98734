"""The self-check result, built fresh for each outcome and dropped when it is left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.uix.widget import Widget

from kiosk.content.model import RiskColour
from kiosk.content.selection import Selection
from kiosk.i18n.formatting import format_timestamp
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.cards import Text, qr_row, risk_card, small, text_card


def build_result(screen: KioskScreen, selection: Selection, colour: RiskColour) -> list[Widget]:
    """Return the cards for an outcome: the level, its hotlines, and when and where it was shown."""
    app = screen.app
    bundle = app.state.bundle
    level = next(level for level in selection.risk_levels if level.colour is colour)
    widgets: list[Widget] = [risk_card(
        colour.value, screen.localized(level.label), screen.localized(level.criteria),
        screen.localized(level.advice), screen.message("Applies when"),
        screen.message("What to do"))]

    lines: list[Text] = []
    for hotline_id in level.hotline_ids:
        hotline = bundle.hotline(hotline_id)
        if hotline is not None:
            lines.append(screen.message("Call {number}: {name}", number=hotline.number,
                                        name=screen.localized(hotline.name)))
    shown_at: datetime = app.state.now()
    zone = app.zone
    site = selection.site
    place: Text = screen.localized(site.name) if site else screen.message("Passenger information")
    lines.append(screen.message("Shown {time} at {place}",
                                time=lambda language: format_timestamp(shown_at, language, zone),
                                place=place))
    card = text_card(screen.message("Hotlines"), None, lines, accent="accent")
    guidance = bundle.self_check.guidance_url if bundle.self_check else None
    if guidance:
        card.add_widget(qr_row(guidance, screen.message("Scan for the official guidance")))
    widgets.append(card)
    widgets.append(small(screen.message(
        "This result is based only on your answers. Your answers are not stored or sent.")))
    return widgets


class SelfCheckResultScreen(KioskScreen):
    """The outcome: colour with shape and label, advice, hotlines, time and place."""

    def __init__(self, **kwargs: Any) -> None:
        self._colour: RiskColour | None = None
        super().__init__(**kwargs)

    @property
    def colour(self) -> RiskColour | None:
        return self._colour

    def show_outcome(self, colour: RiskColour) -> None:
        self._colour = colour
        self.is_stale = True

    def populate(self, selection: Selection) -> None:
        container = self.ids.list.container
        container.clear_widgets()
        if self._colour is not None:
            for widget in build_result(self, selection, self._colour):
                container.add_widget(widget)

    def on_leave(self, *_args: Any) -> None:
        self.reset()

    def reset(self) -> None:
        self._colour = None
        if "list" in self.ids:
            self.ids.list.container.clear_widgets()
