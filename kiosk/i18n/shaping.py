"""Line breaking and right-to-left shaping for a renderer that does neither.

Kivy's SDL2 text provider draws glyphs left to right in logical order with no
contextual forms. Arabic therefore has to be reshaped into presentation forms
and reordered into visual order here, one *line* at a time: reordering a whole
paragraph before it is wrapped puts the lines in the wrong order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import arabic_reshaper

# The pure-Python algorithm module mirrors brackets (rule L4 of UAX #9); the
# Rust-backed bidi.get_display of python-bidi 0.6 leaves "(" and ")" unmirrored.
from bidi.algorithm import get_display

#: Bidi embedding and override controls. Content may not reorder the screen
#: with them; they are removed before shaping.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_BREAK_AFTER = re.compile(r"(\s+)")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\t": " "})


def clean_text(text: str) -> str:
    """Remove control and bidi-override characters and normalise line breaks.

    CR LF, CR and the Unicode line and paragraph separators become newlines and
    a tab becomes a space, because the kiosk fonts have no glyph for them and
    Kivy would draw a box.
    """
    text = _BIDI_CONTROLS.sub("", text)
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    return "".join(char for char in text
                    if char == "\n" or unicodedata.category(char) not in {"Cc", "Cs"})


@lru_cache(maxsize=4096)
def visual_line(line: str, rtl: bool) -> str:
    """Return one line in the order and forms the screen draws it."""
    if not rtl:
        return line
    return str(get_display(arabic_reshaper.reshape(line), base_dir="R"))


def wrap_logical(paragraph: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Break a paragraph into lines no wider than ``max_width`` where possible.

    Breaks at white space; a word wider than a whole line (or text with no
    spaces, such as Chinese or Japanese) is broken between characters.
    """
    lines: list[str] = []
    current = ""
    for piece in _BREAK_AFTER.split(paragraph):
        if not piece:
            continue
        candidate = current + piece
        if measure(candidate.rstrip()) <= max_width or not current.strip():
            current = candidate
        else:
            lines.append(current.rstrip())
            current = piece.lstrip()
        while measure(current.rstrip()) > max_width and len(current) > 1:
            cut = _fit_prefix(current, max_width, measure)
            lines.append(current[:cut])
            current = current[cut:]
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def _fit_prefix(text: str, max_width: float, measure: Callable[[str], float]) -> int:
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= max_width:
            low = middle
        else:
            high = middle - 1
    return low


def layout_rtl(text: str, max_width: float, measure: Callable[[str], float]) -> str:
    """Wrap right-to-left text to ``max_width`` and return it in visual order.

    ``measure`` returns the drawn width of a string in the label's font; it is
    applied to the shaped form, because Arabic presentation forms differ in
    width from the logical letters. Arabic letters join only within a word, so
    a line's width is the sum of its words' widths, each measured once.
    """
    widths: dict[str, float] = {}

    def piece_width(piece: str) -> float:
        if piece not in widths:
            widths[piece] = measure(visual_line(piece, rtl=True)) if piece.strip() else \
                measure("x" + piece + "x") - measure("xx")
        return widths[piece]

    def shaped_width(fragment: str) -> float:
        return measure(visual_line(fragment, rtl=True))

    visual: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        line_width = 0.0
        for piece in _BREAK_AFTER.split(paragraph):
            if not piece:
                continue
            width = piece_width(piece)
            if piece.isspace():
                if line:
                    line.append(piece)
                    line_width += width
                continue
            if line and line_width + width > max_width:
                visual.append(visual_line("".join(line).rstrip(), rtl=True))
                line, line_width = [], 0.0
            if width > max_width:
                # A word wider than the whole line is broken between letters.
                *full, rest = wrap_logical(piece, max_width, shaped_width)
                visual.extend(visual_line(part, rtl=True) for part in full)
                line, line_width = [rest], shaped_width(rest)
                continue
            line.append(piece)
            line_width += width
        visual.append(visual_line("".join(line).rstrip(), rtl=True))
    return "\n".join(visual)
