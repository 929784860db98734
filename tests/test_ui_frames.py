"""How many frames the kiosk draws: one per screen switch, none while idle, fewer when unused."""

from __future__ import annotations

import time

import pytest
from test_ui_screens import translated

pytestmark = pytest.mark.ui


def count_flips(kiosk, seconds: float) -> int:  # type: ignore[no-untyped-def]
    """Run the event loop for ``seconds`` of real time and return the frames drawn."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    flips: list[float] = []

    def flipped(*_args: object) -> None:
        flips.append(time.monotonic())

    Window.bind(on_flip=flipped)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            EventLoop.idle()
    finally:
        Window.unbind(on_flip=flipped)
    return len(flips)


def tap_without_frames(kiosk, widget) -> None:  # type: ignore[no-untyped-def]
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def wait_until_prepared(kiosk, limit_s: float = 6.0) -> None:  # type: ignore[no-untyped-def]
    """Let the idle kiosk build and draw its hidden screens, as it does between passengers."""
    from kivy.base import EventLoop

    kiosk.clock.advance(2.0)
    end = time.monotonic() + limit_s
    while kiosk.app._unprepared and time.monotonic() < end:
        EventLoop.idle()
    assert not kiosk.app._unprepared


def test_screen_switch_draws_one_frame_with_one_screen(kiosk_home):
    from kivy.base import EventLoop

    manager = kiosk_home.app.root.ids.screens
    wait_until_prepared(kiosk_home)
    tap_without_frames(kiosk_home, kiosk_home.find_by_text(translated("zh_Hans", "Hotlines")))
    EventLoop.idle()

    assert manager.current == "hotlines"
    assert [screen.name for screen in manager.children] == ["hotlines"]
    assert count_flips(kiosk_home, 1.0) == 0


def test_kiosk_draws_nothing_while_unchanged(kiosk_home):
    wait_until_prepared(kiosk_home)
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Travel rules")))
    kiosk_home.frames(3)

    # Kivy fades a scroll bar for half a second after a list changes. The
    # kiosk's bar has one colour, so nothing needs drawing after the switch.
    assert count_flips(kiosk_home, 1.0) == 0


def test_hidden_screens_are_sized_like_shown_one(kiosk_home):
    manager = kiosk_home.app.root.ids.screens

    sizes = {screen.name: tuple(screen.size) for screen in manager.screens}

    assert set(sizes.values()) == {tuple(manager.size)}, sizes


def test_idle_kiosk_prepares_hidden_screens(kiosk_home):
    from kiosk.ui.app import PREPARED_SCREENS
    from kiosk.ui.widgets.text import KioskLabel

    app = kiosk_home.app
    app.switch_language("ja")
    kiosk_home.frames(2)
    manager = app.root.ids.screens
    hidden = [manager.get_screen(name) for name in PREPARED_SCREENS if name != "home"]
    assert any(label._dirty for screen in hidden for label in screen.walk()
               if isinstance(label, KioskLabel))

    kiosk_home.clock.advance(2.0)
    count_flips(kiosk_home, 0.25 * (3 * len(hidden) + 2))

    for screen in hidden:
        assert not screen.is_stale, screen.name
        dirty = [label.plain for label in screen.walk()
                 if isinstance(label, KioskLabel) and label._dirty]
        assert dirty == [], screen.name


def test_idle_frame_rate_restored_on_touch(kiosk_home):
    from kivy.clock import Clock

    from kiosk.ui.app import IDLE_MAX_FPS, SLOW_FRAMES_AFTER_S

    full = Clock._max_fps
    kiosk_home.clock.advance(SLOW_FRAMES_AFTER_S + 1)
    count_flips(kiosk_home, 1.2)
    assert Clock._max_fps == IDLE_MAX_FPS

    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Hotlines")))

    assert Clock._max_fps == full
