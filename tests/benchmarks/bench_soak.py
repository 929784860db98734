"""Kiosk UI soak benchmark: memory and GL textures over many screen transitions and clock updates.

Run under a virtual screen of the kiosk's size:

    xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python \\
        tests/benchmarks/bench_soak.py --csv soak.csv

The script opens the real kiosk with the shipped default content and taps
through it with synthetic touches. One round taps every home tile and its back
button, opens a notice from the list and one from the home screen, and walks
the self-check through its questions to one of its four outcomes.
After each round of taps it switches to the next language on the language bar,
so all seven languages take turns. Between transitions it moves the header
clock on by a minute through ``KioskApp._update_clock``, the method that the
kiosk's once-a-second tick calls when the minute changes, so that every update
changes the clock's text. The clock's minutes are the script's own: the
kiosk's clock stands still, so the content on screen stays the same.

Every transition is drawn: after a tap the script runs ``EventLoop.idle()``
until the screen manager shows the expected screen. A clock update renders the
label's texture at once with ``Label.texture_update()``, which is the work that
Kivy's label trigger would do at the next frame; about one clock update in two
is then drawn by the next transition's frame.

Every ``--sample-every`` transitions the script records resident memory (VmRSS
from /proc/self/status, Pss from /proc/self/smaps_rollup), the number of live
GL texture names (see ``count_gl_textures``) and, to explain any growth,
counts of Python objects: widgets, kiosk labels and Kivy Texture objects.

Prints a Markdown table at the end; ``--csv`` writes every sample.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))

#: Taps on a widget before the run is aborted, and seconds to wait for each to show its result.
TAP_ATTEMPTS = 3
TAP_WAIT_S = 2.0

#: Frames drawn after a language switch before the next tap.
LANGUAGE_SETTLE_FRAMES = 2

#: Home tiles that open a list screen, by their untranslated title.
TILES = {"rules": "Travel rules", "symptoms": "Symptoms", "risk": "Risk levels",
         "hotlines": "Hotlines", "notices": "Notices"}


class SoakError(RuntimeError):
    """The kiosk did not react to a tap as expected, so the run cannot go on."""


@dataclass
class Sample:
    """Counters and memory figures at one moment of the run."""

    transitions: int
    clock_updates: int
    language_switches: int
    repeated_taps: int
    elapsed_s: float
    rss_kib: int
    pss_kib: int
    gl_textures: int
    gl_names_used: int
    texture_objects: int
    widgets: int
    kiosk_labels: int
    translator_observers: int


def read_rss_kib() -> int:
    """Return VmRSS of this process in KiB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SoakError("VmRSS not found in /proc/self/status")


def read_pss_kib() -> int:
    """Return the proportional set size of this process in KiB, from /proc/self/smaps_rollup."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise SoakError("Pss not found in /proc/self/smaps_rollup")


def count_gl_textures() -> tuple[int, int]:
    """Return the number of live GL texture names and the next name the driver would hand out.

    A name is live once it has been bound to a texture target (Kivy binds each
    texture when it creates it) and until ``glDeleteTextures`` releases it.
    Mesa 22.3.6 (llvmpipe under Xvfb) hands out names in increasing order and
    does not reuse deleted ones, so the scan asks ``glIsTexture`` for every
    name below a freshly generated probe name. The probe also tells how many
    names were ever handed out, which is the churn of textures. With Kivy's
    pending deletions flushed first, the count on llvmpipe equals the number of
    Kivy Texture objects.
    """
    from kivy.graphics.context import get_context
    from kivy.graphics.opengl import glDeleteTextures, glGenTextures, glIsTexture

    # Kivy deletes the GL texture of a collected Texture object on the next
    # clock tick; deleting pending ones now counts only live textures.
    get_context().gl_dealloc()
    probe: int = glGenTextures(1)[0]
    glDeleteTextures(1, struct.pack("=I", probe))
    live = sum(1 for name in range(1, probe) if glIsTexture(name))
    return live, probe


def count_objects() -> tuple[int, int, int]:
    """Return the number of live Kivy Texture objects, widgets and kiosk labels after a full collection."""
    from kivy.graphics.texture import Texture
    from kivy.uix.widget import Widget

    from kiosk.ui.widgets.text import KioskLabel

    gc.collect()
    textures = widgets = labels = 0
    for item in gc.get_objects():
        # type() rather than isinstance(): isinstance() looks through Kivy's
        # WeakProxy objects and raises ReferenceError on a dead one.
        kind = type(item)
        if issubclass(kind, Texture):
            textures += 1
        elif issubclass(kind, Widget):
            widgets += 1
            if issubclass(kind, KioskLabel):
                labels += 1
    return textures, widgets, labels


class Soak:
    """Drives the kiosk through its screens and languages and keeps the counters."""

    def __init__(self, driver: Any, clock_start: datetime) -> None:
        from kiosk.i18n.catalogs import load_catalog
        from kiosk.i18n.languages import KIOSK_LANGUAGES

        self.driver = driver
        self.app = driver.app
        self.manager = self.app.root.ids.screens
        self.languages = [lang for lang in KIOSK_LANGUAGES if lang in self.app.kiosk_config.languages]
        self.catalogs = {language: load_catalog(language) for language in self.languages}
        self.transitions = 0
        self.clock_updates = 0
        self.language_switches = 0
        self.unchanged_clock_texts = 0
        self.frames = 0
        self.scrolls = 0
        self.retries = 0
        self.round_transitions = 0
        self.clock_moment = clock_start
        self.clock_label, self.date_label = self._header_labels()

    def _header_labels(self) -> tuple[Any, Any]:
        from kiosk.ui.widgets.text import KioskLabel

        header = self.app.root.ids.header
        clock = date = None
        for widget in self.driver.walk(header):
            if isinstance(widget, KioskLabel):
                if widget.plain == header.clock_text:
                    clock = widget
                elif widget.plain == header.date_text:
                    date = widget
        if clock is None or date is None:
            raise SoakError("header clock or date label not found")
        return clock, date

    def _(self, message: str) -> str:
        text: str = self.catalogs[self.app.tr.language].gettext(message)
        return text

    # -- taps -----------------------------------------------------------

    def _tap(self, widget: Any, done: Callable[[], bool], what: str) -> None:
        """Tap ``widget`` and draw frames until ``done()``; tap again, as a passenger would, if nothing happens.

        Kivy's ScrollView takes a tap while its content is still settling
        after a scroll as a stop gesture and passes no click on, so a tap can
        be lost. ``retries`` counts the second and third taps.
        """
        from kivy.base import EventLoop
        from kivy.tests.common import UnitTestTouch

        for attempt in range(TAP_ATTEMPTS):
            if attempt:
                self.retries += 1
            self._reveal(widget)
            x, y = widget.to_window(*widget.center)
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()
            deadline = time.monotonic() + TAP_WAIT_S
            while True:
                EventLoop.idle()
                self.frames += 1
                if done():
                    return
                if time.monotonic() > deadline:
                    break
        raise SoakError(f"{what}: no result after {TAP_ATTEMPTS} taps of {TAP_WAIT_S} s each "
                        f"(screen {self.manager.current!r}, language {self.app.tr.language})")

    def _reveal(self, widget: Any) -> None:
        """Scroll ``widget`` into view when a scroll view hides part of it, as a passenger would.

        In tall scripts (Arabic) the last row of home tiles starts below the
        footer and is reached by scrolling.
        """
        from kivy.base import EventLoop
        from kivy.uix.scrollview import ScrollView

        view = widget.parent
        # The window is its own parent, so the walk stops there too.
        while view is not None and not isinstance(view, ScrollView) and view is not view.parent:
            view = view.parent
        if not isinstance(view, ScrollView):
            return
        _, bottom = widget.to_window(*widget.pos)
        _, top = widget.to_window(widget.right, widget.top)
        _, view_bottom = view.to_window(*view.pos)
        _, view_top = view.to_window(view.right, view.top)
        if bottom >= view_bottom and top <= view_top:
            return
        view.scroll_to(widget, padding=0, animate=False)
        EventLoop.idle()
        self.frames += 1
        self.scrolls += 1

    def _find(self, text: str) -> Any:
        # Looked up again for every tap rather than kept: a kept reference
        # would itself hold widgets alive and hide or fake a leak.
        return self.driver.find_by_text(text, root=self.manager.current_screen)

    def _go(self, text: str, screen: str) -> None:
        self._tap(self._find(text), lambda: self.manager.current == screen, f"tap {text!r}")
        self.transitions += 1

    def _open_first_notice(self) -> None:
        from kiosk.ui.widgets.common import TapCard

        card = next((widget for widget in self.driver.walk(self.manager.current_screen)
                     if isinstance(widget, TapCard)), None)
        if card is None:
            raise SoakError(f"no notice card on screen {self.manager.current!r}")
        self._tap(card, lambda: self.manager.current == "notice", "tap a notice card")
        self.transitions += 1

    def _self_check(self, yes_to: str | None) -> None:
        self._go(self._("Risk self-check"), "selfcheck")
        screen = self.manager.current_screen
        questions = self.app.state.bundle.self_check.questions
        for number, question in enumerate(questions):
            answer = self._("Yes") if question.id == yes_to else self._("No")
            if number + 1 < len(questions):
                self._tap(self._find(answer), lambda n=number: int(screen.index) == n + 1,
                          f"answer question {number + 1}")
            else:
                self._go(answer, "selfcheck_result")
        self._go(self._("Done"), "home")

    def steps(self) -> Iterator[Callable[[], None]]:
        """Yield the taps of one round in the current language; each ends on a new screen."""
        for screen, title in TILES.items():
            yield lambda s=screen, t=title: self._go(self._(t), s)
            if screen == "notices":
                yield self._open_first_notice
                yield lambda: self._go(self._("Back"), "notices")
            yield lambda: self._go(self._("Home"), "home")
        # The urgent notice on the home screen opens the same detail screen.
        yield self._open_first_notice
        yield lambda: self._go(self._("Back"), "notices")
        yield lambda: self._go(self._("Home"), "home")

    def self_check_answers(self) -> list[str | None]:
        """Return one question id to answer yes to per outcome, and None for all no."""
        from kiosk.content.decision import evaluate_self_check

        check = self.app.state.bundle.self_check
        by_colour: dict[Any, str | None] = {evaluate_self_check(check, frozenset()): None}
        for question in check.questions:
            by_colour.setdefault(evaluate_self_check(check, frozenset({question.id})), question.id)
        return list(by_colour.values())

    def switch_language(self, language: str) -> None:
        from kivy.base import EventLoop

        from kiosk.i18n.languages import endonym

        button = self.driver.find_by_text(endonym(language), root=self.app.root.ids.header)
        self._tap(button, lambda: self.app.tr.language == language, f"switch to {language}")
        self.language_switches += 1
        # The language changes in the frame of the tap, but labels re-render
        # and layouts move the tiles in the frames after it. A tap computed
        # from positions before that can miss, so two more frames are drawn.
        for _ in range(LANGUAGE_SETTLE_FRAMES):
            EventLoop.idle()
            self.frames += 1

    # -- clock ----------------------------------------------------------

    def update_clock(self) -> None:
        """Move the header clock on by a minute and render its texture."""
        header = self.app.root.ids.header
        before = header.clock_text
        date_before = header.date_text
        self.clock_moment += timedelta(minutes=1)
        self.app._update_clock(self.clock_moment)
        if header.clock_text == before:
            # A language switch resets the clock to the kiosk's own time,
            # which this minute can match; one more minute always differs.
            self.unchanged_clock_texts += 1
            self.clock_moment += timedelta(minutes=1)
            self.app._update_clock(self.clock_moment)
        if header.clock_text == before:
            raise SoakError(f"clock text stayed {before!r} at {self.clock_moment.isoformat()}")
        self.clock_updates += 1
        self.clock_label.texture_update()
        if header.date_text != date_before:
            self.date_label.texture_update()


def slope(samples: list[Sample], attribute: str) -> float:
    """Return the least-squares growth of ``attribute`` per 10,000 transitions."""
    xs = [sample.transitions for sample in samples]
    ys = [getattr(sample, attribute) for sample in samples]
    if len(xs) < 2:
        return float("nan")
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return float("nan")
    return 10_000 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def run(args: argparse.Namespace) -> tuple[list[Sample], Soak]:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kiosk-soak-kivy-"))
    from kivy.base import EventLoop
    from ui_driver import start_driver

    data = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    driver = start_driver(data, data, REPO / "assets" / "content" / "default-bundle.json")
    # Idle as the kiosk does before the first passenger: it opens every
    # language's fonts during its first second or two.
    settle_until = time.monotonic() + 3.0
    while time.monotonic() < settle_until:
        EventLoop.idle()

    soak = Soak(driver, driver.clock.now())
    started = time.monotonic()
    samples: list[Sample] = []
    # Rows go to the CSV file as they are taken, so a run stopped early
    # leaves its samples behind (see --from-csv).
    stream = args.csv.open("w", newline="") if args.csv is not None else None
    writer = csv.DictWriter(stream, fieldnames=[field.name for field in fields(Sample)]) if stream else None
    if writer is not None:
        writer.writeheader()

    def sample() -> None:
        textures, widgets, labels = count_objects()
        gl_textures, gl_names = count_gl_textures()
        row = Sample(soak.transitions, soak.clock_updates, soak.language_switches, soak.retries,
                     round(time.monotonic() - started, 1), read_rss_kib(), read_pss_kib(),
                     gl_textures, gl_names, textures, widgets, labels, driver.app.tr.observer_count)
        samples.append(row)
        if writer is not None and stream is not None:
            writer.writerow(asdict(row))
            stream.flush()
        print(f"{row.transitions:>7} transitions {row.clock_updates:>7} clock updates "
              f"{row.elapsed_s:>8.1f} s  RSS {row.rss_kib / 1024:7.1f} MiB  "
              f"PSS {row.pss_kib / 1024:7.1f} MiB  GL textures {row.gl_textures:>5} "
              f"(names used {row.gl_names_used:>7})  "
              f"Texture objects {row.texture_objects:>5}  widgets {row.widgets:>5}",
              flush=True)

    sample()
    answers = soak.self_check_answers()
    round_number = 0
    next_sample = args.sample_every
    while soak.transitions < args.transitions:
        steps = list(soak.steps())
        yes_to = answers[round_number % len(answers)]
        steps.append(lambda y=yes_to: soak._self_check(y))
        # The self-check step makes three transitions: in, to the result, and home.
        soak.round_transitions = len(steps) + 2
        for step in steps:
            step()
            due = soak.transitions * args.clock_updates // args.transitions
            while soak.clock_updates < min(due, args.clock_updates):
                soak.update_clock()
            if soak.transitions >= next_sample:
                sample()
                next_sample += args.sample_every
            if soak.transitions >= args.transitions:
                break
        round_number += 1
        if round_number % args.language_every == 0:
            language = soak.languages[(soak.language_switches + 1) % len(soak.languages)]
            soak.switch_language(language)
    while soak.clock_updates < args.clock_updates:
        soak.update_clock()
    if samples[-1].transitions != soak.transitions or samples[-1].clock_updates != soak.clock_updates:
        sample()
    driver.app.stop()
    if stream is not None:
        stream.close()
    return samples, soak


FIGURES = [
    ("rss_kib", "RSS (MiB)", 1024),
    ("pss_kib", "PSS (MiB)", 1024),
    ("gl_textures", "live GL textures", 1),
    ("gl_names_used", "GL texture names handed out (churn, not live)", 1),
    ("texture_objects", "Kivy Texture objects", 1),
    ("widgets", "widgets", 1),
    ("kiosk_labels", "kiosk labels", 1),
    ("translator_observers", "translator kv observers", 1),
]


def report(samples: list[Sample], warmup: int) -> None:
    """Print the growth table; ``warmup`` transitions are left out of the growth figures."""
    measured = [sample for sample in samples if sample.transitions >= warmup]
    print(f"Growth is the least-squares slope over the {len(measured)} samples from transition "
          f"{warmup} on; the samples before are warm-up.")
    print()
    print("| figure | first | after warm-up | last | max | growth per 10,000 transitions |")
    print("|---|---|---|---|---|---|")
    for attribute, name, scale in FIGURES:
        values = [getattr(sample, attribute) / scale for sample in samples]
        warm = getattr(measured[0], attribute) / scale if measured else float("nan")
        growth = slope(measured, attribute) / scale
        digits = 1 if scale > 1 else 0
        print(f"| {name} | {values[0]:.{digits}f} | {warm:.{digits}f} | {values[-1]:.{digits}f} | "
              f"{max(values):.{digits}f} | {growth:+.{max(digits, 1)}f} |")


def read_csv(path: Path) -> list[Sample]:
    """Read the samples that an earlier run wrote with ``--csv``."""
    with path.open(newline="") as stream:
        return [Sample(**{field.name: float(row[field.name]) if field.name == "elapsed_s"
                          else int(row[field.name]) for field in fields(Sample)})
                for row in csv.DictReader(stream)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=50_000,
                        help="screen transitions to run (default 50,000)")
    parser.add_argument("--clock-updates", type=int, default=100_000,
                        help="header clock updates, spread evenly over the transitions (default 100,000)")
    parser.add_argument("--sample-every", type=int, default=1_000,
                        help="transitions between two samples (default 1,000)")
    parser.add_argument("--language-every", type=int, default=1,
                        help="rounds of taps between two language switches (default 1)")
    parser.add_argument("--warmup", type=int, default=2_000,
                        help="transitions left out of the growth figures (default 2,000)")
    parser.add_argument("--csv", type=Path, help="file to write every sample to, as CSV, while the run goes on")
    parser.add_argument("--from-csv", type=Path,
                        help="print the table for the samples in this CSV file instead of running")
    args = parser.parse_args()
    if args.transitions < 1 or args.clock_updates < 0 or args.sample_every < 1 or args.language_every < 1:
        parser.error("--transitions, --sample-every and --language-every must be at least 1, "
                     "--clock-updates at least 0")

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.from_csv is not None:
        samples = read_csv(args.from_csv)
        if not samples:
            parser.error(f"{args.from_csv} contains no samples")
        print(f"Samples from {args.from_csv}: {samples[-1].transitions} transitions, "
              f"{samples[-1].clock_updates} clock updates, {samples[-1].elapsed_s:.0f} s")
        report(samples, args.warmup)
        return

    samples, soak = run(args)
    print()
    print(f"Transitions {soak.transitions}, frames {soak.frames} (of which {soak.scrolls} scrolled a "
          f"tile into view), taps repeated {soak.retries}, clock updates {soak.clock_updates} "
          f"({soak.unchanged_clock_texts} needed a "
          f"second minute to change the text), language switches {soak.language_switches} "
          f"(one per {args.language_every} round(s) of {soak.round_transitions} transitions), "
          f"elapsed {samples[-1].elapsed_s:.0f} s")
    report(samples, args.warmup)


if __name__ == "__main__":
    main()
