"""Home: urgent notices first, then a large tile per topic."""

from __future__ import annotations

import functools
import math
from typing import Any

from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.notices import notice_heading
from kiosk.ui.widgets.cards import text_card
from kiosk.ui.widgets.text import KioskLabel

#: Urgent notices shown on the home screen; the notices screen lists all.
MAX_HOME_URGENT = 2

#: Smallest tile height, in design pixels; below it the home screen scrolls.
MIN_TILE_PX = 180


class HomeScreen(KioskScreen):
    """The screen every passenger starts from and idle returns to.

    Tiles fill the screen in two columns on a portrait screen and three on a
    landscape one, and never shrink below a comfortable touch size.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("size", self._arrange_tiles)
        self.ids.urgent.fbind("height", self._arrange_tiles)
        for tile in self.ids.tiles.children:
            for label in tile.children:
                if isinstance(label, KioskLabel):
                    label.fbind("height", self._arrange_tiles)

    def _arrange_tiles(self, *_args: Any) -> None:
        tiles = self.ids.tiles
        metrics = self.app.metrics
        tiles.cols = 3 if self.width > self.height else 2
        rows = math.ceil(len(tiles.children) / tiles.cols)
        column = self.ids.column
        free = (self.height - self.ids.urgent.height - column.padding[1] - column.padding[3]
                - column.spacing - tiles.spacing[1] * (rows - 1))
        # A tile is never shorter than its own text, which long titles in
        # tall scripts (Arabic) or the large-text mode can make taller.
        content = max((_content_height(tile) for tile in tiles.children), default=0.0)
        tiles.row_default_height = max(metrics.px(MIN_TILE_PX), metrics.touch_target, content,
                                       free / rows)

    def populate(self, selection: Selection) -> None:
        box = self.ids.urgent
        box.clear_widgets()
        for notice in selection.urgent_notices[:MAX_HOME_URGENT]:
            card = text_card(
                notice_heading(self, notice),
                None,
                [self.message("Tap for details")],
                accent="urgent",
                on_tap=functools.partial(self.app.open_notice, notice.id),
            )
            card.background_role = "banner"
            box.add_widget(card)


def _content_height(tile: Any) -> float:
    labels = [child for child in tile.children if isinstance(child, KioskLabel)]
    height: float = sum(label.height for label in labels)
    return float(height + tile.padding[1] + tile.padding[3] + tile.spacing * len(labels))
