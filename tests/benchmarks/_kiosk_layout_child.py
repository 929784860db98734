"""Child process for bench_vs_browser.py: start the kiosk, write where its buttons are, exit.

Usage: ``_kiosk_layout_child.py CONFIG OUT``. The kiosk starts as ``kiosk run``
does with CONFIG. Once the home screen is drawn, the child opens the travel
rules screen to find the back button and returns home. It then writes OUT as
JSON with the centres of the home tiles, the language buttons and the back
button, and the clock's rectangle, all in X screen pixels (origin top left).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kiosk.config import load_config
from kiosk.ui.launch import build_app, configure_kivy, load_start_bundle, stop_on_sigterm

#: Home tiles in their kv order, by the screen each one opens; the sixth tile
#: starts the self-check and is left out.
TILE_SCREENS = ("rules", "symptoms", "risk", "hotlines", "notices")


def main() -> None:
    config = load_config(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    configure_kivy(config)
    bundle = load_start_bundle(config)

    def ready(app: Any) -> None:
        from kivy.clock import Clock

        # The first layout passes can still be running when on_ready fires on
        # a slow software renderer; positions are read a second later.
        Clock.schedule_once(lambda _dt: write_layout(app), 1.0)

    def write_layout(app: Any) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        height = Window.height

        def centre(widget: Any) -> list[int]:
            x, y = widget.to_window(*widget.center)
            return [round(x), round(height - y)]

        home = app.screens.get_screen("home")
        tiles = list(reversed(home.ids.tiles.children))
        layout: dict[str, Any] = {
            "window": [Window.left, Window.top, Window.width, Window.height],
            "tiles": {name: centre(tile) for name, tile in zip(TILE_SCREENS, tiles, strict=False)},
            "languages": {button.language: centre(button)
                          for button in app.root.ids.header.ids.languages.children},
        }
        for widget in app.root.walk():
            if type(widget).__name__ == "TapArea":
                x0, y0 = widget.to_window(widget.x, widget.y)
                x1, y1 = widget.to_window(widget.right, widget.top)
                layout["clock"] = [x0, height - y1, x1, height - y0]
        app.show("rules")

        def find_back(_dt: float) -> None:
            rules = app.screens.get_screen("rules")
            bar = next(w for w in rules.walk() if type(w).__name__ == "TopBar")
            button = next(w for w in bar.children if type(w).__name__ == "KioskButton")
            layout["back"] = centre(button)
            app.show("home")
            out.write_text(json.dumps(layout), encoding="utf-8")
            Clock.schedule_once(lambda _dt: app.stop(), 0.2)

        Clock.schedule_once(find_back, 0.3)

    app = build_app(config, bundle, on_ready=ready)
    stop_on_sigterm(app)
    app.run()


if __name__ == "__main__":
    main()
