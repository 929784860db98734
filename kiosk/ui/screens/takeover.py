"""A full-screen alert for Extreme or Severe alerts that need Immediate action."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.content.selection import Selection
from kiosk.ui.screens.listing import ListingScreen
from kiosk.ui.screens.notices import notice_lines
from kiosk.ui.widgets.cards import heading, paragraph, small


class TakeoverScreen(ListingScreen):
    """The alert that takes over the kiosk; the app shows it and takes it away."""

    def cards(self, selection: Selection) -> list[Widget]:
        notice = selection.takeover_notice
        if notice is None:
            return []
        widgets: list[Widget] = [heading(self.localized(notice.title), tone="on_urgent",
                                         size_role="banner")]
        if notice.alert is not None and notice.alert.area:
            widgets.append(paragraph(self.localized(notice.alert.area), tone="on_urgent", weight="bold"))
        widgets.append(paragraph(self.localized(notice.body), tone="on_urgent"))
        if notice.instruction:
            widgets.append(paragraph(self.localized(notice.instruction), tone="on_urgent", weight="bold"))
        widgets.extend(small(line, tone="on_urgent") for line in notice_lines(self, notice))
        return widgets
