"""Colours, sizes and fonts shared by every screen."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from kiosk.config import DisplayConfig

RGBA = tuple[float, float, float, float]


def hex_colour(value: str, alpha: float = 1.0) -> RGBA:
    """Turn ``#rrggbb`` into a Kivy RGBA tuple."""
    value = value.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue, alpha)


def blend_over(value: str, alpha: float, background: str) -> RGBA:
    """Return the opaque colour that ``value`` at ``alpha`` shows over ``background``.

    Kivy 2.3 draws a line wider than one pixel in a translucent colour through
    the stencil buffer, and clears that buffer for the whole window each time.
    With software OpenGL seven such outlines took a quarter of every frame.
    The same colour made opaque draws directly.
    """
    top, bottom = hex_colour(value), hex_colour(background)
    red, green, blue = (alpha * a + (1 - alpha) * b for a, b in zip(top[:3], bottom[:3], strict=True))
    return (red, green, blue, 1.0)


@dataclass(frozen=True)
class Palette:
    """Colours of one theme.

    Text colours meet WCAG 2.1 AA on the backgrounds they are drawn on, and
    the risk fills stay apart for the common colour-vision deficiencies;
    ``kiosk.ui.accessibility`` lists the pairs and the tests check them.
    """

    background: str = "#f4f6f8"
    surface: str = "#ffffff"
    text: str = "#1b1f24"
    muted_text: str = "#4a5561"
    header: str = "#0b3d6e"
    header_text: str = "#ffffff"
    accent: str = "#0b5cad"
    accent_text: str = "#ffffff"
    urgent: str = "#b3261e"
    urgent_text: str = "#ffffff"
    warning: str = "#8a5a00"
    banner: str = "#fff4d6"
    banner_text: str = "#5c3d00"
    selected: str = "#ffd23f"
    selected_text: str = "#1b1f24"
    # Risk colours: fills for the colour swatches, with mark colours that
    # keep 4.5:1 contrast on each fill. The green leans to blue so that
    # protanopes and deuteranopes can tell it from the orange and the red.
    risk_green: str = "#1e7b46"
    risk_yellow: str = "#f2c200"
    risk_orange: str = "#e06c00"
    risk_red: str = "#c62828"
    risk_green_text: str = "#ffffff"
    risk_yellow_text: str = "#1b1f24"
    risk_orange_text: str = "#1b1f24"
    risk_red_text: str = "#ffffff"


DEFAULT_PALETTE = Palette()


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes derived from the screen: its resolution and physical size.

    Layout scales with the shorter side relative to a 1080 px wide portrait
    screen; touch targets are never smaller than the configured millimetres.
    """

    scale: float
    px_per_mm: float
    touch_target_mm: float
    qr_module_mm: float = 1.2
    #: Factor on every font size; the large-text mode raises it.
    text_scale: float = 1.0

    @classmethod
    def for_display(cls, display: DisplayConfig, touch_target_mm: float = 15.0,
                    qr_module_mm: float = 1.2) -> Metrics:
        short_side = min(display.width_px, display.height_px)
        diagonal_px = math.hypot(display.width_px, display.height_px)
        px_per_mm = diagonal_px / (display.diagonal_in * 25.4)
        return cls(scale=short_side / 1080, px_per_mm=px_per_mm, touch_target_mm=touch_target_mm,
                   qr_module_mm=qr_module_mm)

    @property
    def qr_module(self) -> float:
        """Pixels per QR module: the configured millimetres, and never under 3 pixels."""
        return max(round(self.mm(self.qr_module_mm)), 3)

    def with_text_scale(self, text_scale: float) -> Metrics:
        """Return the same metrics with fonts scaled by ``text_scale``."""
        return replace(self, text_scale=text_scale)

    def font(self, role: str) -> float:
        """Return the font size in pixels for a text role: body, small, title, tile, clock or banner."""
        design = {"body": 36, "small": 28, "title": 48, "tile": 48, "clock": 84, "banner": 64,
                  "language": 28}[role]
        # The clock and the language bar keep their size: both are large or
        # short already, and scaled up they would no longer fit their boxes.
        scale = 1.0 if role in {"clock", "language"} else self.text_scale
        return self.px(design) * scale

    def px(self, design_px: float) -> float:
        """Scale a size given for a 1080 px wide portrait screen."""
        return design_px * self.scale

    def mm(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm

    @property
    def touch_target(self) -> float:
        """Smallest height and width of anything a passenger taps, in pixels."""
        return max(self.mm(self.touch_target_mm), self.px(96))

    # Font sizes in pixels. Body text of 36 design px on a 1080 px wide screen
    # of 43 inches is about 11 mm tall, readable from one metre.
    @property
    def font_body(self) -> float:
        return self.font("body")

    @property
    def font_small(self) -> float:
        return self.font("small")

    @property
    def font_title(self) -> float:
        return self.font("title")

    @property
    def font_tile(self) -> float:
        return self.font("tile")

    @property
    def font_clock(self) -> float:
        return self.font("clock")


#: White text on black with yellow buttons, for passengers with low vision.
#: All text reaches WCAG AAA (7:1). The header is white because the home
#: screen draws the self-check tile in the header colour with the buttons'
#: black text; the selected language is then shown inverted, white on black.
#: The red risk fill is dark with a white mark so that it differs in lightness
#: from the light orange, which is what protanopes and deuteranopes can see.
HIGH_CONTRAST_PALETTE = Palette(
    background="#000000", surface="#000000", text="#ffffff", muted_text="#ffffff",
    header="#ffffff", header_text="#000000", accent="#ffff00", accent_text="#000000",
    urgent="#ff6666", urgent_text="#000000", warning="#ffd000", banner="#000000",
    banner_text="#ffff00", selected="#000000", selected_text="#ffffff",
    risk_green="#33dd99", risk_yellow="#ffff00", risk_orange="#ff9900", risk_red="#b00000",
    risk_green_text="#000000", risk_yellow_text="#000000", risk_orange_text="#000000",
    risk_red_text="#ffffff",
)
