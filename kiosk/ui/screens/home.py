"""Home: urgent notices first, then a large tile per topic."""

from __future__ import annotations

from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.notices import notice_heading
from kiosk.ui.widgets.cards import text_card

#: Urgent notices shown on the home screen; the notices screen lists all.
MAX_HOME_URGENT = 2


class HomeScreen(KioskScreen):
    """The screen every passenger starts from and idle returns to."""

    def populate(self, selection: Selection) -> None:
        box = self.ids.urgent
        box.clear_widgets()
        for notice in selection.urgent_notices[:MAX_HOME_URGENT]:
            card = text_card(
                notice_heading(self, notice),
                None,
                [self.message("Tap for details")],
                accent="urgent",
                on_tap=lambda notice_id=notice.id: self.app.open_notice(notice_id),
            )
            card.background_role = "banner"
            box.add_widget(card)
