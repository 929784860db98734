"""A QR code drawn from a link, one texture pixel per module, scaled without smoothing."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.content.links import qr_link, qr_matrix

#: Light modules around the code, as the QR specification requires.
QUIET_ZONE_MODULES = 4


class QrCode(Widget):  # type: ignore[misc]
    """Shows ``link`` as a QR code; a link that may not be encoded shows nothing.

    A plain widget rather than Kivy's Image: Kivy 2.3 draws every Image
    through the stencil buffer, which cleared and tested the stencil of the
    whole window in every frame. With software OpenGL that cost about a third
    of a list screen's frame.
    """

    link = StringProperty("")
    """The http(s) or tel: link to encode."""

    module_px = NumericProperty(8)
    """Size of one module on screen, in pixels."""

    texture = ObjectProperty(None, allownone=True)
    """The code, one texel per module; None when nothing is shown."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas:
            Color(1, 1, 1, 1)
            self._rectangle = Rectangle()
        self.fbind("pos", self._place)
        self.fbind("size", self._place)
        self.fbind("texture", self._place)
        self.fbind("link", self._render)
        self.fbind("module_px", self._render)
        self._render()

    def _render(self, *_args: Any) -> None:
        link = qr_link(self.link)
        if link is None:
            self.texture = None
            self.size = (0, 0)
            self.opacity = 0
            return
        rows = qr_matrix(link, border=QUIET_ZONE_MODULES)
        side = len(rows)
        # Kivy textures start at the bottom row, so rows are written bottom-up.
        pixels = bytes(0 if dark else 255 for row in reversed(rows) for dark in row)
        texture = Texture.create(size=(side, side), colorfmt="luminance")
        texture.blit_buffer(pixels, colorfmt="luminance", bufferfmt="ubyte")
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        self.texture = texture
        self.size_hint = (None, None)
        self.size = (side * self.module_px, side * self.module_px)
        self.opacity = 1

    def _place(self, *_args: Any) -> None:
        self._rectangle.texture = self.texture
        self._rectangle.pos = self.pos
        self._rectangle.size = self.size
