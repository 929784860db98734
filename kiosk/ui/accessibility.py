"""Colour checks for the theme: WCAG contrast, colour-vision deficiency and colour difference.

Everything here is arithmetic on ``#rrggbb`` strings and imports no Kivy, so
the test suite checks every palette without a display.

- Contrast follows WCAG 2.1: relative luminance of linearised sRGB and the
  ratio ``(L1 + 0.05) / (L2 + 0.05)``.
- Colour-vision deficiency is simulated with the dichromacy matrices (severity
  1.0) of Machado, Oliveira and Fernandes, "A Physiologically-based Model for
  Simulation of Color Vision Deficiency", IEEE TVCG 15(6), 2009, applied to
  linear RGB.
- Colour difference is CIEDE2000 in CIELAB (D65), after Sharma, Wu and Dalal,
  "The CIEDE2000 Color-Difference Formula: Implementation Notes, Supplementary
  Test Data, and Mathematical Observations", Color Res. Appl. 30(1), 2005.
  CIE76, the plain Euclidean distance in CIELAB, overstates differences
  between saturated colours: for the default yellow and orange risk fills it
  gives 45.9 where CIEDE2000 gives 29.2. A CIE76 threshold would therefore let
  saturated fills pass that look alike. CIEDE2000 weights lightness, chroma
  and hue differences to match visual judgements.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields

from kiosk.ui.theme import Palette

#: Red, green and blue, each from 0 to 1.
RGB = tuple[float, float, float]
#: CIELAB lightness L*, a* and b*.
Lab = tuple[float, float, float]
Matrix = tuple[RGB, RGB, RGB]

#: WCAG 2.1 minimum contrast ratios: AA (1.4.3) and AAA (1.4.6), for normal and large text.
AA_NORMAL_TEXT = 4.5
AA_LARGE_TEXT = 3.0
AAA_NORMAL_TEXT = 7.0
AAA_LARGE_TEXT = 4.5

#: Smallest CIEDE2000 difference between any two risk fills, for every kind of vision checked.
#: A difference of 1 is about the smallest one an observer can detect between two patches side
#: by side under controlled light. A passenger must tell the fills apart with one badge alone
#: on a glossy screen in a lit hall, so the threshold is ten times that.
MIN_RISK_FILL_DIFFERENCE = 10.0

#: Risk colour names, in the order of the levels; each has a ``risk_<name>`` fill in the palette.
RISK_COLOURS = ("green", "yellow", "orange", "red")

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class ColourError(ValueError):
    """A colour is not written as ``#rrggbb``."""


class Deficiency(enum.Enum):
    """A dichromacy: one kind of cone is missing."""

    PROTANOPIA = "protanopia"
    DEUTERANOPIA = "deuteranopia"
    TRITANOPIA = "tritanopia"


#: Machado et al. 2009, dichromacy (severity 1.0) matrices on linear RGB, rows give R', G', B'.
MACHADO_MATRICES: dict[Deficiency, Matrix] = {
    Deficiency.PROTANOPIA: (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    Deficiency.DEUTERANOPIA: (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    Deficiency.TRITANOPIA: (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}

# Linear sRGB to CIE XYZ for the D65 white point (IEC 61966-2-1).
_RGB_TO_XYZ: Matrix = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)
# The D65 white is what sRGB white maps to, so white has a* = b* = 0 exactly.
_WHITE_XYZ: RGB = (sum(_RGB_TO_XYZ[0]), sum(_RGB_TO_XYZ[1]), sum(_RGB_TO_XYZ[2]))


@dataclass(frozen=True)
class TextPair:
    """A text colour that the UI draws on a background colour, both palette field names."""

    text: str
    background: str
    #: WCAG large text: at least 18 pt (24 px), or 14 pt (about 18.7 px) bold.
    large_text: bool
    #: Places in the UI that draw the pair, for reports and test messages.
    where: str


#: Every text colour on every background that the kv files and screens draw.
#: A pair is large text only when every label in it is a title, tile title,
#: clock or banner. Body (36 design px) and small (28 design px) text count
#: as normal text. Small text is large by the WCAG pixel rule, but it is held
#: to the normal-text ratio because passengers read it from a metre away.
TEXT_ON_BACKGROUND: tuple[TextPair, ...] = (
    TextPair("text", "background", False,
             "top bar title, PIN prompt, self-check question"),
    TextPair("muted_text", "background", False,
             "self-check progress and privacy note, empty-list note, result footnote"),
    TextPair("urgent", "background", False, "PIN error message"),
    TextPair("text", "surface", False, "card titles and bodies"),
    TextPair("muted_text", "surface", False, "card detail lines, footer lines, QR captions"),
    TextPair("header_text", "header", False,
             "site name, date, clock, unselected language buttons, attract loop"),
    TextPair("accent_text", "accent", False,
             "home tiles, buttons, PIN keys, footer mode buttons when off"),
    TextPair("selected_text", "selected", False,
             "selected language, sample-content banner, footer mode buttons when on"),
    TextPair("banner_text", "banner", False, "out-of-date banner"),
    TextPair("text", "banner", True, "urgent notice title on the home screen"),
    TextPair("muted_text", "banner", False, "'Tap for details' on urgent home cards"),
    TextPair("urgent_text", "urgent", False, "emergency alert takeover text"),
    TextPair("urgent", "urgent_text", False, "takeover close button"),
    # The marks drawn inside the risk badges are shapes, not text, but they
    # carry the level, so they are held to the normal-text ratio.
    TextPair("risk_green_text", "risk_green", False, "green risk badge mark"),
    TextPair("risk_yellow_text", "risk_yellow", False, "yellow risk badge mark"),
    TextPair("risk_orange_text", "risk_orange", False, "orange risk badge mark"),
    TextPair("risk_red_text", "risk_red", False, "red risk badge mark"),
)


@dataclass(frozen=True)
class ContrastResult:
    """The contrast of one text pair in one palette against the ratio it needs."""

    pair: TextPair
    text_colour: str
    background_colour: str
    ratio: float
    required: float

    @property
    def passes(self) -> bool:
        return self.ratio >= self.required


@dataclass(frozen=True)
class FillDifference:
    """The CIEDE2000 difference of two risk fills as seen with one kind of vision."""

    vision: Deficiency | None
    first: str
    second: str
    delta_e: float


def parse_hex(colour: str) -> tuple[int, int, int]:
    """Return the 8-bit red, green and blue of a ``#rrggbb`` colour."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        raise ColourError(f"colour {colour!r} is not written as #rrggbb")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def to_hex(rgb: RGB) -> str:
    """Return ``#rrggbb`` for gamma-encoded sRGB channels from 0 to 1, clipping out-of-range values."""
    channels = (round(min(max(channel, 0.0), 1.0) * 255) for channel in rgb)
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def srgb_to_linear(channel: float) -> float:
    """Linearise one gamma-encoded sRGB channel from 0 to 1, as WCAG 2.1 defines it.

    WCAG 2.1 puts the knee at 0.03928 where IEC 61966-2-1 has 0.04045; no
    8-bit value lies between the two, so both give the same result here.
    """
    if channel <= 0.03928:
        return channel / 12.92
    return math.pow((channel + 0.055) / 1.055, 2.4)


def linear_to_srgb(channel: float) -> float:
    """Gamma-encode one linear channel from 0 to 1 (IEC 61966-2-1)."""
    if channel <= 0.0031308:
        return channel * 12.92
    return 1.055 * math.pow(channel, 1 / 2.4) - 0.055


def linear_rgb(colour: str) -> RGB:
    """Return the linear-light red, green and blue of a ``#rrggbb`` colour."""
    red, green, blue = (srgb_to_linear(value / 255) for value in parse_hex(colour))
    return red, green, blue


def relative_luminance(colour: str) -> float:
    """Return the WCAG 2.1 relative luminance of a colour: 0 for black, 1 for white."""
    red, green, blue = linear_rgb(colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG 2.1 contrast ratio of two colours, from 1 to 21, in either order."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def required_contrast(large_text: bool, enhanced: bool = False) -> float:
    """Return the minimum WCAG contrast ratio: level AA, or AAA when ``enhanced``."""
    if enhanced:
        return AAA_LARGE_TEXT if large_text else AAA_NORMAL_TEXT
    return AA_LARGE_TEXT if large_text else AA_NORMAL_TEXT


def _multiply(matrix: Matrix, vector: RGB) -> RGB:
    first, second, third = (sum(weight * value for weight, value in zip(row, vector, strict=True))
                            for row in matrix)
    return first, second, third


def simulate_linear(rgb: RGB, deficiency: Deficiency) -> RGB:
    """Apply the Machado matrix of ``deficiency`` to linear RGB, clipped to the 0 to 1 gamut."""
    simulated = _multiply(MACHADO_MATRICES[deficiency], rgb)
    red, green, blue = (min(max(channel, 0.0), 1.0) for channel in simulated)
    return red, green, blue


def simulate_deficiency(colour: str, deficiency: Deficiency | None) -> str:
    """Return how a colour looks with ``deficiency``, as ``#rrggbb``; None means normal vision."""
    if deficiency is None:
        parse_hex(colour)
        return colour.lower()
    red, green, blue = simulate_linear(linear_rgb(colour), deficiency)
    return to_hex((linear_to_srgb(red), linear_to_srgb(green), linear_to_srgb(blue)))


def _lab_f(ratio: float) -> float:
    # CIE 1976: cube root above (6/29)^3, a straight line below it.
    if ratio > (6 / 29) ** 3:
        return math.pow(ratio, 1 / 3)
    return ratio / (3 * (6 / 29) ** 2) + 4 / 29


def srgb_to_lab(colour: str) -> Lab:
    """Return the CIELAB (D65) lightness and opponent axes of a ``#rrggbb`` colour."""
    xyz = _multiply(_RGB_TO_XYZ, linear_rgb(colour))
    fx, fy, fz = (_lab_f(value / white) for value, white in zip(xyz, _WHITE_XYZ, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _hue_degrees(b: float, a: float) -> float:
    if a == 0 and b == 0:
        return 0.0
    return math.degrees(math.atan2(b, a)) % 360


def delta_e_2000(first: Lab, second: Lab) -> float:
    """Return the CIEDE2000 colour difference of two CIELAB colours, with kL = kC = kH = 1."""
    l1, a1, b1 = first
    l2, a2, b2 = second

    # Stretch a* for near-neutral colours so chroma differences there count more.
    mean_chroma = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(mean_chroma ** 7 / (mean_chroma ** 7 + 25 ** 7)))
    a1_prime, a2_prime = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1_prime, b1), math.hypot(a2_prime, b2)
    h1, h2 = _hue_degrees(b1, a1_prime), _hue_degrees(b2, a2_prime)

    # Hue difference along the shorter arc; zero when either colour has no hue.
    delta_l = l2 - l1
    delta_c = c2 - c1
    if c1 * c2 == 0:
        delta_h_angle = 0.0
    else:
        delta_h_angle = h2 - h1
        if delta_h_angle > 180:
            delta_h_angle -= 360
        elif delta_h_angle < -180:
            delta_h_angle += 360
    delta_h = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(delta_h_angle / 2))

    # Mean hue, again along the shorter arc.
    mean_l = (l1 + l2) / 2
    mean_c = (c1 + c2) / 2
    if c1 * c2 == 0:
        mean_h = h1 + h2
    elif abs(h1 - h2) <= 180:
        mean_h = (h1 + h2) / 2
    elif h1 + h2 < 360:
        mean_h = (h1 + h2 + 360) / 2
    else:
        mean_h = (h1 + h2 - 360) / 2

    t = (1 - 0.17 * math.cos(math.radians(mean_h - 30))
         + 0.24 * math.cos(math.radians(2 * mean_h))
         + 0.32 * math.cos(math.radians(3 * mean_h + 6))
         - 0.20 * math.cos(math.radians(4 * mean_h - 63)))
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / math.sqrt(20 + (mean_l - 50) ** 2)
    s_c = 1 + 0.045 * mean_c
    s_h = 1 + 0.015 * mean_c * t
    # Rotation term: blue hues near 275 degrees interact between chroma and hue.
    delta_theta = 30 * math.exp(-(((mean_h - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(mean_c ** 7 / (mean_c ** 7 + 25 ** 7))
    r_t = -math.sin(math.radians(2 * delta_theta)) * r_c

    lightness = delta_l / s_l
    chroma = delta_c / s_c
    hue = delta_h / s_h
    return math.sqrt(lightness ** 2 + chroma ** 2 + hue ** 2 + r_t * chroma * hue)


def colour_difference(first: str, second: str) -> float:
    """Return the CIEDE2000 difference of two ``#rrggbb`` colours."""
    return delta_e_2000(srgb_to_lab(first), srgb_to_lab(second))


def palette_colour(palette: Palette, name: str) -> str:
    """Return the colour of palette field ``name``, raising ColourError for an unknown field."""
    if name not in {field.name for field in fields(palette)}:
        raise ColourError(f"palette has no colour {name!r}")
    value: str = getattr(palette, name)
    return value


def check_contrast(palette: Palette, enhanced: bool = False,
                   pairs: tuple[TextPair, ...] = TEXT_ON_BACKGROUND) -> list[ContrastResult]:
    """Return the contrast of every text pair in ``palette`` with the WCAG ratio it needs.

    ``enhanced`` selects level AAA (7:1, or 4.5:1 for large text) instead of AA.
    """
    results = []
    for pair in pairs:
        text_colour = palette_colour(palette, pair.text)
        background_colour = palette_colour(palette, pair.background)
        results.append(ContrastResult(
            pair=pair, text_colour=text_colour, background_colour=background_colour,
            ratio=contrast_ratio(text_colour, background_colour),
            required=required_contrast(pair.large_text, enhanced)))
    return results


def risk_fill_differences(palette: Palette) -> Iterator[FillDifference]:
    """Yield the CIEDE2000 difference of every two risk fills, for normal vision and each dichromacy."""
    visions: tuple[Deficiency | None, ...] = (None, *Deficiency)
    for vision in visions:
        for first, second in itertools.combinations(RISK_COLOURS, 2):
            first_colour = simulate_deficiency(palette_colour(palette, f"risk_{first}"), vision)
            second_colour = simulate_deficiency(palette_colour(palette, f"risk_{second}"), vision)
            yield FillDifference(vision, first, second,
                                 colour_difference(first_colour, second_colour))
