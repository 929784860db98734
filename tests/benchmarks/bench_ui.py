"""Kiosk UI benchmarks: start-up to first frame, screen and language switch, memory.

Run under a virtual screen of the kiosk's size:

    xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python tests/benchmarks/bench_ui.py

Prints a Markdown table of medians and 95th percentiles; docs/benchmarks.md
records the results with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure_startup(runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data:
            environ = dict(os.environ, KIOSK_BENCH_T0=repr(time.time()))
            output = subprocess.run(  # noqa: S603
                [sys.executable, str(HERE / "_first_frame_child.py"), data],
                env=environ, capture_output=True, text=True, check=True, timeout=120)
        line = [row for row in output.stdout.splitlines() if row.startswith("{")][-1]
        results.append(json.loads(line))
    return results


def measure_switches(count: int) -> dict[str, list[float]]:
    """Tap tiles and back buttons, and language buttons, timing touch to drawn frame."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from ui_driver import start_driver

    from kiosk.i18n.catalogs import load_catalog
    from kiosk.i18n.languages import KIOSK_LANGUAGES, endonym

    data = Path(tempfile.mkdtemp())
    driver = start_driver(data, data, REPO / "assets" / "content" / "default-bundle.json")
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish
    from kivy.tests.common import UnitTestTouch

    app = driver.app
    manager = app.root.ids.screens
    # Let the kiosk settle as it would before the first passenger arrives:
    # it opens every language's fonts during its first second or two.
    settle_until = time.monotonic() + 3.0
    while time.monotonic() < settle_until:
        EventLoop.idle()

    def timed_tap(widget, done) -> float:  # type: ignore[no-untyped-def]
        x, y = widget.to_window(*widget.center)
        start = time.perf_counter()
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
        for _ in range(10):
            EventLoop.idle()
            if done():
                break
        else:
            raise RuntimeError("switch did not complete within 10 frames")
        glFinish()
        return (time.perf_counter() - start) * 1000

    screens = ["rules", "symptoms", "risk", "hotlines", "notices"]
    titles = {"rules": "Travel rules", "symptoms": "Symptoms", "risk": "Risk levels",
              "hotlines": "Hotlines", "notices": "Notices"}
    screen_ms: list[float] = []
    catalog = load_catalog("zh_Hans")
    while len(screen_ms) < count:
        for name in screens:
            tile = driver.find_by_text(catalog.gettext(titles[name]))
            screen_ms.append(timed_tap(tile, lambda n=name: manager.current == n))
            back = driver.find_by_text(catalog.gettext("Home"))
            screen_ms.append(timed_tap(back, lambda: manager.current == "home"))

    language_ms: list[float] = []
    while len(language_ms) < count:
        for language in (*KIOSK_LANGUAGES[1:], KIOSK_LANGUAGES[0]):
            button = driver.find_by_text(endonym(language))
            language_ms.append(timed_tap(button, lambda lang=language: app.tr.language == lang))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    app.stop()
    return {"screen": screen_ms[:count], "language": language_ms[:count], "peak_rss_mib": [peak]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startup-runs", type=int, default=7)
    parser.add_argument("--switches", type=int, default=200)
    args = parser.parse_args()

    startup = measure_startup(args.startup_runs)
    switches = measure_switches(args.switches)
    first = [row["first_frame_s"] * 1000 for row in startup]
    startup_peak = [row["peak_rss_mib"] for row in startup]

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print("| figure | median | p95 | runs |")
    print("|---|---|---|---|")
    print(f"| start-up to first frame (ms) | {statistics.median(first):.0f} | "
          f"{percentile(first, 0.95):.0f} | {len(first)} |")
    for kind in ("screen", "language"):
        values = switches[kind]
        print(f"| {kind} switch, touch to drawn frame (ms) | {statistics.median(values):.1f} | "
              f"{percentile(values, 0.95):.1f} | {len(values)} |")
    print(f"| peak RSS after start-up (MiB) | {statistics.median(startup_peak):.0f} | "
          f"{max(startup_peak):.0f} | {len(startup_peak)} |")
    print(f"| peak RSS after all switches (MiB) | {switches['peak_rss_mib'][0]:.0f} | | 1 |")


if __name__ == "__main__":
    main()
