"""Return to the home screen in the default language after a period without touches."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class IdleWatcher:
    """Call ``on_idle`` once after ``timeout_s`` seconds without a touch.

    Uses the monotonic clock, so stepping the wall clock neither triggers nor
    delays the reset. The app calls ``touched`` on every touch and ``check``
    from a Kivy clock interval.
    """

    def __init__(self, timeout_s: float, on_idle: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._on_idle = on_idle
        self._clock = clock
        self._last_touch = clock()
        self._idle = True  # the kiosk starts on the home screen, already reset

    def touched(self, *_args: Any) -> None:
        self._last_touch = self._clock()
        self._idle = False

    def check(self, *_args: Any) -> None:
        if not self._idle and self._clock() - self._last_touch >= self.timeout_s:
            self._idle = True
            logger.info("No touch for %.0f s: returning to the home screen", self.timeout_s)
            self._on_idle()

    def idle_for(self) -> float:
        """Seconds since the last touch."""
        return self._clock() - self._last_touch

    @property
    def is_idle(self) -> bool:
        return self._idle
