"""Line breaking for Chinese, Japanese and Korean text, measured with a fake fixed-width font."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.i18n.linebreak import (
    LineBreakClass,
    LineBreakError,
    break_lines,
    has_east_asian_text,
    layout_ltr,
    line_break_class,
    split_pieces,
)

#: Characters that must never start a line, as a Chinese or Japanese reader expects.
NEVER_FIRST = set("。，、；：？！）」』】〕》〉ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー々・")
#: Characters that must never end a line.
NEVER_LAST = set("（「『【〔《〈([{“‘")

RULES_ZH = "勤洗手，咳嗽或打喷嚏时遮住口鼻。身体不适时，请暂缓出行。"
TEMPERATURE_ZH = "进入航站楼时请配合体温检测。体温 37.3°C 及以上的旅客，将由工作人员引导复测。"
SAMPLES = [
    RULES_ZH,
    TEMPERATURE_ZH,
    "在航站楼内和客舱中请佩戴口罩。航班服务问题请先联系航空公司，未能解决的可拨打 12326。",
    "マスクを着用してください。咳やくしゃみをするときはティッシュや肘で口と鼻を覆い、その後手を洗ってください。",
    "ターミナルの入口で検温を行います。37.3℃以上の方は、係員の案内で再検温を受けていただきます。",
    "高リスク地域から来た（戻った）、または過去14日以内に解熱剤を購入した。",
    "请点击“确认”按钮，并查看《出行须知》【重要】〔附录〕『说明』「提示」〈注〉。",
    "터미널 입구에서 체온을 측정합니다. 37.3℃ 이상인 승객은 직원 안내에 따라 다시 측정합니다.",
]

HOSTILE = [
    "",
    "W" * 5000,
    "长" * 5000,
    "。" * 500,
    "（" * 500,
    "，。、；：？！）」』】〕》〉" * 40,
    "zero\u200bwidth\u200cjoiners\u200d\ufeffeverywhere" * 50,
    "\u202eevil reversed text\u202c 和\u2066隔离\u2069" * 50,
    "e" + "\u0301" * 400,
    "\u0301" * 400,
    " " * 300,
    "\u3000" * 300,
    "\u200b" * 300,
    "👨\u200d👩\u200d👧" * 200,
    "\ud800\udfff\x00\x07",
    "https://example.gov.cn/" + "a" * 3000,
]


def width(text: str) -> float:
    return 10.0 * len(text)


def rebuild(paragraph: str, lines: list[str]) -> list[int]:
    """Check that ``lines`` are ``paragraph`` with spaces dropped at breaks; return the break offsets."""
    breaks = []
    position = 0
    for number, line in enumerate(lines):
        if number:
            while not paragraph.startswith(line, position):
                assert line_break_class(paragraph[position]) is LineBreakClass.SPACE, (
                    f"line {number} {line!r} does not follow offset {position} of {paragraph!r}")
                position += 1
            breaks.append(position)
        assert paragraph.startswith(line, position), (number, line, paragraph[position:position + 40])
        position += len(line)
    rest = paragraph[position:]
    assert all(line_break_class(char) is LineBreakClass.SPACE for char in rest), repr(rest)
    return breaks


def piece_boundaries(paragraph: str) -> set[int]:
    boundaries = set()
    offset = 0
    for text, spaces in split_pieces(paragraph):
        offset += len(text) + len(spaces)
        boundaries.add(offset)
    return boundaries


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("columns", range(4, 40))
def test_forbidden_punctuation_stays_off_line_edges(text, columns):
    lines = break_lines(text, width("x" * columns), width)
    for line in lines[1:]:
        assert line[0] not in NEVER_FIRST, (columns, lines)
    for line in lines[:-1]:
        assert line[-1] not in NEVER_LAST, (columns, lines)


def test_closing_stop_joins_character_before_it():
    # At 27 columns the sentence without its final "。" fills the line exactly,
    # so breaking at the last fitting character would start a line with "。".
    lines = break_lines(RULES_ZH, width("x" * 27), width)
    assert lines == ["勤洗手，咳嗽或打喷嚏时遮住口鼻。身体不适时，请暂缓出", "行。"]


def test_temperature_line_fills_before_number():
    lines = break_lines(TEMPERATURE_ZH, width("x" * 23), width)
    assert lines[0] == "进入航站楼时请配合体温检测。体温 37.3°C"
    assert lines[1] == "及以上的旅客，将由工作人员引导复测。"


@pytest.mark.parametrize("word", ["37.3°C", "37.3℃", "12326", "https://example.gov.cn/rules", "COVID-19"])
@pytest.mark.parametrize("columns", range(30, 40))
def test_latin_words_and_numbers_stay_whole(word, columns):
    text = f"进入航站楼时请配合体温检测，{word}以上的旅客请联系工作人员{word}。"
    lines = break_lines(text, width("x" * columns), width)
    assert sum(line.count(word) for line in lines) == 2, lines


@pytest.mark.parametrize("columns", range(2, 30))
def test_ideograph_lines_fill_to_width(columns):
    text = "发热门诊请拨打热线电话咨询就诊地点" * 5
    lines = break_lines(text, width("x" * columns), width)
    assert all(len(line) == columns for line in lines[:-1]), lines
    assert 0 < len(lines[-1]) <= columns


@pytest.mark.parametrize("columns", range(6, 40))
def test_lines_are_as_full_as_rules_allow(columns):
    for text in SAMPLES[:7]:
        lines = break_lines(text, width("x" * columns), width)
        for line, following in pairwise(lines):
            first_piece = split_pieces(following)[0][0]
            gap = " " if f"{line} {first_piece}" in text else ""
            assert width(line + gap + first_piece) > width("x" * columns), (columns, lines)


def test_korean_breaks_at_spaces():
    text = "터미널 입구에서 체온을 측정합니다. 37.3℃ 이상인 승객은"
    lines = break_lines(text, width("x" * 10), width)
    assert lines == ["터미널 입구에서", "체온을 측정합니다.", "37.3℃ 이상인", "승객은"]


def test_long_korean_word_breaks_between_syllables():
    lines = break_lines("위험" * 10, width("x" * 6), width)
    assert lines == ["위험위험위험", "위험위험위험", "위험위험위험", "위험"]


def test_opening_bracket_moves_with_next_character():
    lines = break_lines("请查看出行须知（附录）", width("x" * 8), width)
    assert lines == ["请查看出行须知", "（附录）"]


def test_small_kana_and_prolonged_mark_never_start_line():
    lines = break_lines("ちょっとターミナル", width("x" * 3), width)
    assert lines == ["ちょっ", "とター", "ミナル"]


def test_overlong_url_breaks_after_separators():
    lines = break_lines("访问 https://example.gov.cn/rules/airport-health 查询", width("x" * 15), width)
    assert lines == ["访问", "https://", "example.gov.cn/", "rules/airport-", "health 查询"]


def test_overlong_word_is_cut_at_fit_point():
    assert break_lines("说明" + "W" * 25, width("x" * 10), width) == ["说明", "W" * 10, "W" * 10, "W" * 5]


def test_overlong_word_keeps_accent_with_its_letter():
    text = "Cafe\u0301" * 3
    lines = break_lines(text, width("x" * 5), width)
    rebuild(text, lines)
    assert not any(line.startswith("\u0301") for line in lines), lines


def test_kerned_font_is_checked_with_whole_lines():
    # Pieces measured alone sum to less than the line: every line must still fit.
    def loose(text: str) -> float:
        return 10.0 * len(text) + 3.0 * max(len(text) - 1, 0)

    lines = break_lines(RULES_ZH * 3, 200.0, loose)
    rebuild(RULES_ZH * 3, lines)
    assert all(loose(line) <= 200.0 for line in lines), lines
    assert len(lines) > 3


def test_tight_font_fits_more_than_piece_sum():
    # Pieces measured alone sum to more than the line: the line is measured whole.
    def tight(text: str) -> float:
        return 10.0 * len(text) - 2.0 * max(len(text) - 1, 0)

    lines = break_lines("发热门诊" * 10, 80.0, tight)
    assert len(lines[0]) == 9, lines


def test_layout_keeps_paragraphs_and_blank_lines():
    text = "发热门诊请拨打\n\n咨询热线 12320"
    assert layout_ltr(text, width("x" * 5), width) == "发热门诊请\n拨打\n\n咨询热线\n12320"


def test_spaces_at_breaks_and_paragraph_end_are_dropped():
    assert break_lines("发热门诊   请拨打   ", width("x" * 5), width) == ["发热门诊", "请拨打"]


def test_leading_indent_stays_on_first_line():
    assert break_lines("\u3000\u3000发热门诊请拨打", width("x" * 6), width) == ["\u3000\u3000发热门诊", "请拨打"]


def test_infinite_width_keeps_paragraph_on_one_line():
    assert break_lines(TEMPERATURE_ZH, math.inf, width) == [TEMPERATURE_ZH]


@pytest.mark.parametrize("bad", [0.0, -5.0, math.nan])
def test_invalid_width_raises(bad):
    with pytest.raises(LineBreakError, match="invalid line width"):
        break_lines("发热", bad, width)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("columns", [1, 7, 40])
def test_hostile_text_gives_bounded_lines(text, columns):
    calls = []

    def counted(fragment: str) -> float:
        calls.append(len(fragment))
        return width(fragment)

    lines = break_lines(text, width("x" * columns), counted)
    rebuild(text, lines)
    assert 1 <= len(lines) <= len(text) + 1
    for line in lines:
        fits = width(line) <= width("x" * columns)
        cluster = sum(line_break_class(char) is not LineBreakClass.COMBINING for char in line) <= 1
        assert fits or cluster, (line[:20], len(line))
    # Measuring stays linear in the text: a few measures per line and per piece,
    # each no longer than a line plus one piece.
    assert len(calls) <= 6 * len(text) + 10
    assert sum(calls) <= 20 * len(text) * (columns + 2) + 100


@pytest.mark.parametrize(("char", "kind"), [
    ("发", LineBreakClass.IDEOGRAPHIC),
    ("カ", LineBreakClass.IDEOGRAPHIC),
    ("한", LineBreakClass.ALPHABETIC),
    ("A", LineBreakClass.ALPHABETIC),
    ("7", LineBreakClass.ALPHABETIC),
    ("。", LineBreakClass.CLOSE_WIDE),
    ("ッ", LineBreakClass.CLOSE_WIDE),
    ("ー", LineBreakClass.CLOSE_WIDE),
    (")", LineBreakClass.CLOSE),
    ("℃", LineBreakClass.CLOSE),
    ("（", LineBreakClass.OPEN_WIDE),
    ("“", LineBreakClass.OPEN),
    (" ", LineBreakClass.SPACE),
    ("\u3000", LineBreakClass.SPACE),
    ("\u00a0", LineBreakClass.GLUE),
    ("\u0301", LineBreakClass.COMBINING),
    ("\u200d", LineBreakClass.COMBINING),
])
def test_line_break_class(char, kind):
    assert line_break_class(char) is kind


@pytest.mark.parametrize(("text", "expected"), [
    ("Hotline 12320", False),
    ("Москва", False),
    ("مرحبا", False),
    ("发热", True),
    ("カタカナ", True),
    ("서울", True),
    ("Hotline（12320）", True),
    ("\U00020000", True),
])
def test_has_east_asian_text(text, expected):
    assert has_east_asian_text(text) is expected


ALPHABET = st.sampled_from(
    list("发热门诊请拨打东京駅ちょっとターミナルッー。，、；：？！）」』】（「『【“”‘’")
    + list("abcXYZ0123.-/°℃%()[]\"'") + list("한국어서울") + [" ", " ", "\u3000", "\u200b", "\u0301",
                                                            "\u00a0", "\u200d", "👩"]
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=120), columns=st.integers(min_value=1, max_value=30))
def test_lines_rebuild_text_and_fit(text, columns):
    max_width = width("x" * columns)
    lines = break_lines(text, max_width, width)
    breaks = rebuild(text, lines)
    for line in lines:
        cluster = sum(line_break_class(char) is not LineBreakClass.COMBINING for char in line) <= 1
        assert width(line) <= max_width or cluster, (line, columns)
    # A break away from a break opportunity only happens inside a piece wider than a line.
    allowed = piece_boundaries(text)
    offset = 0
    overlong = set()
    for piece, spaces in split_pieces(text):
        if width(piece) > max_width:
            overlong.update(range(offset + 1, offset + len(piece)))
        offset += len(piece) + len(spaces)
    for position in breaks:
        assert position in allowed or position in overlong, (position, text, lines)
