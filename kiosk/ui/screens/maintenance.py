"""The maintenance view for duty staff: is this kiosk current, and why not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.uix.widget import Widget

from kiosk import __version__
from kiosk.content.selection import ClockStatus, Selection
from kiosk.i18n.catalogs import N_
from kiosk.i18n.formatting import format_timestamp
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import Text, text_card

_CLOCK_MESSAGES = {
    ClockStatus.OK: N_("Clock looks correct"),
    ClockStatus.BEHIND: N_("Clock is earlier than the newest content's publish time; "
                           "NTP may not have set it yet"),
    ClockStatus.AHEAD: N_("Clock is far ahead of the newest content's publish time; "
                          "check the time setting"),
}


class MaintenanceScreen(ListingScreen):
    """Kiosk, content, clock and per-source sync status, with a sync-now button."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app.state.fbind("sync_status", self._invalidate)

    def when(self, moment: datetime | None) -> Text:
        if moment is None:
            return self.message("never")
        zone = self.app.zone
        return lambda language: format_timestamp(moment, language, zone)

    def cards(self, selection: Selection) -> list[Widget]:
        app = self.app
        message = self.message
        bundle = app.state.bundle
        config = app.kiosk_config
        now = app.state.now()

        cards: list[Widget] = [
            text_card(message("This kiosk"), None, [
                message("Kiosk id: {id}", id=config.kiosk_id or "-"),
                message("Site id: {id}", id=config.site_id or "-"),
                message("Software version: {version}", version=__version__),
                message("Clock: {time} ({status})", time=self.when(now),
                        status=message(_CLOCK_MESSAGES[selection.clock])),
            ], accent="urgent" if selection.clock is not ClockStatus.OK else "accent"),
            text_card(message("Content"), None, [
                message("Content version {version}, updated {time}", version=bundle.version,
                        time=self.when(bundle.published_at)),
                message("Expires {time}", time=self.when(bundle.expires_at)),
                message("Sample content") if bundle.sample else message("Official content"),
                message("Past its expiry: shown as possibly out of date")
                if selection.stale else message("Within its validity"),
                message("Notices shown: {count}", count=len(selection.notices)),
            ], accent="warning" if selection.stale else "accent"),
        ]

        status = app.state.sync_status
        sources = status.sources if status is not None else ()
        if not sources:
            cards.append(text_card(message("Sync"),
                                   message("No feed or content repository is configured."),
                                   accent="accent"))
        for source in sources:
            lines: list[Text] = [
                source.url,
                message("Last attempt: {time}", time=self.when(source.last_attempt)),
                message("Last success: {time}", time=self.when(source.last_success)),
                message("Items: {count}", count=source.item_count),
            ]
            if source.last_error:
                lines.append(message("Last error: {error}", error=source.last_error))
            if source.next_attempt:
                lines.append(message("Next attempt: {time}", time=self.when(source.next_attempt)))
            healthy = source.last_error is None \
                and not source.is_stale(now, config.sync.stale_after_s)
            cards.append(text_card(source.name, None, lines,
                                   accent="accent" if healthy else "urgent"))
        return cards
