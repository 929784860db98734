"""Waking the main loop on X input: the sleep on its own, and a real tap under Xvfb."""

from __future__ import annotations

import ctypes
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from test_ui_screens import translated

from kiosk.ui.input_wake import InputWake, install_input_wake, sdl_x11_window

#: Long enough that a sleep which ends early cannot be mistaken for a timeout.
LONG_SLEEP_US = 5_000_000


class FrameDue:
    """The clock's own check whether the next frame is due, recording its calls."""

    def __init__(self, answer: tuple[bool, float]) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, fps: float, min_sleep: float, undershoot: float) -> tuple[bool, float]:
        self.calls += 1
        return self.answer


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def test_sleep_ends_when_fd_readable(pair: tuple[socket.socket, socket.socket]) -> None:
    x_side, server_side = pair
    reads: list[bytes] = []
    due = FrameDue((False, 0.01))
    wake = InputWake(x_side.fileno(), lambda: reads.append(x_side.recv(64)), due, min_frame_s=0.0)
    timer = threading.Timer(0.05, server_side.send, args=(b"input",))
    timer.start()
    try:
        started = time.monotonic()
        wake.sleep(LONG_SLEEP_US)
        elapsed = time.monotonic() - started
    finally:
        timer.join()

    assert reads == [b"input"]
    assert elapsed < LONG_SLEEP_US / 2_000_000
    # The frame starts at once, without asking the clock, and only once.
    assert wake.check_ready(60, 0.001, 0.0008) == (True, 0.0)
    assert due.calls == 0
    assert wake.check_ready(60, 0.001, 0.0008) == (False, 0.01)
    assert due.calls == 1


def test_sleep_times_out_without_input(pair: tuple[socket.socket, socket.socket]) -> None:
    x_side, _server_side = pair
    reads: list[bytes] = []
    due = FrameDue((False, 0.005))
    wake = InputWake(x_side.fileno(), lambda: reads.append(b"unexpected"), due, min_frame_s=0.0)

    started = time.monotonic()
    wake.sleep(50_000)
    elapsed = time.monotonic() - started

    assert reads == []
    assert elapsed >= 0.045
    assert wake.check_ready(60, 0.001, 0.0008) == (False, 0.005)
    assert due.calls == 1


def test_negative_sleep_returns_at_once(pair: tuple[socket.socket, socket.socket]) -> None:
    x_side, _server_side = pair
    wake = InputWake(x_side.fileno(), lambda: None, FrameDue((True, 0.0)), min_frame_s=0.0)

    started = time.monotonic()
    wake.sleep(-1000)

    assert time.monotonic() - started < 1.0


def test_input_keeps_full_frame_rate(pair: tuple[socket.socket, socket.socket]) -> None:
    x_side, server_side = pair
    now = [100.0]
    wake = InputWake(x_side.fileno(), lambda: x_side.recv(64), FrameDue((True, 0.0)),
                     min_frame_s=0.02, clock=lambda: now[0])
    assert wake.check_ready(60, 0.001, 0.0008) == (True, 0.0)

    # Motion arrives 5 ms after the frame started: the next frame waits.
    now[0] += 0.005
    server_side.send(b"motion")
    wake.sleep(LONG_SLEEP_US)
    ready, wait_s = wake.check_ready(60, 0.001, 0.0008)

    assert ready is False
    assert wait_s == pytest.approx(0.015)

    now[0] += 0.015
    assert wake.check_ready(60, 0.001, 0.0008) == (True, 0.0)


def test_nested_loop_pass_reads_nothing(pair: tuple[socket.socket, socket.socket]) -> None:
    x_side, server_side = pair
    reads: list[bytes] = []
    wake: InputWake

    def read_input() -> None:
        # As SDL's event filter does on a resize: a whole loop pass while
        # SDL reads events. More input is waiting, but SDL must not be
        # entered again from inside itself.
        server_side.send(b"more")
        wake.sleep(10_000)
        wake.check_ready(60, 0.001, 0.0008)
        reads.append(x_side.recv(64))

    wake = InputWake(x_side.fileno(), read_input, FrameDue((True, 0.0)), min_frame_s=0.0)
    server_side.send(b"first")
    wake.sleep(LONG_SLEEP_US)

    assert len(reads) == 1


def test_install_skips_interrupt_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from kivy.clock import ClockBaseInterrupt

    import kiosk.ui.input_wake as module

    monkeypatch.setattr(module, "x_connection_fd", lambda: 3)
    clock = ClockBaseInterrupt()
    sleep, due = clock.usleep, clock._check_ready

    assert install_input_wake(clock, window=None) is None
    assert clock.usleep == sleep
    assert clock._check_ready == due


def test_install_without_x_window_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.ui.input_wake as module

    monkeypatch.setattr(module, "x_connection_fd", lambda: None)
    sleep, due = object(), object()
    clock = SimpleNamespace(usleep=sleep, _check_ready=due)

    assert install_input_wake(clock, window=None) is None
    assert clock.usleep is sleep
    assert clock._check_ready is due


# -- a real tap under Xvfb ------------------------------------------------------


class _XTest:
    """Pointer input through the XTEST extension on a second X connection, as a touch panel driver sends it."""

    def __init__(self) -> None:
        try:
            self.xlib = ctypes.CDLL("libX11.so.6")
            self.xtst = ctypes.CDLL("libXtst.so.6")
        except OSError as error:
            pytest.skip(f"libX11 or libXtst is not installed: {error}")
        self.xlib.XOpenDisplay.restype = ctypes.c_void_p
        self.xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        self.xlib.XTranslateCoordinates.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong)]
        self.xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.display = self.xlib.XOpenDisplay(None)
        if not self.display:
            pytest.skip("cannot open a second connection to the X display")

    def close(self) -> None:
        self.xlib.XCloseDisplay(self.display)

    def tap(self, window: int, x: int, y: int) -> None:
        """Tap at ``x``, ``y`` in ``window``'s own coordinates (origin top left)."""
        root = self.xlib.XDefaultRootWindow(self.display)
        root_x, root_y, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        self.xlib.XTranslateCoordinates(self.display, window, root, x, y, ctypes.byref(root_x),
                                        ctypes.byref(root_y), ctypes.byref(child))
        self.xtst.XTestFakeMotionEvent(self.display, -1, root_x.value, root_y.value, 0)
        self.xtst.XTestFakeButtonEvent(self.display, 1, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.display, 1, 0, 0)
        self.xlib.XSync(self.display, 0)


@pytest.mark.ui
def test_pending_tap_switches_screen_in_one_loop_pass(kiosk_home):  # type: ignore[no-untyped-def]
    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.core.window import Window

    wake = Clock.usleep.__self__
    assert isinstance(wake, InputWake)
    assert install_input_wake(Clock, Window) is wake
    found = sdl_x11_window()
    assert found is not None
    assert stat.S_ISSOCK(os.fstat(wake.x_fd).st_mode)

    tile = kiosk_home.find_by_text(translated("zh_Hans", "Travel rules"))
    x, y = tile.to_window(*tile.center)
    xtest = _XTest()
    try:
        xtest.tap(found[1], round(x), round(Window.height - y))
    finally:
        xtest.close()
    # The X server has the tap now; give it a moment to reach the kiosk's socket.
    time.sleep(0.2)

    # Kivy on its own dispatches queued touches before it reads new X events,
    # so the tap would only act in the second pass. The wake reads them first.
    EventLoop.idle()

    assert kiosk_home.current == "rules"
