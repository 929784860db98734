"""Counts of screen views for the heartbeat, kept apart from the HTTP code.

The UI counts every view from its first frame on. This module imports
nothing beyond the standard library and the kiosk's language list, so
counting adds nothing to the kiosk's start-up. The heartbeat that sends the
counts loads the HTTP client later.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from kiosk.i18n.languages import KIOSK_LANGUAGES

MAX_SCREENS = 64
MAX_VIEW_COUNT = 1_000_000
#: Screen names as the UI registers them, such as ``home`` or ``selfcheck_result``.
SCREEN_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ViewCounter:
    """Counts of screen views per screen and language, safe to use from any thread.

    The UI calls :meth:`record`; the sender takes a :meth:`snapshot` and, once
    the console has stored it, calls :meth:`discount` with that snapshot, so
    views recorded while a heartbeat was in flight are kept for the next one.
    """

    def __init__(self, max_screens: int = MAX_SCREENS) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}
        self._max_screens = max_screens
        self._dropped = 0

    def record(self, screen: str, language: str) -> None:
        """Count one view of ``screen`` in ``language``.

        Raises ValueError for a screen name that does not match
        :data:`SCREEN_PATTERN` or a language the kiosk does not speak. Views of
        screens beyond the first ``max_screens`` are dropped and counted in
        :attr:`dropped`.
        """
        if not SCREEN_PATTERN.fullmatch(screen):
            raise ValueError(f"invalid screen name {screen!r}; expected {SCREEN_PATTERN.pattern}")
        if language not in KIOSK_LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of "
                             + ", ".join(KIOSK_LANGUAGES))
        with self._lock:
            per_language = self._counts.get(screen)
            if per_language is None:
                if len(self._counts) >= self._max_screens:
                    self._dropped += 1
                    return
                per_language = self._counts[screen] = {}
            per_language[language] = min(MAX_VIEW_COUNT, per_language.get(language, 0) + 1)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Return a copy of the counts not yet sent."""
        with self._lock:
            return {screen: dict(languages) for screen, languages in self._counts.items()}

    def discount(self, sent: Mapping[str, Mapping[str, int]]) -> None:
        """Subtract counts the console has stored; pairs that reach zero are removed."""
        with self._lock:
            for screen, languages in sent.items():
                per_language = self._counts.get(screen)
                if per_language is None:
                    continue
                for language, count in languages.items():
                    left = per_language.get(language, 0) - count
                    if left > 0:
                        per_language[language] = left
                    else:
                        per_language.pop(language, None)
                if not per_language:
                    del self._counts[screen]

    @property
    def dropped(self) -> int:
        """Views not counted because the screen limit was reached."""
        with self._lock:
            return self._dropped
