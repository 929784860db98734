"""Drive the real kiosk app in a real Kivy window: frames, taps, labels and screenshots.

Kivy allows one window per process, so the whole test session shares one app.
Each test starts from ``Driver.reset``: home screen, default language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from manual_clock import ManualClock

from kiosk.config import DisplayConfig, KioskConfig
from kiosk.content.loader import load_bundle
from kiosk.ui.launch import build_app, configure_kivy


@dataclass
class Driver:
    app: Any
    clock: ManualClock
    shots: Path
    taken: list[Path] = field(default_factory=list)

    def frames(self, count: int = 3) -> None:
        from kivy.base import EventLoop

        for _ in range(count):
            EventLoop.idle()

    def tap(self, widget: Any) -> None:
        """Press and release a finger on the centre of ``widget``, through Kivy's input queue."""
        from kivy.tests.common import UnitTestTouch

        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(2)

    def walk(self, root: Any | None = None) -> Iterator[Any]:
        """Yield every widget under ``root`` (default: the window)."""
        from kivy.core.window import Window

        stack = [root or Window]
        while stack:
            widget = stack.pop()
            yield widget
            stack.extend(widget.children)

    def visible_texts(self) -> list[str]:
        """The ``plain`` text of every kiosk label in the chrome and the current screen."""
        from kiosk.ui.widgets.text import KioskLabel

        root = self.app.root
        texts = []
        parts = [root.ids.header, root.ids.banners, root.ids.footer,
                 root.ids.screens.current_screen]
        for part in parts:
            texts.extend(widget.plain for widget in self.walk(part)
                         if isinstance(widget, KioskLabel) and widget.plain)
        return texts

    def find_by_text(self, text: str, root: Any | None = None) -> Any:
        """Return the tappable widget that shows ``text``, searching the current screen."""
        from kivy.uix.behaviors import ButtonBehavior

        from kiosk.ui.widgets.text import KioskLabel

        scope = root or self.app.root
        for widget in self.walk(scope):
            if isinstance(widget, KioskLabel) and widget.plain == text:
                node = widget
                while node is not None and not isinstance(node, ButtonBehavior):
                    node = node.parent
                return node or widget
        raise LookupError(f"no widget shows {text!r}; visible: {self.visible_texts()}")

    def screenshot(self, name: str) -> Path:
        from kivy.core.window import Window

        self.frames(2)
        Window.dispatch("on_draw")
        # Window.screenshot numbers its files; keep the plain name so that a
        # rerun replaces the picture in place.
        numbered = Path(Window.screenshot(name=str(self.shots / f"{name}.png")))
        path = numbered.with_name(f"{name}.png")
        numbered.replace(path)
        self.taken.append(path)
        return path

    def reset(self) -> None:
        self.app.reset_to_home()
        # A test that moved the clock far ahead leaves the kiosk at its idle
        # frame rate, which would slow every later test's frames.
        self.app.wake_frames()
        self.frames(3)

    @property
    def current(self) -> str:
        name: str = self.app.root.ids.screens.current
        return name


def start_driver(data_dir: Path, shots: Path, bundle_path: Path) -> Driver:
    """Open the kiosk in a window of the default portrait size and run its first frames."""
    config = KioskConfig(site_id="sample-airport-t1", data_dir=data_dir,
                         display=DisplayConfig(fullscreen=False))
    configure_kivy(config, windowed=True)
    clock = ManualClock(datetime.fromisoformat("2026-12-04T09:30:00+08:00"))
    app = build_app(config, load_bundle(bundle_path), now=clock.now, monotonic=clock.seconds)
    app._run_prepare()

    from kivy.base import runTouchApp

    runTouchApp(embedded=True)
    driver = Driver(app, clock, shots)
    driver.frames(5)
    return driver
