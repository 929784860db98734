"""The detail of one notice."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.screens.notices import notice_heading, notice_lines, severity_colour
from kiosk.ui.widgets.cards import text_card


class NoticeScreen(ListingScreen):
    """One notice in full: title, body, instruction, issuer, times and source."""

    notice_id = StringProperty("")
    """Id of the notice shown."""

    def on_notice_id(self, *_args: Any) -> None:
        self.is_stale = True
        if self.manager is not None and self.manager.current_screen is self:
            self.rebuild()

    def cards(self, selection: Selection) -> list[Widget]:
        notice = next((n for n in selection.notices if n.id == self.notice_id), None)
        if notice is None:
            return []
        body = self.localized(notice.body)
        if notice.instruction:
            body_only, instruction = body, self.localized(notice.instruction)
            body = lambda language: f"{body_only(language)}\n\n{instruction(language)}"  # noqa: E731
        return [text_card(notice_heading(self, notice), body, notice_lines(self, notice),
                          accent=severity_colour(self, notice), qr=notice.source_url,
                          qr_caption=self.message("Scan to open the official source"))]
