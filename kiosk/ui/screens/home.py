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
        # tall scripts (Arabic) or the large-text mode can make taller. Only
        # the row of such a tile grows, and the other rows share what is left.
        # One long title then does not push the last row below the screen.
        smallest = max(metrics.px(MIN_TILE_PX), metrics.touch_target)
        in_order = list(reversed(tiles.children))
        needs = [max([smallest, *(_content_height(tile)
                                  for tile in in_order[row * tiles.cols:(row + 1) * tiles.cols])])
                 for row in range(rows)]
        heights = share_rows(needs, free)
        tiles.row_default_height = smallest
        for index, tile in enumerate(in_order):
            tile.size_hint_y = None
            tile.height = heights[index // tiles.cols]

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


def share_rows(needs: list[float], free: float) -> list[float]:
    """Return row heights: each row at least its need, and together filling ``free`` if they fit.

    Rows that need more than an equal share keep their need; the others
    share the rest equally. When the needs add up to more than ``free``, the
    rows keep their needs and the screen scrolls.
    """
    heights = list(needs)
    grown: set[int] = set()
    while len(grown) < len(needs):
        rest = free - sum(heights[row] for row in grown)
        share = rest / (len(needs) - len(grown))
        over = {row for row in range(len(needs)) if row not in grown and needs[row] > share}
        if not over:
            for row in range(len(needs)):
                if row not in grown:
                    heights[row] = share
            break
        grown |= over
    return heights


def _content_height(tile: Any) -> float:
    labels = [child for child in tile.children if isinstance(child, KioskLabel)]
    height: float = sum(label.height for label in labels)
    return float(height + tile.padding[1] + tile.padding[3] + tile.spacing * len(labels))
