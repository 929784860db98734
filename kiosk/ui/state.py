"""Observable content state shared by the screens: bundle, feed notices and selection."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import ObjectProperty

from kiosk.content.model import Bundle, Notice
from kiosk.content.selection import Selection, select_content

logger = logging.getLogger(__name__)


class ContentState(EventDispatcher):  # type: ignore[misc]
    """The content on screen, recomputed when content arrives or the minute changes.

    The selection does not depend on the language on screen: texts are
    resolved to a language only when a label draws them.
    """

    bundle = ObjectProperty(None)
    """The bundle in force."""

    feed_notices = ObjectProperty(())
    """Notices from official feeds, merged with the bundle's notices."""

    sync_status = ObjectProperty(None, allownone=True)
    """Latest status snapshot from the sync worker; None before the first sync."""

    selection = ObjectProperty(None, allownone=True)
    """Items in force now for this site; recomputed, never set by screens."""

    def __init__(self, bundle: Bundle, site_id: str, now: Callable[[], datetime],
                 **kwargs: Any) -> None:
        self._site_id = site_id
        self._now = now
        super().__init__(bundle=bundle, **kwargs)
        self.fbind("bundle", self._reselect)
        self.fbind("feed_notices", self._reselect)
        self._reselect()

    @property
    def site_id(self) -> str:
        return self._site_id

    def now(self) -> datetime:
        return self._now()

    def set_site(self, site_id: str) -> None:
        """Show the content for another site, as remote settings may ask."""
        if site_id != self._site_id:
            self._site_id = site_id
            self._reselect()

    def set_feed_notices(self, notices: tuple[Notice, ...]) -> None:
        self.feed_notices = notices

    def refresh(self, *_args: Any) -> None:
        """Recompute the selection, for example when validity windows open or close."""
        self._reselect()

    def _reselect(self, *_args: Any) -> None:
        selection: Selection = select_content(self.bundle, self._now(), self._site_id or None,
                                              self.bundle.default_language,
                                              extra_notices=self.feed_notices)
        if self.selection is None or _differs(self.selection, selection):
            self.selection = selection


def _differs(old: Selection, new: Selection) -> bool:
    # The moment changes on every call; a new selection that only moved in
    # time need not rebuild the screens.
    return (old.notices, old.travel_rules, old.symptoms, old.hotlines, old.risk_levels,
            old.stale, old.clock, old.site) != (
        new.notices, new.travel_rules, new.symptoms, new.hotlines, new.risk_levels,
        new.stale, new.clock, new.site)
