"""WCAG contrast, colour-vision-deficiency simulation and CIEDE2000, and both palettes checked with them."""

from __future__ import annotations

import ast
import itertools
from dataclasses import fields, replace
from pathlib import Path

import pytest

from kiosk.ui.accessibility import (
    AA_LARGE_TEXT,
    AA_NORMAL_TEXT,
    AAA_LARGE_TEXT,
    AAA_NORMAL_TEXT,
    MIN_RISK_FILL_DIFFERENCE,
    RISK_COLOURS,
    TEXT_ON_BACKGROUND,
    ColourError,
    Deficiency,
    TextPair,
    check_contrast,
    colour_difference,
    contrast_ratio,
    delta_e_2000,
    linear_to_srgb,
    palette_colour,
    parse_hex,
    relative_luminance,
    required_contrast,
    risk_fill_differences,
    simulate_deficiency,
    simulate_linear,
    srgb_to_lab,
    srgb_to_linear,
)
from kiosk.ui.theme import DEFAULT_PALETTE, HIGH_CONTRAST_PALETTE, Palette

PALETTES = {"default": DEFAULT_PALETTE, "high_contrast": HIGH_CONTRAST_PALETTE}
VISIONS: tuple[Deficiency | None, ...] = (None, *Deficiency)


def _pair_id(pair: TextPair) -> str:
    return f"{pair.text}-on-{pair.background}"


# -- contrast ------------------------------------------------------------

def test_luminance_of_black_and_white() -> None:
    assert relative_luminance("#000000") == 0.0
    assert relative_luminance("#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("#ffffff", "#000000", 21.0),
    ("#777777", "#ffffff", 4.478),
    ("#767676", "#ffffff", 4.542),
    ("#0000ff", "#ffffff", 8.592),
    ("#ff0000", "#ffffff", 3.998),
    ("#123456", "#123456", 1.0),
])
def test_contrast_ratio_reference_values(first: str, second: str, expected: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(expected, abs=0.001)
    assert contrast_ratio(second, first) == pytest.approx(expected, abs=0.001)


def test_grey_777_fails_aa_and_767676_passes() -> None:
    assert contrast_ratio("#777777", "#ffffff") < AA_NORMAL_TEXT
    assert contrast_ratio("#767676", "#ffffff") >= AA_NORMAL_TEXT


def test_linearisation_uses_wcag_knee() -> None:
    # 10/255 is below the knee (linear segment), 11/255 above it (power curve).
    assert srgb_to_linear(10 / 255) == pytest.approx(10 / 255 / 12.92)
    assert srgb_to_linear(11 / 255) == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)
    assert srgb_to_linear(0.5) == pytest.approx(0.21404, abs=1e-5)


def test_linear_to_srgb_inverts_every_8_bit_value() -> None:
    for value in range(256):
        assert linear_to_srgb(srgb_to_linear(value / 255)) * 255 == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize(("large_text", "enhanced", "expected"), [
    (False, False, 4.5), (True, False, 3.0), (False, True, 7.0), (True, True, 4.5),
])
def test_required_contrast_levels(large_text: bool, enhanced: bool, expected: float) -> None:
    assert required_contrast(large_text, enhanced) == expected


@pytest.mark.parametrize("colour", ["ffffff", "#fff", "#gggggg", "#ffffff ", " #ffffff", "#fffffff",
                                    "", "rgb(0,0,0)", 0xFFFFFF, None])
def test_parse_hex_rejects_malformed(colour: object) -> None:
    with pytest.raises(ColourError):
        parse_hex(colour)  # type: ignore[arg-type]


def test_parse_hex_reads_both_cases() -> None:
    assert parse_hex("#0B3d6E") == (0x0B, 0x3D, 0x6E)


# -- colour-vision deficiency ------------------------------------------------

@pytest.mark.parametrize(("deficiency", "primary", "expected"), [
    # Machado et al. 2009, severity 1.0: the simulated primary is the matrix
    # column, with negative values clipped to 0.
    (Deficiency.PROTANOPIA, (1.0, 0.0, 0.0), (0.152286, 0.114503, 0.0)),
    (Deficiency.PROTANOPIA, (0.0, 1.0, 0.0), (1.0, 0.786281, 0.0)),
    (Deficiency.DEUTERANOPIA, (0.0, 1.0, 0.0), (0.860646, 0.672501, 0.042940)),
    (Deficiency.DEUTERANOPIA, (1.0, 0.0, 0.0), (0.367322, 0.280085, 0.0)),
    (Deficiency.TRITANOPIA, (0.0, 0.0, 1.0), (0.0, 0.147602, 0.303900)),
    (Deficiency.TRITANOPIA, (0.0, 1.0, 0.0), (0.0, 0.930809, 0.691367)),
])
def test_machado_primaries_map_to_matrix_columns(
        deficiency: Deficiency, primary: tuple[float, float, float],
        expected: tuple[float, float, float]) -> None:
    assert simulate_linear(primary, deficiency) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("deficiency", "colour", "expected"), [
    # The columns above, gamma-encoded to 8 bits:
    # 0.152286 -> 108.8, 0.114503 -> 95.0, so pure red is a dark olive for protanopes.
    (Deficiency.PROTANOPIA, "#ff0000", "#6d5f00"),
    # 0.860646 -> 238.7, 0.672501 -> 214.0, 0.042940 -> 58.4: pure green is a yellow.
    (Deficiency.DEUTERANOPIA, "#00ff00", "#efd63a"),
])
def test_machado_simulation_known_colours(deficiency: Deficiency, colour: str, expected: str) -> None:
    assert simulate_deficiency(colour, deficiency) == expected


@pytest.mark.parametrize("deficiency", list(Deficiency))
@pytest.mark.parametrize("grey", ["#000000", "#404040", "#808080", "#c0c0c0", "#ffffff"])
def test_simulation_keeps_greys(deficiency: Deficiency, grey: str) -> None:
    # Every Machado matrix row sums to 1, so neutral colours are unchanged.
    simulated = parse_hex(simulate_deficiency(grey, deficiency))
    for channel, original in zip(simulated, parse_hex(grey), strict=True):
        assert abs(channel - original) <= 1


@pytest.mark.parametrize("deficiency", list(Deficiency))
def test_simulation_keeps_linear_mid_grey_exactly(deficiency: Deficiency) -> None:
    # The published rows sum to 1 within 1e-6, so a mistyped entry shows here.
    assert simulate_linear((0.5, 0.5, 0.5), deficiency) == pytest.approx((0.5, 0.5, 0.5), abs=1e-6)


def test_normal_vision_returns_colour_unchanged() -> None:
    assert simulate_deficiency("#1E7B46", None) == "#1e7b46"


@pytest.mark.parametrize("deficiency", [Deficiency.PROTANOPIA, Deficiency.DEUTERANOPIA])
def test_red_green_dichromats_confuse_red_green(deficiency: Deficiency) -> None:
    red, green = "#d62728", "#2ca02c"
    normal = colour_difference(red, green)
    simulated = colour_difference(simulate_deficiency(red, deficiency),
                                  simulate_deficiency(green, deficiency))
    assert simulated < normal / 2


def test_tritanopia_confuses_blue_not_red() -> None:
    red, green, blue = "#d62728", "#2ca02c", "#0072b2"
    tritan = Deficiency.TRITANOPIA
    assert colour_difference(simulate_deficiency(red, tritan),
                             simulate_deficiency(green, tritan)) > 0.8 * colour_difference(red, green)
    assert colour_difference(simulate_deficiency(blue, tritan),
                             simulate_deficiency("#009e73", tritan)) < colour_difference(blue, "#009e73") / 2


# -- CIELAB and CIEDE2000 -------------------------------------------------

@pytest.mark.parametrize(("colour", "expected"), [
    ("#ffffff", (100.0, 0.0, 0.0)),
    ("#000000", (0.0, 0.0, 0.0)),
    ("#ff0000", (53.2408, 80.0925, 67.2032)),
    ("#808080", (53.5850, 0.0, 0.0)),
])
def test_srgb_to_lab_reference_values(colour: str, expected: tuple[float, float, float]) -> None:
    assert srgb_to_lab(colour) == pytest.approx(expected, abs=0.01)


# Sharma, Wu and Dalal, Color Res. Appl. 30(1), 2005, Table 1: L1 a1 b1 L2 a2 b2 and dE00.
# The pairs cover hue wrap-around at 0/360 degrees, the blue rotation term and near-neutral colours.
SHARMA_PAIRS = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


@pytest.mark.parametrize("row", SHARMA_PAIRS, ids=[f"pair{i}" for i in range(len(SHARMA_PAIRS))])
def test_ciede2000_matches_sharma_data(row: tuple[float, ...]) -> None:
    first, second, expected = row[:3], row[3:6], row[6]
    assert delta_e_2000(first, second) == pytest.approx(expected, abs=1e-4)  # type: ignore[arg-type]
    assert delta_e_2000(second, first) == pytest.approx(expected, abs=1e-4)  # type: ignore[arg-type]


def test_colour_difference_of_identical_and_extreme_colours() -> None:
    assert colour_difference("#3a7bd5", "#3a7bd5") == 0.0
    assert colour_difference("#000000", "#ffffff") == pytest.approx(100.0)


# -- the palettes ------------------------------------------------------------

@pytest.mark.parametrize("palette_name", PALETTES)
def test_every_palette_colour_is_hex(palette_name: str) -> None:
    palette = PALETTES[palette_name]
    for field in fields(palette):
        parse_hex(getattr(palette, field.name))


@pytest.mark.parametrize("pair", TEXT_ON_BACKGROUND, ids=_pair_id)
def test_text_pair_names_palette_fields(pair: TextPair) -> None:
    names = {field.name for field in fields(Palette)}
    assert pair.text in names
    assert pair.background in names


def test_text_pairs_cover_every_tone() -> None:
    # Read the tone table from the label module's source: importing it would load Kivy.
    source = (Path(__file__).resolve().parents[1] / "kiosk" / "ui" / "widgets" / "text.py").read_text()
    table = next(node for node in ast.parse(source).body
                 if isinstance(node, ast.Assign)
                 and any(isinstance(target, ast.Name) and target.id == "TONES"
                         for target in node.targets))
    tones: dict[str, str] = ast.literal_eval(table.value)
    text_fields = {pair.text for pair in TEXT_ON_BACKGROUND}
    assert set(tones.values()) <= text_fields


def test_text_pairs_are_unique() -> None:
    keys = [(pair.text, pair.background) for pair in TEXT_ON_BACKGROUND]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("pair", TEXT_ON_BACKGROUND, ids=_pair_id)
@pytest.mark.parametrize("palette_name", PALETTES)
def test_text_pair_meets_wcag_aa(palette_name: str, pair: TextPair) -> None:
    [result] = check_contrast(PALETTES[palette_name], pairs=(pair,))
    assert result.required == (AA_LARGE_TEXT if pair.large_text else AA_NORMAL_TEXT)
    assert result.passes, (
        f"{palette_name}: {pair.text} {result.text_colour} on {pair.background} "
        f"{result.background_colour} is {result.ratio:.2f}:1, needs {result.required}:1 ({pair.where})")


@pytest.mark.parametrize("pair", TEXT_ON_BACKGROUND, ids=_pair_id)
def test_high_contrast_pair_meets_wcag_aaa(pair: TextPair) -> None:
    [result] = check_contrast(HIGH_CONTRAST_PALETTE, enhanced=True, pairs=(pair,))
    assert result.required == (AAA_LARGE_TEXT if pair.large_text else AAA_NORMAL_TEXT)
    assert result.passes, (
        f"high contrast: {pair.text} {result.text_colour} on {pair.background} "
        f"{result.background_colour} is {result.ratio:.2f}:1, needs {result.required}:1 ({pair.where})")


def test_high_contrast_normal_text_reaches_seven_to_one() -> None:
    ratios = [result.ratio for result in check_contrast(HIGH_CONTRAST_PALETTE)
              if not result.pair.large_text]
    assert min(ratios) >= 7.0


def test_contrast_check_reports_failing_pair() -> None:
    washed_out = replace(DEFAULT_PALETTE, muted_text="#999999")
    failing = {(result.pair.text, result.pair.background)
               for result in check_contrast(washed_out) if not result.passes}
    assert failing == {("muted_text", "background"), ("muted_text", "surface"),
                       ("muted_text", "banner")}


def test_palette_colour_rejects_unknown_field() -> None:
    with pytest.raises(ColourError, match="no colour 'link_text'"):
        palette_colour(DEFAULT_PALETTE, "link_text")


@pytest.mark.parametrize("vision", VISIONS, ids=lambda vision: vision.value if vision else "normal")
@pytest.mark.parametrize("palette_name", PALETTES)
def test_risk_fills_stay_distinguishable(palette_name: str, vision: Deficiency | None) -> None:
    differences = [difference for difference in risk_fill_differences(PALETTES[palette_name])
                   if difference.vision is vision]
    assert len(differences) == len(list(itertools.combinations(RISK_COLOURS, 2)))
    for difference in differences:
        assert difference.delta_e >= MIN_RISK_FILL_DIFFERENCE, (
            f"{palette_name}: risk_{difference.first} and risk_{difference.second} differ by "
            f"only {difference.delta_e:.1f} CIEDE2000")


def test_risk_check_catches_confusable_green() -> None:
    # The green used before, #1e7b34, came within 8.3 of the red for deuteranopes
    # and within 7.8 of the orange for protanopes.
    old = replace(DEFAULT_PALETTE, risk_green="#1e7b34")
    close = [difference for difference in risk_fill_differences(old)
             if difference.delta_e < MIN_RISK_FILL_DIFFERENCE]
    assert {(difference.vision, difference.first, difference.second) for difference in close} == {
        (Deficiency.PROTANOPIA, "green", "orange"),
        (Deficiency.DEUTERANOPIA, "green", "red"),
    }
