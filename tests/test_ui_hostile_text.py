"""Hostile text in every content field, on every screen and in every language."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kiosk.content.loader import build_bundle, validate_document
from kiosk.i18n.languages import KIOSK_LANGUAGES

pytestmark = pytest.mark.ui

CORPUS = [
    "[color=ff0000]red[/color] [size=400]huge[/size] [ref=x]link[/ref] [",
    "\u202eevil reversed text\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u200cjoiners\u200d\ufeffeverywhere",
    "W" * 3000,
    "长" * 3000,
    "مرحبا " * 400,
    "tab\tcarriage\rreturn\r\nline\u2028separator\x00null\x07bell",
]

SCREENS = ["home", "rules", "symptoms", "risk", "hotlines", "notices", "notice", "selfcheck"]


def poison(document: Any, index: list[int]) -> Any:
    """Replace every passenger text in a bundle document with corpus strings."""
    if isinstance(document, dict):
        if document and all(key in KIOSK_LANGUAGES for key in document) and all(
                isinstance(value, str) for value in document.values()):
            poisoned = {}
            for key in document:
                poisoned[key] = CORPUS[index[0] % len(CORPUS)]
                index[0] += 1
            return poisoned
        return {key: poison(value, index) for key, value in document.items()}
    if isinstance(document, list):
        return [poison(value, index) for value in document]
    return document


@pytest.fixture
def hostile_kiosk(kiosk_home, default_bundle_path):  # type: ignore[no-untyped-def]
    app = kiosk_home.app
    original = app.state.bundle
    document = poison(json.loads(default_bundle_path.read_text("utf-8")), [0])
    validate_document(document, "hostile bundle")
    app.state.bundle = build_bundle(document)
    kiosk_home.frames()
    yield kiosk_home
    app.state.bundle = original
    kiosk_home.reset()


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_hostile_text_keeps_layout_on_every_screen(hostile_kiosk, language):
    from kivy.core.window import Window

    from kiosk.ui.widgets.text import KioskLabel

    app = hostile_kiosk.app
    app.switch_language(language)
    for screen in SCREENS:
        if screen == "notice":
            app.open_notice(app.state.selection.notices[0].id)
        elif screen == "selfcheck":
            app.start_self_check()
        else:
            app.show(screen)
        hostile_kiosk.frames(3)
        labels = [w for w in hostile_kiosk.walk(app.root) if isinstance(w, KioskLabel)
                  and w.get_root_window() is not None]
        assert labels, screen
        for label in labels:
            assert "\u202e" not in label.text, (screen, label.plain[:40])
            assert "\x00" not in label.text, (screen, label.plain[:40])
            assert label.refs == {}
            # Wrapped text never grows wider than its label, however long a word is.
            if label.wrap:
                assert label.texture_size[0] <= label.width + 2, (screen, language, label.plain[:40])
            assert label.right <= Window.width + 1, (screen, language, label.plain[:40])
    hostile_kiosk.screenshot(f"hostile-notice-{language}")


def test_long_question_leaves_answer_buttons_on_screen(hostile_kiosk):
    from kiosk.ui.widgets.common import KioskButton

    app = hostile_kiosk.app
    for language in ("en", "ar", "zh_Hans"):
        app.switch_language(language)
        app.start_self_check()
        hostile_kiosk.frames(3)
        screen = app.root.ids.screens.current_screen
        # Compared in window coordinates: a Screen is a RelativeLayout.
        top_bar = next(w for w in hostile_kiosk.walk(screen) if type(w).__name__ == "TopBar")
        top_bar_bottom = top_bar.to_window(top_bar.x, top_bar.y)[1]
        buttons = [w for w in hostile_kiosk.walk(screen) if isinstance(w, KioskButton)
                   and w.label in {app.tr._("Yes"), app.tr._("No")}]
        assert len(buttons) == 2
        for button in buttons:
            bottom = button.to_window(button.x, button.y)[1]
            assert bottom + button.height <= top_bar_bottom + 1, language
            assert bottom >= screen.y - 1, language

        # The question is drawn only inside its scrolling area, below the top bar.
        question = screen.ids.question
        visible = question.parent
        while visible is not None and type(visible).__name__ != "ClippedScrollView":
            visible = visible.parent
        area = visible if visible is not None else question
        area_top = area.to_window(area.x, area.y)[1] + area.height
        assert area_top <= top_bar_bottom + 1, language
