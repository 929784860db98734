"""Tests for language tag mapping and plain-text cleanup of feed text."""

from __future__ import annotations

import pytest

from kiosk.feeds.language import kiosk_language
from kiosk.feeds.text import clean_line, clean_text, html_to_text, plain_text


@pytest.mark.parametrize(("tag", "expected"), [
    ("en-US", "en"), ("en-GB", "en"), ("en-AU", "en"), ("EN", "en"), (" en_us ", "en"),
    ("zh-CN", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh", "zh_Hans"),
    ("zh-Hans-HK", "zh_Hans"), ("zh_cn", "zh_Hans"),
    ("zh-TW", "zh_Hant"), ("zh-tw", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh-MO", "zh_Hant"),
    ("zh-Hant", "zh_Hant"), ("zh-Hant-CN", "zh_Hant"),
    ("ja", "ja"), ("ja-JP", "ja"), ("ko", "ko"), ("ko-KR", "ko"), ("ru", "ru"), ("ru-RU", "ru"),
    ("ar", "ar"), ("ar-SA", "ar"), ("fr-CA", "fr"), ("fr-FR", "fr"), ("nb-NO", "nb"),
    ("yue-HK", "yue"),
])
def test_language_tag_maps_to_kiosk_key(tag: str, expected: str) -> None:
    assert kiosk_language(tag) == expected


@pytest.mark.parametrize("tag", [None, "", "English", "x-klingon", "12", "e"])
def test_invalid_language_tag_gives_none(tag: str | None) -> None:
    assert kiosk_language(tag) is None


def test_html_to_text_drops_hidden_elements() -> None:
    html = ("<div>Visible<script>var secret = 1;</script><style>.a{}</style>"
            "<noscript>fallback</noscript><template>tpl</template> text</div>")

    assert html_to_text(html) == "Visible text"


def test_html_to_text_unclosed_script_hides_rest() -> None:
    assert html_to_text("Before<script>alert(1)") == "Before"


def test_html_to_text_self_closed_script_hides_nothing() -> None:
    assert html_to_text("A<script/>B") == "AB"


def test_html_to_text_blocks_and_breaks() -> None:
    html = "<h1>Title</h1><p>First<br>second</p><p>Third</p><ol><li>one</li><li>two</li></ol>"

    assert html_to_text(html) == "Title\n\nFirst\nsecond\n\nThird\n\n• one\n• two"


def test_html_to_text_decodes_references_once() -> None:
    assert html_to_text("a &amp;amp; b &lt;i&gt; &#26481; &eacute;") == "a &amp; b <i> 東 é"


def test_html_to_text_drops_comments() -> None:
    assert html_to_text("a<!-- hidden -->b") == "ab"


def test_plain_text_leaves_text_without_tags() -> None:
    assert plain_text("5 < 6 &amp; 7 > 3") == "5 < 6 &amp; 7 > 3"


def test_plain_text_converts_tagged_text() -> None:
    assert plain_text("Closed<br/>until noon") == "Closed\nuntil noon"


def test_clean_text_keeps_newlines_and_tabs() -> None:
    assert clean_text("a\r\nb\rc\u2028d\x00e\x1bf\x7fg\x9bh\n\tindent  \n\n\n\nend") == (
        "a\nb\nc\ndefgh\n\tindent\n\nend")


def test_clean_line_collapses_whitespace() -> None:
    assert clean_line("  Heat\n\twarning\u3000now  ") == "Heat warning now"
