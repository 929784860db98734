"""Wake the Kivy main loop as soon as the X server sends input.

Kivy 2.3 runs one loop. The clock sleeps until the next frame is due, then
touches queued by the input providers are dispatched and the frame is drawn.
Only after that does the SDL window read new events from the X server.
A tap that arrives during the sleep therefore waits for the rest of that
sleep and one more whole frame before anything reacts to it. At 60 frames
per second that is about 25 ms on average, and at the idle rate up to
about 130 ms.

:class:`InputWake` replaces the clock's sleep with one that also ends when
the X connection becomes readable. It then lets SDL read the pending events
into Kivy's input providers at once, so the touch is dispatched and drawn in
the frame that follows. Where the window is not an X window, nothing is
changed.
"""

from __future__ import annotations

import ctypes
import logging
import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Shortest time between two loop passes started by input, in seconds. A tap
#: often arrives as pointer motion and, a moment later, the button press: the
#: press must not wait a whole frame. A stream of motion events (100 to 1000
#: per second from some touch panels) still cannot spin the loop faster.
MIN_INPUT_PASS_S = 1 / 240

#: SDL_SYSWM_X11 in SDL 2's SDL_SYSWM_TYPE enumeration (SDL_syswm.h).
_SDL_SYSWM_X11 = 2


class _SDLVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint8), ("minor", ctypes.c_uint8), ("patch", ctypes.c_uint8)]


class _SDLX11Info(ctypes.Structure):
    _fields_ = [("display", ctypes.c_void_p), ("window", ctypes.c_ulong)]


class _SDLWindowInfo(ctypes.Union):
    # SDL 2 pads the union of the platform structures to 64 bytes.
    _fields_ = [("x11", _SDLX11Info), ("dummy", ctypes.c_uint8 * 64)]


class _SDLSysWMInfo(ctypes.Structure):
    """SDL_SysWMinfo of SDL 2: the version, the window system and its handles."""

    _fields_ = [("version", _SDLVersion), ("subsystem", ctypes.c_int), ("info", _SDLWindowInfo)]


class InputWake:
    """A sleep for Kivy's clock that ends early when the X connection has input.

    :meth:`sleep` takes the place of ``Clock.usleep`` and
    :meth:`check_ready` wraps the clock's own check of whether the next frame
    is due, so a wake-up by input starts the frame at once. Passes started by
    input still come at least ``min_frame_s`` apart, so a stream of pointer
    motion does not spin the loop. Both methods run on the UI
    thread only. ``read_input`` must take every pending event off the
    connection.
    """

    def __init__(self, x_fd: int, read_input: Callable[[], None],
                 check_ready: Callable[[float, float, float], tuple[bool, float]],
                 min_frame_s: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self._x_fd = x_fd
        self._read_input = read_input
        self._check_ready = check_ready
        self._min_frame_s = min_frame_s
        self._clock = clock
        self._input_read = False
        self._reading = False
        self._frame_started = clock()

    @property
    def x_fd(self) -> int:
        """The X connection's socket that ends a sleep."""
        return self._x_fd

    def sleep(self, microseconds: float) -> None:
        """Sleep for ``microseconds``, or until the X server sends something."""
        timeout_s = max(microseconds, 0) / 1_000_000
        if self._reading:
            # SDL's event filter runs a whole loop pass while SDL reads events,
            # for example on a window resize; SDL must not be entered again.
            time.sleep(timeout_s)
            return
        if self._read_when_readable(timeout_s):
            self._input_read = True

    def check_ready(self, fps: float, min_sleep: float, undershoot: float) -> tuple[bool, float]:
        """Return whether the next frame starts now, and else how long to sleep, in seconds.

        When the frame starts, input already waiting on the connection is read
        first, so that the frame dispatches it rather than the one after.
        """
        if self._input_read:
            wait_s = self._min_frame_s - (self._clock() - self._frame_started)
            # Kivy's own check treats anything under the clock's resolution as due.
            if wait_s > min_sleep:
                return False, wait_s
            self._input_read = False
            return self._start_frame()
        done, sleep_s = self._check_ready(fps, min_sleep, undershoot)
        if not done:
            return done, sleep_s
        if not self._reading:
            self._read_when_readable(0.0)
        return self._start_frame()

    def _start_frame(self) -> tuple[bool, float]:
        self._frame_started = self._clock()
        return True, 0.0

    def _read_when_readable(self, timeout_s: float) -> bool:
        readable, _, _ = select.select([self._x_fd], [], [], timeout_s)
        if not readable:
            return False
        self._reading = True
        try:
            self._read_input()
        finally:
            self._reading = False
        return True


def _loaded_library(stem: str) -> Path | None:
    """Return the path of a shared library of this process whose file name starts with ``stem``."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in maps.splitlines():
        # The sixth field of a mapping, when present, is the mapped file's path.
        fields = line.split(maxsplit=5)
        if len(fields) < 6:
            continue
        path = fields[5]
        if Path(path).name.startswith(stem) and ".so" in path:
            return Path(path)
    return None


def sdl_x11_window() -> tuple[int, int] | None:
    """Return the Xlib ``Display*`` and the X window id of SDL's current GL window, or None.

    Must run on the UI thread after the window is created, because SDL
    tracks the current GL window per thread. None where the window is not an
    X window (Wayland, or no SDL at all).
    """
    sdl_path = _loaded_library("libSDL2-") or _loaded_library("libSDL2.")
    if sdl_path is None:
        return None
    try:
        sdl = ctypes.CDLL(str(sdl_path))
        sdl.SDL_GL_GetCurrentWindow.restype = ctypes.c_void_p
        sdl.SDL_GetWindowWMInfo.argtypes = [ctypes.c_void_p, ctypes.POINTER(_SDLSysWMInfo)]
        sdl.SDL_GetVersion.argtypes = [ctypes.POINTER(_SDLVersion)]
    except (OSError, AttributeError) as error:
        logger.debug("SDL's window functions are not available: %s", error)
        return None
    window = sdl.SDL_GL_GetCurrentWindow()
    if not window:
        return None
    info = _SDLSysWMInfo()
    sdl.SDL_GetVersion(ctypes.byref(info.version))
    if not sdl.SDL_GetWindowWMInfo(window, ctypes.byref(info)):
        return None
    if info.subsystem != _SDL_SYSWM_X11 or not info.info.x11.display:
        return None
    return int(info.info.x11.display), int(info.info.x11.window)


def x_connection_fd() -> int | None:
    """Return the socket of SDL's X connection, or None; see :func:`sdl_x11_window`."""
    found = sdl_x11_window()
    if found is None:
        return None
    try:
        xlib = ctypes.CDLL("libX11.so.6")
        xlib.XConnectionNumber.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError) as error:
        logger.debug("libX11 is not available: %s", error)
        return None
    fd = int(xlib.XConnectionNumber(found[0]))
    return fd if fd >= 0 else None


def install_input_wake(clock: Any, window: Any) -> InputWake | None:
    """Make ``clock`` wake when the X server sends input to ``window``.

    Returns the installed wake, or None where the window is not an X window or
    the clock is not Kivy's default clock. Installing twice returns the first
    one.
    """
    from kivy.clock import ClockBaseInterruptBehavior

    current = getattr(clock, "usleep", None)
    owner = getattr(current, "__self__", None)
    if isinstance(owner, InputWake):
        return owner
    if isinstance(clock, ClockBaseInterruptBehavior):
        # The interrupt clocks (KIVY_CLOCK=interrupt, free_all, ...) sleep on
        # an event and check readiness with other arguments.
        logger.info("Input wake off: KIVY_CLOCK selects %s", type(clock).__name__)
        return None
    fd = x_connection_fd()
    if fd is None:
        logger.info("Input wake off: the window is not on an X server")
        return None
    # NOTE: Kivy's clock sleeps in idle() through usleep() until the private
    # _check_ready() reports that the frame is due (checked against Kivy 2.3.1).
    wake = InputWake(fd, window.mainloop, clock._check_ready, min_frame_s=MIN_INPUT_PASS_S)
    clock.usleep = wake.sleep
    clock._check_ready = wake.check_ready
    logger.info("Input wake on: the main loop wakes on the X connection (fd %d)", fd)
    return wake
