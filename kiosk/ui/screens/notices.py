"""Official notices, most severe and newest first."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.model import Notice, Severity
from kiosk.content.selection import Selection
from kiosk.i18n.formatting import format_timestamp
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.widgets.cards import text_card


class NoticesScreen(ListingScreen):
    """All notices in force; tapping one opens its detail."""

    def cards(self, selection: Selection) -> list[Widget]:
        return [text_card(self.app.notice_heading(notice), "", notice_lines(self, notice),
                          accent=severity_colour(self, notice),
                          on_tap=lambda notice_id=notice.id: self.app.open_notice(notice_id))
                for notice in selection.notices]


def severity_colour(screen: ListingScreen, notice: Notice) -> str:
    palette = screen.app.palette
    return {Severity.URGENT: palette.urgent, Severity.WARNING: palette.warning}.get(
        notice.severity, palette.accent)


def notice_lines(screen: ListingScreen, notice: Notice) -> list[str]:
    """Issuer, publish and expiry time, and source of a notice, one line each."""
    tr = screen.app.tr
    zone = screen.app.zone
    language = screen.language
    lines = [tr._("Issued by {issuer}").format(issuer=screen.text(notice.issuer))]
    if notice.published_at:
        lines.append(tr._("Published {time}").format(
            time=format_timestamp(notice.published_at, language, zone)))
    if notice.validity.valid_until:
        lines.append(tr._("Valid until {time}").format(
            time=format_timestamp(notice.validity.valid_until, language, zone)))
    if notice.source_url:
        lines.append(tr._("Source: {link}").format(link=notice.source_url))
    return lines
