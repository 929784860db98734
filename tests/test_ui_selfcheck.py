"""The anonymous self-check in a real window: every outcome, back, resets, and nothing kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.content.model import RiskColour
from kiosk.i18n.catalogs import load_catalog

pytestmark = pytest.mark.ui

QUESTIONS = ["fever", "close-contact", "outbreak-area-stay", "case-in-compound",
             "high-risk-arrival", "fever-medicine"]

#: A "yes" to this question alone leads to the colour.
OUTCOMES = {
    RiskColour.RED: "close-contact",
    RiskColour.ORANGE: "case-in-compound",
    RiskColour.YELLOW: "fever-medicine",
    RiskColour.GREEN: None,
}


def translated(language: str, message: str) -> str:
    return load_catalog(language).gettext(message)


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in folder.rglob("*") if path.is_file()}


def walk(driver, language: str, yes_to: str | None) -> None:
    driver.tap(driver.find_by_text(translated(language, "Risk self-check")))
    assert driver.current == "selfcheck"
    bundle = driver.app.state.bundle
    for number, question in enumerate(bundle.self_check.questions, start=1):
        texts = driver.visible_texts()
        progress = translated(language, "Question {number} of {total}").format(
            number=number, total=len(QUESTIONS))
        assert progress in texts
        assert question.text[language] in texts
        answer = "Yes" if question.id == yes_to else "No"
        driver.tap(driver.find_by_text(translated(language, answer)))


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
@pytest.mark.parametrize("colour", list(OUTCOMES))
def test_self_check_outcome(kiosk_home, language, colour, caplog, tmp_path):
    app = kiosk_home.app
    data_before = files_under(app.kiosk_config.data_dir)
    if language != "zh_Hans":
        kiosk_home.tap(kiosk_home.find_by_text("English"))

    with caplog.at_level(logging.DEBUG):
        walk(kiosk_home, language, OUTCOMES[colour])

    assert kiosk_home.current == "selfcheck_result"
    level = next(level for level in app.state.bundle.risk_levels if level.colour is colour)
    texts = kiosk_home.visible_texts()
    assert level.label[language] in texts
    assert level.advice[language] in texts
    for hotline_id in level.hotline_ids:
        assert any(app.state.bundle.hotline(hotline_id).number in text for text in texts)
    site = app.state.selection.site
    assert any(site.name[language] in text for text in texts), "result names the site"
    kiosk_home.screenshot(f"selfcheck-{colour.value}-{language}")

    # The answers never reach the log or the disk.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for question in QUESTIONS:
        assert question not in logged
    assert files_under(app.kiosk_config.data_dir) == data_before

    kiosk_home.tap(kiosk_home.find_by_text(translated(language, "Done")))
    assert kiosk_home.current == "home"
    assert app.root.ids.screens.get_screen("selfcheck_result").colour is None


def test_back_returns_to_previous_question_and_forgets_it(kiosk_home):
    screen = kiosk_home.app.root.ids.screens.get_screen("selfcheck")
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Risk self-check")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Yes")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "No")))
    assert (screen.index, screen.answered) == (2, 2)

    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Back")))
    assert (screen.index, screen.answered) == (1, 1)
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Back")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Back")))
    assert kiosk_home.current == "home"
    assert screen.answered == 0


def test_idle_reset_clears_answers(kiosk_home):
    app = kiosk_home.app
    screen = app.root.ids.screens.get_screen("selfcheck")
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Risk self-check")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Yes")))
    assert screen.answered == 1

    kiosk_home.clock.advance(app.kiosk_config.idle_timeout_s + 1)
    app.idle.check()
    kiosk_home.frames()
    assert kiosk_home.current == "home"
    assert screen.answered == 0
    assert screen.index == 0


def test_language_switch_clears_answers(kiosk_home):
    screen = kiosk_home.app.root.ids.screens.get_screen("selfcheck")
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Risk self-check")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Yes")))
    kiosk_home.tap(kiosk_home.find_by_text("English"))
    assert screen.answered == 0
    assert screen.index == 0
    assert kiosk_home.app.state.bundle.self_check.questions[0].text["en"] in kiosk_home.visible_texts()


def test_result_screen_has_scannable_guidance_code(kiosk_home):
    from kiosk.ui.widgets.qr import QrCode

    walk(kiosk_home, "zh_Hans", None)
    codes = [w for w in kiosk_home.walk(kiosk_home.app.root.ids.screens.current_screen)
             if isinstance(w, QrCode)]
    assert [code.link for code in codes] == [kiosk_home.app.state.bundle.self_check.guidance_url]
    assert codes[0].texture is not None


class RefusingClient:
    """A heartbeat client that fails the test if anything is sent."""

    def post(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the payload test must not send anything")


def test_heartbeat_carries_no_answers_and_no_screenshot(kiosk_home):
    import json

    from kiosk.sync.heartbeat import HeartbeatSender

    app = kiosk_home.app
    walk(kiosk_home, "zh_Hans", "close-contact")
    assert kiosk_home.current == "selfcheck_result"

    sender = HeartbeatSender("http://127.0.0.1:9/fleet/api/", "token", "kiosk-1",
                             RefusingClient(), app.view_counter)
    payload, _sequence = sender.payload(kiosk_home.clock.now())
    encoded = json.dumps(payload, ensure_ascii=False)
    for question in QUESTIONS:
        assert question not in encoded
    assert '"red"' not in encoded
    assert payload["views"]["selfcheck_result"]["zh_Hans"] >= 1

    # The console never gets a picture of a self-check result.
    captured = [console_capture(kiosk_home)]
    assert captured == [None]


def console_capture(kiosk):  # type: ignore[no-untyped-def]
    """Return what the heartbeat's screenshot call returns, called from a worker thread as it is."""
    import threading

    captured: list[bytes | None] = []
    worker = threading.Thread(target=lambda: captured.append(kiosk.app.capture_screenshot()))
    worker.start()
    while worker.is_alive():
        kiosk.frames(1)
    return captured[0]


def test_screenshot_for_console_on_public_screen(kiosk_home):
    captured = [console_capture(kiosk_home)]
    assert captured[0] is not None
    assert captured[0].startswith(b"\x89PNG\r\n\x1a\n")


def test_console_screenshot_matches_screen(kiosk_home, tmp_path):
    import io

    from kivy.core.window import Window
    from PIL import Image, ImageChops, ImageStat

    # The travel rules screen clips its list and the screen area with scissor
    # rectangles, which an offscreen capture of the widgets misplaced.
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Travel rules")))
    kiosk_home.frames(3)
    captured = [console_capture(kiosk_home)]
    screen_file = Window.screenshot(name=str(tmp_path / "screen.png"))

    assert captured[0] is not None
    shot = Image.open(io.BytesIO(captured[0])).convert("RGB")
    screen = Image.open(screen_file).convert("RGB")
    assert shot.size == (screen.width // 2, screen.height // 2)
    expected = screen.resize(shot.size, Image.Resampling.BILINEAR)
    # Mean difference per channel, out of 255; blank bands would give tens.
    difference = ImageStat.Stat(ImageChops.difference(shot, expected)).mean
    assert max(difference) < 6, difference
