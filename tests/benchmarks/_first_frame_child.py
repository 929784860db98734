"""Child process for the start-up benchmark: start the kiosk, report the first frame, exit.

Prints one JSON line: seconds from the parent's start time (``KIOSK_BENCH_T0``,
a time.time() value taken just before this process was spawned) to the end of
the first frame drawn after the home screen was built, and peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

T0 = float(os.environ["KIOSK_BENCH_T0"])


def main() -> None:
    from kiosk.config import DisplayConfig, KioskConfig
    from kiosk.ui.launch import build_app, configure_kivy, load_start_bundle

    config = KioskConfig(site_id="sample-airport-t1", data_dir=Path(sys.argv[1]),
                         display=DisplayConfig(fullscreen=False))
    configure_kivy(config, windowed=True)
    bundle = load_start_bundle(config)

    def ready(app):  # type: ignore[no-untyped-def]
        from kivy.core.window import Window
        from kivy.graphics.opengl import glFinish

        def flipped(*_args):  # type: ignore[no-untyped-def]
            glFinish()
            elapsed = time.time() - T0
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(json.dumps({"first_frame_s": elapsed, "peak_rss_mib": peak_kib / 1024}),
                  flush=True)
            Window.unbind(on_flip=flipped)
            app.stop()

        Window.bind(on_flip=flipped)

    app = build_app(config, bundle)
    app.bind(on_start=lambda *_: ready(app))
    app.run()


if __name__ == "__main__":
    main()
