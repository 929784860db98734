"""A wall clock and a monotonic clock that tests and soaks move by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class ManualClock:
    """A wall clock and a monotonic clock that move only when a test advances them."""

    wall: datetime
    monotonic: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def seconds(self) -> float:
        return self.monotonic

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.monotonic += seconds
