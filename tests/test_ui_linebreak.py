"""Chinese, Japanese and Korean line breaking as Kivy draws it in the real kiosk window."""

from __future__ import annotations

from itertools import pairwise

import pytest

from kiosk.i18n.linebreak import has_east_asian_text, split_pieces
from kiosk.i18n.shaping import clean_text

pytestmark = pytest.mark.ui

#: Characters that must never start a line, as a Chinese or Japanese reader expects.
NEVER_FIRST = set("。，、；：？！）」』】〕》〉ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー々・")
#: Characters that must never end a line.
NEVER_LAST = set("（「『【〔《〈([{“‘")


def rendered_lines(label) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Return the text and width of each line that Kivy laid out for ``label`` in its last render."""
    return [("".join(word.text for word in line.words), line.w) for line in label.rendering._cached_lines]


def drawn_width(label, text: str) -> float:  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=text, font_name=label.font_name, font_size=label.font_size)
    width: float = core.get_extents(text)[0]
    return width


def wrapping_labels(driver, language: str, screen: str) -> list:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.text import KioskLabel

    app = driver.app
    app.switch_language(language)
    app.show(screen)
    driver.frames(4)
    return [widget for widget in driver.walk(app.root.ids.screens.current_screen)
            if isinstance(widget, KioskLabel) and widget.get_root_window() is not None
            and widget.wrap and widget.plain]


@pytest.mark.parametrize("language", ["zh_Hans", "ja"])
@pytest.mark.parametrize("screen", ["rules", "symptoms"])
def test_rendered_lines_follow_cjk_rules(kiosk_home, language, screen):
    labels = [label for label in wrapping_labels(kiosk_home, language, screen)
              if has_east_asian_text(label.plain)]
    wrapped = 0
    for label in labels:
        lines = rendered_lines(label)
        available = label.width - label.padding[0] - label.padding[2]
        plain = clean_text(label.plain)
        # Kivy kept the breaks that the kiosk chose and added none of its own.
        assert len(lines) == len(label.text.split("\n")), (label.plain[:30], lines)
        for number, (line, line_width) in enumerate(lines):
            assert line_width <= available + 1, (line, line_width, available)
            if line and number:
                assert line[0] not in NEVER_FIRST, (language, screen, [text for text, _ in lines])
            if line:
                assert line[-1] not in NEVER_LAST, (language, screen, [text for text, _ in lines])
        for (line, _), (following, _) in pairwise(lines):
            if not line or not following:
                continue
            wrapped += 1
            # Greedy filling: the first piece of the next line did not fit on this one.
            first_piece = split_pieces(following)[0][0]
            gap = " " if f"{line} {first_piece}" in plain else ""
            assert drawn_width(label, line + gap + first_piece) > available, (line, following)
    assert wrapped >= 3, f"no wrapped paragraphs on {screen} in {language}: nothing was checked"
    kiosk_home.screenshot(f"linebreak-{screen}-{language}")


def test_korean_lines_break_at_spaces(kiosk_home):
    labels = [label for label in wrapping_labels(kiosk_home, "ko", "symptoms")
              if has_east_asian_text(label.plain)]
    wrapped = 0
    for label in labels:
        lines = [text for text, _ in rendered_lines(label)]
        plain = clean_text(label.plain)
        for line, following in pairwise(lines):
            if line and following:
                wrapped += 1
                assert f"{line} {following.split(' ')[0]}" in plain, (line, following)
    assert wrapped >= 3


def test_latin_text_is_left_to_kivy(kiosk_home):
    labels = wrapping_labels(kiosk_home, "en", "rules")
    long_labels = [label for label in labels if len(rendered_lines(label)) > 1
                   and not has_east_asian_text(label.plain)]
    assert long_labels, "no English label on the rules screen wraps"
    for label in long_labels:
        assert label.text == clean_text(label.plain)
