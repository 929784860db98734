"""Line breaking for Chinese, Japanese and Korean text in left-to-right labels.

Kivy 2.3's text layout breaks lines only at ASCII spaces. Chinese and Japanese
put no spaces between words, so Kivy moves a whole sentence to the next line.
A sentence longer than a line is cut at any character, which can leave a
closing "。" alone at the start of a line. This module finds the break
opportunities of a paragraph and wraps it greedily to a width measured in the
label's font.

The rules are a small tailoring of the Unicode line breaking algorithm (UAX #14)
with the Japanese kinsoku rules:

* a line may break after spaces, and between two ideographs or kana;
* a line never starts with closing punctuation, small kana or the prolonged
  sound mark, and never ends with opening punctuation;
* Latin letters, digits and the symbols among them ("37.3°C", "12326", a URL)
  stay together, and so do Korean words: Korean is written with spaces and
  breaks at them (CSS ``word-break: keep-all``);
* a piece wider than a whole line is cut where it fits, after a "/", "-" or
  similar character of a URL where that fills at least half the line.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from enum import IntEnum
from functools import lru_cache

Measure = Callable[[str], float]


class LineBreakClass(IntEnum):
    """Role of a character in line breaking: a reduced set of the UAX #14 classes."""

    ALPHABETIC = 0
    """Letters, digits, Hangul and symbols: no break between two of them."""
    IDEOGRAPHIC = 1
    """Ideographs, kana and other wide characters: a break is allowed on either side."""
    SPACE = 2
    """Spaces: a break is allowed after a run of them, and the run is dropped there."""
    CLOSE = 3
    """Narrow closing punctuation and postfix symbols: never at the start of a line."""
    CLOSE_WIDE = 4
    """Full-width closing punctuation, small kana and "ー": never at the start of a
    line, but a break is allowed after them."""
    OPEN = 5
    """Narrow opening punctuation and currency prefixes: never at the end of a line."""
    OPEN_WIDE = 6
    """Full-width opening punctuation: never at the end of a line, but a break is
    allowed before them."""
    GLUE = 7
    """No-break spaces, word joiners and ASCII quotes: no break on either side."""
    COMBINING = 8
    """Combining marks, joiners and variation selectors: part of the preceding character."""


#: Spaces that end a word: ASCII and ideographic spaces, the typographic spaces
#: U+2000..U+200A without the figure space, and the zero width space.
_SPACES = frozenset(" \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u200b\u205f\u3000")

#: Characters a line must not start with (UAX #14 classes CL, CP, EX, IS, NS and
#: PO, and the small kana that Japanese typesetting treats the same way).
_CLOSING = frozenset(
    ")]}.,;:?!%"
    "\u00b0\u00b7\u2019\u201d\u2025\u2026\u2030\u2032\u2033\u203c\u2047\u2048\u2049\u2103\u2109"
    "\u3001\u3002\u3005\u3009\u300b\u300d\u300f\u3011\u3015\u3017\u3019\u301b\u301c\u301e\u301f\u303b"
    "\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e\u3095\u3096\u309b\u309c\u309d\u309e"
    "\u30a0\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30f5\u30f6\u30fb\u30fc\u30fd\u30fe"
    "\u31f0\u31f1\u31f2\u31f3\u31f4\u31f5\u31f6\u31f7\u31f8\u31f9\u31fa\u31fb\u31fc\u31fd\u31fe\u31ff"
    "\ufe10\ufe11\ufe12\ufe13\ufe14\ufe15\ufe16\ufe50\ufe51\ufe52\ufe54\ufe55\ufe56\ufe57\ufe5a\ufe5c\ufe5e"
    "\uff01\uff05\uff09\uff0c\uff0e\uff1a\uff1b\uff1f\uff3d\uff5d\uff60\uff61\uff63\uff64\uff65"
    "\uff67\uff68\uff69\uff6a\uff6b\uff6c\uff6d\uff6e\uff6f\uff70\uff9e\uff9f\uffe0"
)

#: Characters a line must not end with: opening brackets and quotes (UAX #14
#: class OP, and QU tailored as Chinese text uses it) and currency prefixes (PR).
_OPENING = frozenset(
    "([{$\u00a3\u00a5\u2018\u201c\u20ac"
    "\u3008\u300a\u300c\u300e\u3010\u3014\u3016\u3018\u301a\u301d\ufe59\ufe5b\ufe5d"
    "\uff04\uff08\uff3b\uff5b\uff5f\uff62\uffe1\uffe5"
)

#: No break on either side: no-break spaces, word joiners and the ASCII quotes,
#: which do not show whether they open or close.
_GLUE = frozenset("\"'\u00a0\u034f\u2007\u202f\u2060\ufeff")

#: Characters that extend the one before them although their category is not a
#: mark: joiners, variation selectors and emoji skin tones.
_EXTENDING = frozenset(
    ["\u200c", "\u200d", *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0x1F3FB, 0x1F400)),
     *map(chr, range(0xE0020, 0xE0080)), *map(chr, range(0xE0100, 0xE01F0))]
)

#: Hangul jamo, compatibility jamo, syllables and half-width forms.
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff\uffa0-\uffdc]")

#: Scripts and punctuation that need these rules: Hangul, CJK punctuation, kana,
#: ideographs and full-width forms. Other text is left to Kivy.
_EAST_ASIAN = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe6f\uff00-\uffef\U0001b000-\U0001b2ff\U00020000-\U0003ffff]"
)

#: Characters after which a piece wider than a line is best cut, when the next
#: character is a letter or digit: the separators inside URLs and file names.
_URL_SEPARATORS = frozenset("/-?&=#.")

#: Number of single-character steps that correct a cut estimated from character
#: widths before a binary search takes over. A cut also moves back at most this
#: far to keep closing punctuation off the start of the next line.
_MAX_CUT_STEPS = 4


class LineBreakError(ValueError):
    """A width that no text can be wrapped to."""


@lru_cache(maxsize=8192)
def line_break_class(char: str) -> LineBreakClass:
    """Return the line breaking class of one character."""
    if char in _SPACES:
        return LineBreakClass.SPACE
    wide = unicodedata.east_asian_width(char) in {"W", "F"}
    if char in _CLOSING:
        return LineBreakClass.CLOSE_WIDE if wide else LineBreakClass.CLOSE
    if char in _OPENING:
        return LineBreakClass.OPEN_WIDE if wide else LineBreakClass.OPEN
    if char in _GLUE:
        return LineBreakClass.GLUE
    if char in _EXTENDING or unicodedata.category(char) in {"Mn", "Mc", "Me"}:
        return LineBreakClass.COMBINING
    if _HANGUL.match(char):
        return LineBreakClass.ALPHABETIC
    return LineBreakClass.IDEOGRAPHIC if wide else LineBreakClass.ALPHABETIC


def has_east_asian_text(text: str) -> bool:
    """Return True when ``text`` contains Chinese, Japanese or Korean characters or punctuation."""
    return _EAST_ASIAN.search(text) is not None


_NO_BREAK_BEFORE = frozenset({LineBreakClass.SPACE, LineBreakClass.CLOSE, LineBreakClass.CLOSE_WIDE,
                              LineBreakClass.GLUE, LineBreakClass.COMBINING})
_NO_BREAK_AFTER = frozenset({LineBreakClass.OPEN, LineBreakClass.OPEN_WIDE, LineBreakClass.GLUE})


def _break_between(before: LineBreakClass, after: LineBreakClass) -> bool:
    """Return True when a line may break between two adjacent non-space characters."""
    if after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False
    if LineBreakClass.IDEOGRAPHIC in (before, after):
        return True
    return before is LineBreakClass.CLOSE_WIDE or after is LineBreakClass.OPEN_WIDE


def split_pieces(paragraph: str) -> list[tuple[str, str]]:
    """Split a paragraph at its break opportunities.

    Returns ``(text, spaces)`` pairs: ``text`` is what must stay on one line and
    ``spaces`` the run of spaces after it, which a break there drops. The pairs
    joined give back ``paragraph``. Spaces that cannot be a break, such as
    those before closing punctuation or at the start, stay inside ``text``.
    """
    pieces: list[tuple[str, str]] = []
    start = 0
    space_start = -1
    previous: LineBreakClass | None = None
    for index, char in enumerate(paragraph):
        kind = line_break_class(char)
        if kind is LineBreakClass.SPACE:
            if space_start < 0:
                space_start = index
            continue
        if space_start >= 0:
            if (space_start > start and kind not in _NO_BREAK_BEFORE
                    and previous not in _NO_BREAK_AFTER):
                pieces.append((paragraph[start:space_start], paragraph[space_start:index]))
                start = index
            space_start = -1
        elif (previous is not None and index > start and paragraph[index - 1] != "\u200d"
              and _break_between(previous, kind)):
            pieces.append((paragraph[start:index], ""))
            start = index
        if kind is not LineBreakClass.COMBINING:
            previous = kind
    if start < len(paragraph):
        if space_start > start:
            pieces.append((paragraph[start:space_start], paragraph[space_start:]))
        else:
            pieces.append((paragraph[start:], ""))
    return pieces


class _Widths:
    """Widths of pieces and spaces in one font, each measured once."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self._cache: dict[str, float] = {}

    def text(self, text: str) -> float:
        width = self._cache.get(text)
        if width is None:
            width = self._cache[text] = float(self.measure(text))
        return width

    def spaces(self, spaces: str) -> float:
        # A run of spaces alone can measure as nothing, so it is measured
        # between two letters.
        if not spaces:
            return 0.0
        key = "\0" + spaces
        width = self._cache.get(key)
        if width is None:
            width = self._cache[key] = float(self.measure("x" + spaces + "x") - self.measure("xx"))
        return width


def _fit_length(text: str, max_width: float, widths: _Widths) -> int:
    """Return the length of the longest prefix of ``text`` that fits in ``max_width``, at least 1.

    The estimate from per-character widths is corrected with whole-prefix
    measures, because kerning makes a prefix narrower or wider than its parts.
    """
    total = 0.0
    length = 0
    for char in text:
        total += widths.text(char)
        if total > max_width:
            break
        length += 1
    length = min(max(length, 1), len(text))
    for _ in range(_MAX_CUT_STEPS):
        if length > 1 and widths.measure(text[:length]) > max_width:
            length -= 1
        elif length < len(text) and widths.measure(text[:length + 1]) <= max_width:
            length += 1
        else:
            return length
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if widths.measure(text[:middle]) <= max_width:
            low = middle
        else:
            high = middle - 1
    return low


def _cut_overlong(text: str, max_width: float, widths: _Widths) -> list[str]:
    """Cut a piece wider than a line into parts that each fit, the last one possibly narrower."""
    parts: list[str] = []
    while len(text) > 1:
        length = _fit_length(text, max_width, widths)
        if length < len(text):
            length = _better_cut(text, length)
        if length >= len(text):
            break
        parts.append(text[:length])
        text = text[length:]
    parts.append(text)
    return parts


def _better_cut(text: str, length: int) -> int:
    """Move a cut at ``length`` to a URL separator, or off a combining mark or closing punctuation.

    A cut after "/", "-", "?", "&", "=", "#" or "." followed by a letter or
    digit is taken when at least half of the characters that fit stay on the
    line. A cut is never moved forward except to keep a mark with its base.
    """
    for index in range(length, max(length // 2, 1) - 1, -1):
        if text[index - 1] in _URL_SEPARATORS and text[index].isalnum():
            return index
    for index in range(length, max(length - _MAX_CUT_STEPS - 1, 0), -1):
        if (line_break_class(text[index]) not in _NO_BREAK_BEFORE
                and line_break_class(text[index - 1]) not in _NO_BREAK_AFTER):
            return index
    for index in range(length, 0, -1):
        if line_break_class(text[index]) is not LineBreakClass.COMBINING:
            return index
    for index in range(length + 1, len(text)):
        if line_break_class(text[index]) is not LineBreakClass.COMBINING:
            return index
    return len(text)


def break_lines(paragraph: str, max_width: float, measure: Measure) -> list[str]:
    """Wrap one paragraph (no newlines) greedily to ``max_width`` and return its lines.

    ``measure`` returns the drawn width of a string in the label's font. Every
    line fits in ``max_width`` unless it is one character, with its combining
    marks, that is wider than the line. The spaces at each break and at
    the end of the paragraph are dropped, so the lines joined with those spaces
    put back give ``paragraph``.

    Raises ``LineBreakError`` when ``max_width`` is not a positive number.
    """
    if math.isnan(max_width) or max_width <= 0:
        raise LineBreakError(f"invalid line width {max_width!r}: expected a positive number of pixels")
    pieces = split_pieces(paragraph)
    if not pieces:
        return [""]
    widths = _Widths(measure)
    lines: list[str] = []
    line: list[tuple[str, str]] = []
    line_width = 0.0
    index = 0
    while index < len(pieces) or line:
        if index == len(pieces):
            index = _close_line(lines, line, index, max_width, widths)
            line, line_width = [], 0.0
            continue
        text, spaces = pieces[index]
        if line:
            gap = line[-1][1]
            estimate = line_width + widths.spaces(gap) + widths.text(text)
            if estimate > max_width:
                # The sum of piece widths ignores kerning across pieces, so a
                # piece that seems not to fit is measured with the line.
                estimate = widths.measure(_join(line) + gap + text)
            if estimate <= max_width:
                line.append((text, spaces))
                line_width = estimate
                index += 1
                continue
            index = _close_line(lines, line, index, max_width, widths)
            line, line_width = [], 0.0
            continue
        if widths.text(text) > max_width:
            *full, rest = _cut_overlong(text, max_width, widths)
            lines.extend(full)
            text = rest
        line, line_width = [(text, spaces)], widths.text(text)
        index += 1
    return lines


def _join(line: list[tuple[str, str]]) -> str:
    """Return the text of a line's pieces with the spaces between them and none at the end."""
    return "".join(text + spaces for text, spaces in line[:-1]) + line[-1][0]


def _close_line(lines: list[str], line: list[tuple[str, str]], index: int, max_width: float,
                widths: _Widths) -> int:
    """Append a finished line, giving pieces back while the whole line measures too wide.

    Returns the index of the next piece to place.
    """
    text = _join(line)
    while len(line) > 1 and widths.measure(text) > max_width:
        line.pop()
        index -= 1
        text = _join(line)
    lines.append(text)
    return index


def layout_ltr(text: str, max_width: float, measure: Measure) -> str:
    """Wrap left-to-right text to ``max_width`` and return it with a newline at each break.

    Existing newlines stay paragraph breaks. See ``break_lines`` for the rules.
    """
    return "\n".join(line for paragraph in text.split("\n")
                     for line in break_lines(paragraph, max_width, measure))
