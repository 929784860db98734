"""Header, banners and footer around every screen."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout


class Header(BoxLayout):  # type: ignore[misc]
    """Site name, clock, date and the language bar."""

    site_name = StringProperty("")
    """Name of this site in the current language."""

    clock_text = StringProperty("")
    """Hours and minutes now, formatted for the current language."""

    date_text = StringProperty("")
    """Today's date with the weekday, formatted for the current language."""


class TapArea(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """An area that reacts to taps but does not look like a button (the staff gesture)."""


class Banners(BoxLayout):  # type: ignore[misc]
    """Warnings that apply to every screen: sample content, out-of-date content."""

    sample = BooleanProperty(False)
    """True while the shipped sample content is on screen."""

    out_of_date = BooleanProperty(False)
    """True when content is past its expiry or the last sync is too old."""


class Footer(BoxLayout):  # type: ignore[misc]
    """Issuer, content version and update time, and the disclaimer."""

    issuer = StringProperty("")
    """Issuer of the content, in the current language."""

    version_text = StringProperty("")
    """Content version and update time, translated."""
