"""Staff access to the maintenance view: the hidden gesture and the PIN check."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

logger = logging.getLogger(__name__)

#: Taps on the header clock that open the PIN pad, and the time they must fall within.
GESTURE_TAPS = 5
GESTURE_WINDOW_S = 4.0
#: Wrong PINs in a row before the pad locks, and for how long.
MAX_PIN_FAILURES = 5
LOCKOUT_S = 300.0


def hash_pin(pin: str) -> str:
    """Return the Argon2id hash of a PIN, as stored in ``maintenance_pin_hash``."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a maintenance PIN has 4 to 12 digits")
    return PasswordHasher().hash(pin)


class SecretGesture:
    """Count taps on one spot; ``tapped`` returns True on the tap that completes the gesture."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._taps: list[float] = []

    def tapped(self) -> bool:
        now = self._clock()
        self._taps = [t for t in self._taps if now - t <= GESTURE_WINDOW_S] + [now]
        if len(self._taps) >= GESTURE_TAPS:
            self._taps.clear()
            return True
        return False


class PinGate:
    """Check maintenance PINs against the configured hash, with a lockout after failures.

    An empty hash disables the maintenance view: no PIN is accepted.
    """

    def __init__(self, pin_hash: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._hash = pin_hash
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self._hash)

    def locked_for(self) -> float:
        """Seconds until the pad accepts PINs again; 0 when it does now."""
        return max(0.0, self._locked_until - self._clock())

    def check(self, pin: str) -> bool:
        if not self.enabled or self.locked_for() > 0:
            return False
        try:
            PasswordHasher().verify(self._hash, pin)
        except VerifyMismatchError:
            self._failures += 1
            logger.warning("Wrong maintenance PIN (%d in a row)", self._failures)
            if self._failures >= MAX_PIN_FAILURES:
                self._locked_until = self._clock() + LOCKOUT_S
                self._failures = 0
                logger.warning("Maintenance PIN pad locked for %.0f s", LOCKOUT_S)
            return False
        except (InvalidHashError, VerificationError) as error:
            logger.error("maintenance_pin_hash is not a valid Argon2 hash: %s", error)
            return False
        self._failures = 0
        logger.info("Maintenance view opened")
        return True
