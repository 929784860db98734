"""Official notices, most severe and newest first."""

from __future__ import annotations

import functools
from datetime import datetime

from kivy.uix.widget import Widget

from kiosk.content.model import Notice, Severity
from kiosk.content.selection import Selection
from kiosk.i18n.formatting import format_timestamp
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import Text, text_card


class NoticesScreen(ListingScreen):
    """All notices in force; tapping one opens its detail."""

    def cards(self, selection: Selection) -> list[Widget]:
        return [text_card(notice_heading(self, notice), None, notice_lines(self, notice),
                          accent=severity_colour(self, notice),
                          on_tap=functools.partial(self.app.open_notice, notice.id))
                for notice in selection.notices]


def severity_colour(screen: KioskScreen, notice: Notice) -> str:
    """Return the palette field that marks a notice's severity."""
    return {Severity.URGENT: "urgent", Severity.WARNING: "warning"}.get(notice.severity, "accent")


def notice_heading(screen: KioskScreen, notice: Notice) -> Text:
    """Return the notice title as a text source, marked as urgent for urgent notices."""
    title = screen.localized(notice.title)
    if notice.severity is Severity.URGENT:
        return screen.message("Urgent: {title}", title=title)
    return title


def notice_lines(screen: KioskScreen, notice: Notice) -> list[Text]:
    """Issuer, times and last verification of a notice, one line each.

    The source link is not among them: the detail screen shows it beside its
    QR code, and only when it is an http(s) link.
    """
    zone = screen.app.zone

    def when(moment: datetime) -> Text:
        return lambda language: format_timestamp(moment, language, zone)

    lines: list[Text] = [screen.message("Issued by {issuer}",
                                        issuer=screen.localized(notice.issuer))]
    if notice.published_at:
        lines.append(screen.message("Published {time}", time=when(notice.published_at)))
    if notice.validity.valid_until:
        lines.append(screen.message("Valid until {time}", time=when(notice.validity.valid_until)))
    status = screen.app.state.sync_status
    # Bundle notices were last verified with the signed content they came in.
    source_name = "content" if notice.origin == "bundle" else notice.origin
    source = status.source(source_name) if status is not None else None
    if source is not None and source.last_success is not None:
        lines.append(screen.message("Last verified {time}", time=when(source.last_success)))
    return lines
