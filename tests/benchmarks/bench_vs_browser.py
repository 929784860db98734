"""The kiosk against a browser kiosk showing the same content: start-up, switches, memory, CPU.

Run under a virtual screen of the kiosk's size:

    xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python tests/benchmarks/bench_vs_browser.py

One side is the kiosk, started as ``kiosk run --config`` with the sample
configuration. The other is Debian's Chromium in kiosk mode showing the same
bundle as a static web site (peer_site.py) from a loopback server. Only one
side runs at a time, on the same X screen. Both are measured from outside in
the same way, with synthetic XTest clicks (the mechanism xdotool uses) and by
polling X screen pixels until the expected frame is on screen. The script
prints a Markdown table and writes a CSV and a PNG plot of memory over
navigations.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from Xlib import X, display
from Xlib.ext import xtest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from peer_site import LIST_SCREENS, SiteServer, build_site  # noqa: E402

from kiosk.i18n.languages import DEFAULT_LANGUAGE, KIOSK_LANGUAGES  # noqa: E402
from kiosk.xvfb import descendants  # noqa: E402

logger = logging.getLogger("bench_vs_browser")

CHROMIUM = "/usr/bin/chromium"
#: Flags that a kiosk deployment of Chromium uses.
CHROMIUM_FLAGS = ("--kiosk", "--no-first-run", "--noerrdialogs", "--disable-translate",
                  "--window-size=1080,1920", "--window-position=0,0")
#: No host name resolves except loopback, so the browser's background services
#: (updates, safe browsing, variations) send nothing off this machine.
CHROMIUM_NETWORK_GUARD = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
#: Maximum wait for one expected frame, in seconds.
FRAME_TIMEOUT_S = 15.0
#: Pause between two polls of the screen, in seconds.
POLL_INTERVAL_S = 0.002
#: Rows of the screen compared per poll.
PROBE_ROWS = 10
#: Width of the blocks that row_matches compares, and the offset it allows, in pixels.
MATCH_BLOCK_PX = 120
MATCH_SHIFT_PX = 4
MATCH_SHIFTS = (0, *(sign * step for step in range(1, MATCH_SHIFT_PX + 1) for sign in (-1, 1)))


class BenchError(RuntimeError):
    """A side did not start, did not reach an expected screen, or exited early."""


class FrameTimeout(BenchError):
    """The expected frame was not on screen within the time allowed."""


# -- X screen -----------------------------------------------------------------


class Screen:
    """The X screen: pixel rows, full captures and synthetic clicks."""

    def __init__(self) -> None:
        self.display = display.Display()
        self.root = self.display.screen().root
        geometry = self.root.get_geometry()
        self.width, self.height = geometry.width, geometry.height
        if not self.display.has_extension("XTEST"):
            raise BenchError("the X server has no XTEST extension for synthetic clicks")

    def row(self, y: int) -> bytes:
        image = self.root.get_image(0, y, self.width, 1, X.ZPixmap, 0xFFFFFFFF)
        return bytes(image.data)

    def capture(self) -> np.ndarray:
        """Return the whole screen as a (height, width) array of 32-bit pixels."""
        strips = []
        step = 128
        for top in range(0, self.height, step):
            rows = min(step, self.height - top)
            image = self.root.get_image(0, top, self.width, rows, X.ZPixmap, 0xFFFFFFFF)
            strips.append(np.frombuffer(image.data, dtype=np.uint32).reshape(rows, self.width))
        return np.vstack(strips)

    def click(self, x: int, y: int) -> None:
        xtest.fake_input(self.display, X.MotionNotify, x=x, y=y)
        xtest.fake_input(self.display, X.ButtonPress, 1)
        xtest.fake_input(self.display, X.ButtonRelease, 1)
        self.display.sync()

    def save_png(self, path: Path) -> None:
        from PIL import Image

        pixels = self.capture()
        rgb = np.dstack([(pixels >> 16) & 255, (pixels >> 8) & 255, pixels & 255]).astype(np.uint8)
        Image.fromarray(rgb, "RGB").save(path)


def row_matches(current: np.ndarray, expected: np.ndarray) -> bool:
    """Return whether a screen row shows the expected row, allowing text to sit a few pixels aside.

    The row is cut into blocks of ``MATCH_BLOCK_PX``. Each block must equal
    the expected block at some horizontal offset of at most ``MATCH_SHIFT_PX``,
    except for at most ``2 * MATCH_SHIFT_PX`` pixels where moved text meets
    something that stayed put. The kiosk places Arabic labels 2 to 3 pixels
    apart on different visits of the same screen, so an exact comparison
    would wait forever for a frame that is on screen.
    """
    width = expected.shape[0]
    margin = MATCH_SHIFT_PX
    allowed = 2 * MATCH_SHIFT_PX
    for left in range(0, width, MATCH_BLOCK_PX):
        start = max(left, margin)
        inner = expected[start:min(left + MATCH_BLOCK_PX, width - margin)]
        if not any(np.count_nonzero(current[start + shift:start + shift + inner.shape[0]] != inner) <= allowed
                   for shift in MATCH_SHIFTS):
            return False
    return True


def choose_probe_rows(before: np.ndarray | None, after: np.ndarray, excluded: list[tuple[int, int]],
                      count: int = PROBE_ROWS, spacing: int = 24) -> list[int]:
    """Pick rows that tell frame ``after`` from ``before``: rows with the most changed text edges.

    A row scores the pixels that differ from ``before`` and also start a new
    colour in ``after``, so rows through changed text rank first. Rows in
    ``excluded`` (the clock) are never picked; picked rows are ``spacing`` apart.
    """
    changed = after != before if before is not None else np.ones_like(after, dtype=bool)
    edges = np.zeros_like(changed)
    edges[:, 1:] = after[:, 1:] != after[:, :-1]
    scores = (changed & edges).sum(axis=1) + changed.sum(axis=1) / after.shape[1]
    for top, bottom in excluded:
        scores[max(0, top):bottom] = 0
    rows: list[int] = []
    for y in np.argsort(-scores, kind="stable"):
        if scores[y] <= 0 or len(rows) == count:
            break
        if before is not None and row_matches(before[y], after[y]):
            # A row that differs only by a small offset cannot tell the frames apart.
            continue
        if all(abs(int(y) - other) >= spacing for other in rows):
            rows.append(int(y))
    if not rows:
        raise BenchError("the two screens do not differ outside the clock")
    return sorted(rows)


# -- processes ----------------------------------------------------------------


def process_tree(root_pid: int) -> list[int]:
    """Return ``root_pid`` and all its live descendants."""
    return [root_pid, *descendants(root_pid)]


def memory_kib(pids: list[int]) -> dict[str, int]:
    """Sum PSS and RSS (smaps_rollup) and peak RSS (VmHWM) over ``pids``, in KiB."""
    totals = {"pss": 0, "rss": 0, "hwm": 0, "processes": 0}
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        totals["processes"] += 1
        for line in rollup.splitlines():
            name, _, rest = line.partition(":")
            if name in ("Pss", "Rss"):
                totals[name.lower()] += int(rest.split()[0])
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                totals["hwm"] += int(line.split()[1])
    return totals


def describe_process(pid: int) -> str:
    """Return a process's PID, kind (Chromium's --type) and PSS, for the log."""
    try:
        # Chromium rewrites its command line as one string joined with spaces.
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
    except OSError:
        return f"{pid} (exited)"
    kind = next((word.split("=", 1)[1] for word in words if word.startswith("--type=")), "main")
    subtype = next((word.split("=", 1)[1] for word in words if word.startswith("--utility-sub-type=")), "")
    pss = memory_kib([pid])["pss"]
    return f"{pid} {Path(words[0]).name if words else '?'} {kind} {subtype} PSS {pss / 1024:.1f} MiB"


def cpu_ticks(pids: list[int]) -> int:
    """Sum utime and stime, in clock ticks, over ``pids``."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def xvfb_pid() -> int | None:
    """Return the PID of the X server of $DISPLAY when it is an Xvfb on this machine."""
    number = os.environ.get("DISPLAY", "").split(":")[-1].split(".")[0]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"Xvfb") and f":{number}".encode() in argv:
            return int(entry)
    return None


# -- the two sides ------------------------------------------------------------


@dataclass
class Side:
    """One contender: how to start it and where its buttons are."""

    name: str
    work: Path
    layout: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.process = None

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            raise BenchError(f"{self.name} is not running")
        return process_tree(self.process.pid)

    def excluded_rows(self) -> list[tuple[int, int]]:
        _left, top, _right, bottom = self.layout["clock"]
        return [(int(top) - 2, int(bottom) + 3)]


class KioskSide(Side):
    """The kiosk, started as a deployment starts it: ``kiosk run --config FILE``."""

    def __init__(self, work: Path) -> None:
        super().__init__("kiosk", work)
        self.config = work / "kiosk.toml"
        sample = (REPO / "assets" / "config" / "sample-kiosk.toml").read_text(encoding="utf-8")
        # The idle reset and the attract loop would change the screen in the
        # middle of a measurement, so the benchmark raises the idle timeout to
        # its maximum. Everything else is the sample configuration.
        sample = sample.replace("idle_timeout_s = 60", "idle_timeout_s = 3600")
        data = work / "kiosk-data"
        sample = sample.replace("[display]", f'data_dir = "{data}"\n\n[display]', 1)
        self.config.write_text(sample, encoding="utf-8")
        self.command = [str(Path(sys.executable).with_name("kiosk")), "run", "--config", str(self.config)]
        self.log = work / "kiosk.log"

    def find_layout(self) -> None:
        out = self.work / "kiosk-layout.json"
        subprocess.run([sys.executable, str(HERE / "_kiosk_layout_child.py"), str(self.config), str(out)],  # noqa: S603
                       check=True, timeout=120, stdout=subprocess.DEVNULL,
                       stderr=self.log.open("ab"))
        self.layout = json.loads(out.read_text(encoding="utf-8"))
        window = self.layout["window"]
        if window[:2] != [0, 0]:
            raise BenchError(f"the kiosk window is at {window[:2]}, not at the screen's top left corner")

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=self.log.open("ab"))


class BrowserSide(Side):
    """Chromium in kiosk mode showing the peer site from a loopback server."""

    def __init__(self, work: Path, server: SiteServer, extra_flags: list[str]) -> None:
        super().__init__("browser", work)
        self.server = server
        self.profile = work / "chromium-profile"
        self.flags = [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", *extra_flags,
                      CHROMIUM_NETWORK_GUARD]
        if os.geteuid() == 0:
            # Chromium refuses to start as root with its sandbox on.
            self.flags.append("--no-sandbox")
        self.log = work / "chromium.log"
        self.last_report: dict[str, Any] | None = None

    def start(self, report: bool = False) -> None:
        url = f"{self.server.base_url}/{DEFAULT_LANGUAGE}/" + ("?report=1" if report else "")
        self.process = subprocess.Popen([CHROMIUM, *self.flags, url], stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=self.log.open("ab"))

    def find_layout(self) -> None:
        self.start(report=True)
        started = time.time()
        report = self.server.wait_report(120, lambda r: r.get("event") == "first-frame")
        self.last_report = report
        report["start_epoch_s"] = started
        self.layout = report["layout"]


# -- measurement --------------------------------------------------------------


@dataclass
class Probe:
    """Rows of one expected frame and their expected pixels."""

    rows: dict[int, np.ndarray]


class Session:
    """A running side on the screen, with the frames calibrated for each of its states."""

    def __init__(self, screen: Screen, side: Side) -> None:
        self.screen = screen
        self.side = side
        self.references: dict[tuple[str, str], np.ndarray] = {}
        self._probes: dict[tuple[Any, Any], Probe] = {}
        self.state = ("home", DEFAULT_LANGUAGE)
        #: Switches whose frame never came, with the reason.
        self.failures: list[str] = []

    def probe(self, before: tuple[str, str] | None, after: tuple[str, str]) -> Probe:
        key = (before, after)
        if key not in self._probes:
            target = self.references[after]
            source = self.references[before] if before is not None else None
            rows = choose_probe_rows(source, target, self.side.excluded_rows())
            self._probes[key] = Probe({y: target[y].copy() for y in rows})
        return self._probes[key]

    def wait_for(self, probe: Probe, timeout_s: float = FRAME_TIMEOUT_S) -> float:
        """Poll until every probe row is on screen; return the perf_counter() of that poll."""
        deadline = time.perf_counter() + timeout_s
        order = list(probe.rows)
        while True:
            now = time.perf_counter()
            for index, y in enumerate(order):
                if not row_matches(np.frombuffer(self.screen.row(y), dtype=np.uint32), probe.rows[y]):
                    # The row that failed is checked first next time, because it is the one still drawing.
                    order.insert(0, order.pop(index))
                    break
            else:
                return now
            if now > deadline:
                mismatched = {y: int((np.frombuffer(self.screen.row(y), dtype=np.uint32) != expected).sum())
                              for y, expected in probe.rows.items()}
                shot = self.side.work / f"timeout-{self.side.name}-{len(self.failures)}.png"
                self.screen.save_png(shot)
                raise FrameTimeout(f"{self.side.name}: expected frame not on screen after {timeout_s:.0f} s; "
                                 f"differing pixels per probe row {mismatched}; screen saved to {shot}")
            if self.side.process is not None and self.side.process.poll() is not None:
                raise BenchError(f"{self.side.name} exited with code {self.side.process.returncode}")
            time.sleep(POLL_INTERVAL_S)

    def settle(self, unlike: np.ndarray | None = None, timeout_s: float = 60.0) -> np.ndarray:
        """Return the screen once three captures 0.7 s apart are the same outside the clock.

        With ``unlike``, a screen equal to it (the empty root window before a
        side has drawn anything) does not count as settled.
        """
        deadline = time.monotonic() + timeout_s
        (top, bottom), = self.side.excluded_rows()

        def outside_clock(pixels: np.ndarray) -> np.ndarray:
            return np.delete(pixels, np.s_[max(0, top):bottom], axis=0)

        previous = self.screen.capture()
        stable = 0
        while time.monotonic() < deadline:
            time.sleep(0.7)
            current = self.screen.capture()
            blank = unlike is not None and np.array_equal(outside_clock(current), outside_clock(unlike))
            if not blank and np.array_equal(outside_clock(previous), outside_clock(current)):
                stable += 1
                if stable == 2:
                    return current
            else:
                stable = 0
            previous = current
        raise BenchError(f"{self.side.name}: the screen did not settle within {timeout_s:.0f} s")

    def target_point(self, state: tuple[str, str]) -> tuple[int, int]:
        screen, language = state
        current_language = self.state[1]
        if language != current_language:
            x, y = self.side.layout["languages"][language]
        elif screen == "home":
            x, y = self.side.layout["back"]
        else:
            x, y = self.side.layout["tiles"][screen]
        return int(x), int(y)

    def go(self, state: tuple[str, str]) -> float | None:
        """Click towards ``state`` and return milliseconds until its frame is on screen.

        When the frame does not come, the switch is recorded in ``failures``,
        the screen is saved, the same button is clicked once more, and None
        is returned. A second miss raises FrameTimeout.
        """
        probe = self.probe(self.state, state)
        x, y = self.target_point(state)
        start = time.perf_counter()
        self.screen.click(x, y)
        try:
            end = self.wait_for(probe)
        except FrameTimeout as error:
            self.failures.append(f"{self.state} to {state}: {error}")
            logger.warning("%s", error)
            self.screen.click(x, y)
            self.wait_for(probe)
            self.state = state
            return None
        self.state = state
        return (end - start) * 1000

    def calibrate(self, states: list[tuple[str, str]], shots: Path | None, empty: np.ndarray) -> None:
        """Visit every state once, by the same clicks as later, and keep its settled frame."""
        if self.state not in self.references:
            self.references[self.state] = self.settle(unlike=empty)
        if shots is not None:
            self.screen.save_png(shots / f"{self.side.name}-{self.state[0]}-{self.state[1]}.png")
        for state in states:
            self.screen.click(*self.target_point(state))
            self.state = state
            settled = self.settle()
            if state in self.references:
                continue
            self.references[state] = settled
            if shots is not None:
                self.screen.save_png(shots / f"{self.side.name}-{state[0]}-{state[1]}.png")


def calibration_states() -> list[tuple[str, str]]:
    """States in visiting order: each list screen and back home, then each language and back."""
    states: list[tuple[str, str]] = []
    for screen in LIST_SCREENS:
        states += [(screen, DEFAULT_LANGUAGE), ("home", DEFAULT_LANGUAGE)]
    for language in KIOSK_LANGUAGES[1:]:
        states += [("home", language), ("home", DEFAULT_LANGUAGE)]
    return states


def screen_cycle() -> Iterator[tuple[str, str]]:
    while True:
        for screen in LIST_SCREENS:
            yield (screen, DEFAULT_LANGUAGE)
            yield ("home", DEFAULT_LANGUAGE)


def language_cycle() -> Iterator[tuple[str, str]]:
    while True:
        for language in (*KIOSK_LANGUAGES[1:], KIOSK_LANGUAGES[0]):
            yield ("home", language)


def navigation_cycle() -> Iterator[tuple[str, str]]:
    """Ten screen switches, then a language and back, over and over."""
    languages = list(KIOSK_LANGUAGES[1:])
    turn = 0
    while True:
        for screen in LIST_SCREENS:
            yield (screen, DEFAULT_LANGUAGE)
            yield ("home", DEFAULT_LANGUAGE)
        yield ("home", languages[turn % len(languages)])
        yield ("home", DEFAULT_LANGUAGE)
        turn += 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Results:
    """Every figure of one side."""

    startup_ms: list[float] = field(default_factory=list)
    self_reported_startup_ms: list[float] = field(default_factory=list)
    screen_ms: list[float] = field(default_factory=list)
    language_ms: list[float] = field(default_factory=list)
    memory: dict[str, dict[str, int]] = field(default_factory=dict)
    idle_cpu_percent: float = 0.0
    idle_xvfb_cpu_percent: float | None = None
    growth: list[tuple[int, int, int]] = field(default_factory=list)
    processes: int = 0
    #: Switches whose expected frame did not come within FRAME_TIMEOUT_S.
    failures: list[str] = field(default_factory=list)


@contextmanager
def running(side: Side, **start_args: Any) -> Iterator[Side]:
    side.start(**start_args)
    try:
        yield side
    finally:
        side.stop()


def measure_session(screen: Screen, side: Side, results: Results, switches: int, idle_s: float,
                    shots: Path | None, home_reference: dict[str, np.ndarray], empty: np.ndarray) -> Session:
    """Calibrate, then time screen and language switches, then memory and idle CPU, in one process."""
    session = Session(screen, side)
    session.references[session.state] = session.settle(unlike=empty)
    results.memory["after start-up"] = memory_kib(side.pids())
    peak = dict(results.memory["after start-up"])
    session.calibrate(calibration_states(), shots, empty)
    home_reference[side.name] = session.references[("home", DEFAULT_LANGUAGE)]

    def track_peak() -> None:
        sample = memory_kib(side.pids())
        for key in ("pss", "rss"):
            peak[key] = max(peak[key], sample[key])

    for figures, cycle in ((results.screen_ms, screen_cycle()), (results.language_ms, language_cycle())):
        for index in range(switches):
            elapsed = session.go(next(cycle))
            if elapsed is not None:
                figures.append(elapsed)
            if index % 50 == 49:
                track_peak()
        if session.state != ("home", DEFAULT_LANGUAGE):
            session.go(("home", DEFAULT_LANGUAGE))
    results.failures.extend(session.failures)
    time.sleep(5.0)
    steady = memory_kib(side.pids())
    for pid in side.pids():
        logger.info("%s steady: %s", side.name, describe_process(pid))
    results.memory["steady"] = steady
    track_peak()
    peak["hwm"] = steady["hwm"]
    results.memory["peak"] = peak
    results.processes = steady["processes"]

    xvfb = xvfb_pid()
    pids = side.pids()
    ticks_before = cpu_ticks(pids)
    xvfb_before = cpu_ticks([xvfb]) if xvfb else 0
    started = time.monotonic()
    time.sleep(idle_s)
    elapsed = time.monotonic() - started
    hertz = os.sysconf("SC_CLK_TCK")
    results.idle_cpu_percent = 100 * (cpu_ticks(side.pids()) - ticks_before) / hertz / elapsed
    if xvfb:
        results.idle_xvfb_cpu_percent = 100 * (cpu_ticks([xvfb]) - xvfb_before) / hertz / elapsed
    return session


def measure_startup(screen: Screen, side: Side, reference: np.ndarray) -> tuple[float, float | None]:
    """Start ``side`` and return ms to its complete home frame, and its own report if it sends one."""
    session = Session(screen, side)
    session.references[("home", DEFAULT_LANGUAGE)] = reference
    probe = session.probe(None, ("home", DEFAULT_LANGUAGE))
    started_epoch = time.time()
    start = time.perf_counter()
    if isinstance(side, BrowserSide):
        side.start(report=True)
    else:
        side.start()
    try:
        end = session.wait_for(probe, timeout_s=60)
        own = None
        if isinstance(side, BrowserSide):
            report = side.server.wait_report(30, lambda r: r.get("event") == "first-frame")
            own = report["epoch_ms"] - started_epoch * 1000
        return (end - start) * 1000, own
    finally:
        side.stop()
        # Let the X server repaint the empty root before the next start.
        time.sleep(1.0)


def measure_growth(screen: Screen, side: Side, session: Session, navigations: int, every: int,
                   results: Results) -> None:
    """Navigate ``navigations`` times in a new process, sampling summed PSS every ``every``."""
    with running(side):
        fresh = Session(screen, side)
        fresh.references = session.references
        fresh._probes = session._probes
        fresh.wait_for(fresh.probe(None, ("home", DEFAULT_LANGUAGE)), timeout_s=60)
        time.sleep(2.0)
        sample = memory_kib(side.pids())
        results.growth.append((0, sample["pss"], sample["rss"]))
        steps = navigation_cycle()
        for count in range(1, navigations + 1):
            fresh.go(next(steps))
            results.failures.extend(fresh.failures)
            fresh.failures.clear()
            if count % every == 0:
                sample = memory_kib(side.pids())
                results.growth.append((count, sample["pss"], sample["rss"]))
                logger.info("%s: %d navigations, PSS %.0f MiB", side.name, count, sample["pss"] / 1024)


# -- output -------------------------------------------------------------------


def ratio(kiosk: float, browser: float) -> str:
    # A ratio of a shrinking to a growing figure would read as a percentage; leave it out.
    return f"{kiosk / browser:.2f}" if kiosk > 0 and browser > 0 else ""


def table(kiosk: Results, browser: Results) -> str:
    rows = ["| figure | kiosk | browser | kiosk/browser |", "|---|---|---|---|"]

    def add(name: str, a: float, b: float, unit_format: str = "{:.0f}") -> None:
        rows.append(f"| {name} | {unit_format.format(a)} | {unit_format.format(b)} | {ratio(a, b)} |")

    for label, attribute, digits in (("start-up to complete home frame (ms)", "startup_ms", "{:.0f}"),
                                     ("screen switch, click to frame on screen (ms)", "screen_ms", "{:.1f}"),
                                     ("language switch, click to frame on screen (ms)", "language_ms",
                                      "{:.1f}")):
        a, b = getattr(kiosk, attribute), getattr(browser, attribute)
        if a and b:
            add(f"{label}, median of {len(a)}", statistics.median(a), statistics.median(b), digits)
            add(f"{label}, p95", percentile(a, 0.95), percentile(b, 0.95), digits)
    for moment in ("after start-up", "peak", "steady"):
        if moment in kiosk.memory and moment in browser.memory:
            add(f"PSS {moment} (MiB)", kiosk.memory[moment]["pss"] / 1024, browser.memory[moment]["pss"] / 1024)
            add(f"RSS {moment} (MiB)", kiosk.memory[moment]["rss"] / 1024, browser.memory[moment]["rss"] / 1024)
    if "peak" in kiosk.memory and "peak" in browser.memory:
        add("sum of per-process peak RSS, VmHWM (MiB)", kiosk.memory["peak"]["hwm"] / 1024,
            browser.memory["peak"]["hwm"] / 1024)
    rows.append(f"| processes | {kiosk.processes} | {browser.processes} | |")
    rows.append(f"| switches whose frame did not come within {FRAME_TIMEOUT_S:.0f} s | {len(kiosk.failures)} | "
                f"{len(browser.failures)} | |")
    add("idle CPU on home with clock (% of one core)", kiosk.idle_cpu_percent, browser.idle_cpu_percent,
        "{:.2f}")
    if kiosk.idle_xvfb_cpu_percent is not None and browser.idle_xvfb_cpu_percent is not None:
        add("Xvfb CPU during that idle (% of one core)", kiosk.idle_xvfb_cpu_percent,
            browser.idle_xvfb_cpu_percent, "{:.2f}")
    if len(kiosk.growth) > 2 and len(browser.growth) > 2:
        # The first interval includes the first visit of every screen and
        # language, which fills caches once; the rest shows what keeps growing.
        for label, index in (("PSS", 1), ("RSS", 2)):
            for first in (0, 1):
                k0, k1 = kiosk.growth[first][index], kiosk.growth[-1][index]
                b0, b1 = browser.growth[first][index], browser.growth[-1][index]
                add(f"{label} growth from navigation {kiosk.growth[first][0]} to {kiosk.growth[-1][0]} (MiB)",
                    (k1 - k0) / 1024, (b1 - b0) / 1024, "{:+.1f}")
    return "\n".join(rows)


def write_growth(kiosk: Results, browser: Results, csv_path: Path) -> None:
    with csv_path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["side", "navigations", "pss_kib", "rss_kib"])
        for name, results in (("kiosk", kiosk), ("browser", browser)):
            for count, pss, rss in results.growth:
                writer.writerow([name, count, pss, rss])


def plot_growth(kiosk: Results, browser: Results, png_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    for name, results, colour in (("kiosk (Kivy)", kiosk, "#0b5cad"), ("Chromium --kiosk", browser, "#b3261e")):
        counts = [row[0] for row in results.growth]
        axes.plot(counts, [row[1] / 1024 for row in results.growth], label=f"{name}, PSS", color=colour)
        axes.plot(counts, [row[2] / 1024 for row in results.growth], label=f"{name}, RSS", color=colour,
                  linestyle="--", alpha=0.6)
    axes.set_xlabel("navigations (screen and language switches)")
    axes.set_ylabel("memory summed over all processes (MiB)")
    top = max((row[2] for results in (kiosk, browser) for row in results.growth), default=1024) / 1024
    axes.set_ylim(0, top * 1.35)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", ncols=2, fontsize="small")
    axes.set_title("Memory over navigations, 1080x1920 under Xvfb")
    figure.tight_layout()
    figure.savefig(png_path)
    plt.close(figure)


def read_growth(csv_path: Path) -> tuple[Results, Results]:
    """Read the samples that write_growth wrote, to plot them again."""
    sides = {"kiosk": Results(), "browser": Results()}
    with csv_path.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            sides[row["side"]].growth.append((int(row["navigations"]), int(row["pss_kib"]), int(row["rss_kib"])))
    return sides["kiosk"], sides["browser"]


def chromium_version() -> str:
    output = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,  # noqa: S603
                            check=False).stdout
    return output.strip().splitlines()[-1] if output.strip() else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startup-runs", type=int, default=7, help="start-up runs per side (default 7)")
    parser.add_argument("--switches", type=int, default=200,
                        help="screen switches and language switches per side, each (default 200)")
    parser.add_argument("--navigations", type=int, default=10_000,
                        help="navigations per side for memory growth (default 10000)")
    parser.add_argument("--sample-every", type=int, default=250,
                        help="navigations between two memory samples (default 250)")
    parser.add_argument("--idle-seconds", type=float, default=60.0,
                        help="length of the idle CPU measurement in seconds (default 60)")
    parser.add_argument("--quick", action="store_true",
                        help="a pipeline check of a few minutes: 2 start-ups, 20 switches, "
                             "200 navigations sampled every 50, 10 s idle")
    parser.add_argument("--out", type=Path, default=REPO / "docs",
                        help="folder for benchmarks-memory.csv and benchmarks-memory.png (default docs/)")
    parser.add_argument("--shots", type=Path, default=None,
                        help="folder to save a PNG of every calibrated screen of both sides")
    parser.add_argument("--chromium-flag", action="append", default=[],
                        help="extra Chromium flag, repeatable, to try a variant")
    parser.add_argument("--replot", type=Path, default=None, metavar="CSV",
                        help="only draw the plot again from a CSV that an earlier run wrote, into --out")
    args = parser.parse_args()
    if args.replot is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        plot_growth(*read_growth(args.replot), args.out / "benchmarks-memory.png")
        return
    if args.quick:
        args.startup_runs, args.switches, args.navigations = 2, 20, 200
        args.sample_every, args.idle_seconds = 50, 10.0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if not os.environ.get("DISPLAY"):
        sys.exit("No X display: run this under xvfb-run (see the module docstring).")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: install Debian's chromium package.")

    screen = Screen()
    if (screen.width, screen.height) != (1080, 1920):
        sys.exit(f"The X screen is {screen.width}x{screen.height}; run with -screen 0 1080x1920x24.")
    work = Path(tempfile.mkdtemp(prefix="bench-vs-browser-"))
    if args.shots is not None:
        args.shots.mkdir(parents=True, exist_ok=True)
    server = SiteServer(build_site(work / "site")).start()
    kiosk, browser = KioskSide(work), BrowserSide(work, server, args.chromium_flag)
    results = {"kiosk": Results(), "browser": Results()}
    sessions: dict[str, Session] = {}
    home: dict[str, np.ndarray] = {}
    # The root window as it is before either side has drawn anything.
    empty = screen.capture()
    try:
        logger.info("Calibrating and timing switches: kiosk")
        kiosk.find_layout()
        with running(kiosk):
            sessions["kiosk"] = measure_session(screen, kiosk, results["kiosk"], args.switches,
                                                args.idle_seconds, args.shots, home, empty)
        logger.info("Calibrating and timing switches: browser")
        try:
            browser.find_layout()
            sessions["browser"] = measure_session(screen, browser, results["browser"], args.switches,
                                                  args.idle_seconds, args.shots, home, empty)
        finally:
            browser.stop()

        logger.info("Start-up, %d runs per side, alternating", args.startup_runs)
        for run in range(args.startup_runs):
            order = (kiosk, browser) if run % 2 == 0 else (browser, kiosk)
            for side in order:
                elapsed, own = measure_startup(screen, side, home[side.name])
                results[side.name].startup_ms.append(elapsed)
                if own is not None:
                    results[side.name].self_reported_startup_ms.append(own)
                logger.info("start-up %s: %.0f ms", side.name, elapsed)

        for side in (kiosk, browser):
            logger.info("Memory growth: %s, %d navigations", side.name, args.navigations)
            measure_growth(screen, side, sessions[side.name], args.navigations, args.sample_every,
                           results[side.name])
    finally:
        kiosk.stop()
        browser.stop()
        server.stop()

    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = args.out / "benchmarks-memory.csv", args.out / "benchmarks-memory.png"
    write_growth(results["kiosk"], results["browser"], csv_path)
    plot_growth(results["kiosk"], results["browser"], png_path)
    load = os.getloadavg()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{chromium_version()}, load average {load[0]:.2f} at the end")
    print(f"Chromium flags: {' '.join(browser.flags)}")
    print()
    print(table(results["kiosk"], results["browser"]))
    own = results["browser"].self_reported_startup_ms
    if own:
        print()
        print(f"Browser start-up as the page itself reports it (document.fonts.ready, then two animation "
              f"frames): median {statistics.median(own):.0f} ms, p95 {percentile(own, 0.95):.0f} ms")
    for name, side_results in results.items():
        for failure in side_results.failures:
            print(f"Missed frame, {name}: {failure}")
    print()
    print(f"Memory over navigations: {csv_path} and {png_path}")
    if any(side_results.failures for side_results in results.values()):
        print(f"Screens of the missed frames are kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
