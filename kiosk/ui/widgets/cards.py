"""Cards built from content items.

Texts are given either as a plain string or as a callable that returns the
text for a language. Callables let a card follow language switches by
re-rendering its labels, without building the card again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.uix.boxlayout import BoxLayout

from kiosk.content.links import qr_link
from kiosk.ui.widgets.common import Card, RiskBadge, TapCard
from kiosk.ui.widgets.qr import QrCode
from kiosk.ui.widgets.text import KioskLabel

#: A text for a label: fixed, or computed from the language on screen.
Text = str | Callable[[str], str]


def _app() -> Any:
    return App.get_running_app()


def label(text: Text, **kwargs: Any) -> KioskLabel:
    """Return a KioskLabel showing ``text``, which follows language switches when it is a callable."""
    if callable(text):
        return KioskLabel(source=text, **kwargs)
    return KioskLabel(plain=text, **kwargs)


def heading(text: Text, **kwargs: Any) -> KioskLabel:
    kwargs.setdefault("size_role", "title")
    return label(text, weight="bold", **kwargs)


def paragraph(text: Text, **kwargs: Any) -> KioskLabel:
    return label(text, **kwargs)


def small(text: Text, **kwargs: Any) -> KioskLabel:
    kwargs.setdefault("size_role", "small")
    kwargs.setdefault("tone", "muted")
    return label(text, **kwargs)


def text_card(title: Text, body: Text | None = None, extra: list[Text] | None = None,
              accent: str | None = None, on_tap: Callable[[], None] | None = None,
              qr: str | None = None, qr_caption: Text = "") -> Card:
    """Build a card with a bold title, a body, optional small lines and an optional QR code.

    ``accent`` names the palette field of the card's edge strip, such as ``urgent``.

    The QR code appears only for a link that ``qr_link`` accepts, with its
    caption and the link text beside it so the passenger can also type it.
    """
    card: Card = TapCard() if on_tap else Card()
    card.accent_role = accent or ""
    card.add_widget(heading(title))
    if body:
        card.add_widget(paragraph(body))
    for line in extra or []:
        card.add_widget(small(line))
    link = qr_link(qr)
    if link is not None:
        card.add_widget(qr_row(link, qr_caption))
    if on_tap is not None:
        card.bind(on_release=lambda *_: on_tap())
    return card


def qr_row(link: str, caption: Text) -> BoxLayout:
    """Build a row with a QR code and, beside it, its caption and the link text."""
    app = _app()
    code = QrCode(link=link, module_px=app.metrics.qr_module)
    row = BoxLayout(size_hint_y=None, height=code.height, spacing=app.metrics.px(24))
    text = BoxLayout(orientation="vertical", size_hint_y=None)
    text.bind(minimum_height=text.setter("height"))
    text.add_widget(small(caption))
    text.add_widget(small(link.removeprefix("tel:")))
    # Large text can make the caption taller than the code; the row grows with it.
    text.bind(height=lambda _box, height: setattr(row, "height", max(code.height, height)))
    row.add_widget(code)
    row.add_widget(text)
    return row


def risk_card(colour: str, label_text: Text, criteria: Text, advice: Text,
              criteria_title: Text, advice_title: Text) -> Card:
    """Build a risk level card: badge and label in the level's colour, then criteria and advice."""
    app = _app()
    card = Card(accent_role=f"risk_{colour}")
    row = Factory.RiskRow(size_hint_y=None, height=app.metrics.px(110),
                          spacing=app.metrics.px(24))
    badge = RiskBadge(colour=colour, size_hint_x=None, width=app.metrics.px(110))
    title = heading(label_text, fit_height=False, valign="middle")
    row.add_widget(badge)
    row.add_widget(title)
    card.add_widget(row)
    card.add_widget(small(criteria_title))
    card.add_widget(paragraph(criteria))
    card.add_widget(small(advice_title))
    card.add_widget(paragraph(advice))
    return card
