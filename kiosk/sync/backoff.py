"""Exponential backoff with full jitter for retrying a failing source."""

from __future__ import annotations

import random
from collections.abc import Callable

#: Doublings after which the ceiling stops growing; keeps ``2 ** n`` a small float.
_MAX_DOUBLINGS = 30


class Backoff:
    """Delays between retries of one source.

    After the n-th consecutive failure the delay is drawn uniformly between
    ``base_s`` and ``min(max_s, base_s * 2 ** n)``, so retries spread out
    instead of arriving in step, yet never come sooner than ``base_s`` or later
    than ``max_s``. A success resets the count.
    """

    def __init__(self, base_s: float, max_s: float,
                 rng: Callable[[], float] = random.random) -> None:
        if base_s <= 0 or max_s < base_s:
            raise ValueError(
                f"backoff needs 0 < base_s <= max_s, got base_s={base_s}, max_s={max_s}")
        self.base_s = base_s
        self.max_s = max_s
        self._rng = rng
        self.failures = 0

    def ceiling(self, failures: int) -> float:
        """Return the longest delay after ``failures`` consecutive failures."""
        return min(self.max_s, self.base_s * 2.0 ** min(failures, _MAX_DOUBLINGS))

    def failure(self) -> float:
        """Count a failure and return the delay in seconds before the next attempt."""
        self.failures += 1
        ceiling = self.ceiling(self.failures)
        fraction = min(max(self._rng(), 0.0), 1.0)
        return self.base_s + fraction * (ceiling - self.base_s)

    def success(self) -> None:
        self.failures = 0
