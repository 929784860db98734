"""The maintenance view for duty staff: is this kiosk current, and why not."""

from __future__ import annotations

from datetime import datetime, timedelta

from kivy.uix.widget import Widget

from kiosk import __version__
from kiosk.content.selection import ClockStatus, Selection
from kiosk.i18n.formatting import format_timestamp
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class MaintenanceScreen(ListingScreen):
    """Kiosk, content, clock and per-source sync status, with a sync-now button."""

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return self.app.tr._("never")
        return format_timestamp(moment, self.language, self.app.zone)

    def cards(self, selection: Selection) -> list[Widget]:
        tr = self.app.tr
        app = self.app
        bundle = app.state.bundle
        config = app.kiosk_config
        now = app.state.now()
        palette = app.palette

        clock_text = {
            ClockStatus.OK: tr._("Clock plausible"),
            ClockStatus.BEHIND: tr._("Clock is behind the newest content: not yet set by NTP?"),
            ClockStatus.AHEAD: tr._("Clock is implausibly far ahead of the newest content"),
        }[selection.clock]
        cards: list[Widget] = [
            text_card(tr._("This kiosk"), "", [
                tr._("Kiosk id: {id}").format(id=config.kiosk_id or "-"),
                tr._("Site id: {id}").format(id=config.site_id or "-"),
                tr._("Software version: {version}").format(version=__version__),
                tr._("Clock: {time} ({status})").format(time=self.when(now), status=clock_text),
            ], accent=palette.urgent if selection.clock is not ClockStatus.OK else palette.accent),
            text_card(tr._("Content"), "", [
                tr._("Content version {version}, updated {time}").format(
                    version=bundle.version, time=self.when(bundle.published_at)),
                tr._("Expires {time}").format(time=self.when(bundle.expires_at)),
                tr._("Sample content") if bundle.sample else tr._("Official content"),
                tr._("Past its expiry: shown as possibly out of date")
                if selection.stale else tr._("Within its validity"),
                tr._("Notices shown: {count}").format(count=len(selection.notices)),
            ], accent=palette.warning if selection.stale else palette.accent),
        ]

        status = app.state.sync_status
        sources = status.sources if status is not None else ()
        if not sources:
            cards.append(text_card(tr._("Sync"), tr._("No feed or content repository is configured."),
                                   accent=palette.accent))
        stale_after = timedelta(seconds=config.sync.stale_after_s)
        for source in sources:
            lines = [
                source.url,
                tr._("Last attempt: {time}").format(time=self.when(source.last_attempt)),
                tr._("Last success: {time}").format(time=self.when(source.last_success)),
                tr._("Items: {count}").format(count=source.item_count),
            ]
            if source.last_error:
                lines.append(tr._("Last error: {error}").format(error=source.last_error))
            if source.next_attempt:
                lines.append(tr._("Next attempt: {time}").format(time=self.when(source.next_attempt)))
            healthy = source.last_error is None and source.last_success is not None \
                and now - source.last_success <= stale_after
            cards.append(text_card(source.name, "", lines,
                                   accent=palette.accent if healthy else palette.urgent))
        return cards
