"""Right-to-left shaping, line breaking and text cleaning for the Kivy renderer."""

from __future__ import annotations

import arabic_reshaper
import pytest

from kiosk.i18n.fonts import text_language
from kiosk.i18n.shaping import clean_text, layout_rtl, visual_line, wrap_logical


def width(text: str) -> float:
    return 10.0 * len(text)


def test_wrap_breaks_at_spaces():
    assert wrap_logical("aaa bbb ccc", 70, width) == ["aaa bbb", "ccc"]


def test_wrap_breaks_long_word_between_characters():
    assert wrap_logical("发热门诊请拨打一二三二零", 50, width) == ["发热门诊请", "拨打一二三", "二零"]


def test_wrap_keeps_empty_paragraph():
    assert wrap_logical("", 100, width) == [""]


def test_rtl_lines_keep_reading_order():
    # Reordering per line puts the first words of the paragraph on the first line.
    first, second = "اتصل بالرقم", "الآن"
    shaped = layout_rtl(f"{first} {second}", width(arabic_reshaper.reshape(first)) + 5, width)
    lines = shaped.split("\n")
    assert len(lines) == 2
    assert lines[0] == visual_line(first, rtl=True)
    assert lines[1] == visual_line(second, rtl=True)


def test_rtl_mirrors_brackets():
    # Read from the right: "صادر عن (محتوى تجريبي)". Drawn left to right, the
    # bracket that closes the phrase comes first and must be "(".
    line = visual_line("صادر عن (محتوى تجريبي)", rtl=True)
    assert line.startswith("(")
    assert line.index(")") < line.index(visual_line("عن", rtl=True))


def test_rtl_keeps_digits_left_to_right():
    assert "12320" in visual_line("اتصل بالرقم 12320", rtl=True)


def test_rtl_uses_presentation_forms():
    line = visual_line("مرحبا", rtl=True)
    assert all(0xFE70 <= ord(char) <= 0xFEFF for char in line)


def test_ltr_line_unchanged():
    assert visual_line("Hotline 12320", rtl=False) == "Hotline 12320"


@pytest.mark.parametrize(("raw", "clean"), [
    ("a\r\nb", "a\nb"),
    ("a\rb", "a\nb"),
    ("a\tb", "a b"),
    ("a\u2028b\u2029c", "a\nb\nc"),
    ("\u202eevil\u202c text", "evil text"),
    ("zero\u200fwidth\u200e", "zerowidth"),
    ("bell\x07null\x00", "bellnull"),
    ("保持中文", "保持中文"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(("text", "screen", "expected"), [
    ("Beijing 北京", "en", "zh_Hans"),
    ("Москва", "ru", "ru"),
    ("北京", "ru", "zh_Hans"),
    ("東京駅", "ja", "ja"),
    ("서울역", "en", "zh_Hans"),
    ("北京", "ar", "zh_Hans"),
    ("مرحبا", "en", "ar"),
    ("plain", "ar", "ar"),
    ("臺北車站", "zh_Hant", "zh_Hant"),
])
def test_text_language_picks_a_font_that_covers_the_text(text, screen, expected):
    assert text_language(text, screen) == expected
