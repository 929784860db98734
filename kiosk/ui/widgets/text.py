"""Labels for untrusted, multilingual text.

``KioskLabel.plain`` is the only way screens put content on a label: it is
cleaned of control characters, shaped and wrapped for right-to-left
languages, and wrapped by the Chinese, Japanese and Korean line-breaking rules
where it holds such text (Kivy breaks lines only at spaces). Kiosk labels do not parse Kivy markup, so text such as
``[color=ff0000]`` shows literally; a label switched to markup gets its text
escaped first. Without markup, Kivy also lays text out about a fifth faster.

Font, direction, wrapping and height are managed here in Python rather than in
the kv class rule. An instance rule that set the same property as a class rule
would leave both bindings active, and two rules fighting over a size make
Kivy's layout loop.
"""

from __future__ import annotations

import weakref
from functools import lru_cache, partial
from typing import Any

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel as CoreMarkupLabel
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from kiosk.i18n.fonts import font_for, text_language
from kiosk.i18n.languages import text_direction
from kiosk.i18n.linebreak import has_east_asian_text, layout_ltr
from kiosk.i18n.shaping import clean_text, layout_rtl
from kiosk.ui.theme import hex_colour
from kiosk.ui.widgets.label_textures import LABEL_TEXTURES, RenderedText

#: Text tones and the palette field each one takes its colour from.
TONES = {
    "text": "text",
    "muted": "muted_text",
    "header": "header_text",
    "accent": "accent_text",
    "banner": "banner_text",
    "selected": "selected_text",
    "urgent": "urgent",
    "on_urgent": "urgent_text",
}

_ALIGN = {"start": "left", "center": "center", "end": "right"}
_MIRRORED = {"left": "right", "right": "left", "center": "center"}


#: Every live kiosk label, for theme changes. Kivy drops a dead weak binding
#: only when its property next changes. The palette and the metrics change
#: only on a tap on high contrast or large text, so one binding per label left
#: the bindings of every label ever built on the app.
_LIVE_LABELS: weakref.WeakSet[KioskLabel] = weakref.WeakSet()
_THEMED_APPS: weakref.WeakSet[App] = weakref.WeakSet()


def _follow_theme(app: App, label: KioskLabel) -> None:
    """Recolour and resize ``label`` whenever ``app`` changes its palette or metrics."""
    _LIVE_LABELS.add(label)
    if app not in _THEMED_APPS:
        _THEMED_APPS.add(app)
        app.fbind("palette", _recolour_labels)
        app.fbind("metrics", _resize_labels)


def _recolour_labels(*_args: Any) -> None:
    for label in list(_LIVE_LABELS):
        label._recolour()


def _resize_labels(*_args: Any) -> None:
    for label in list(_LIVE_LABELS):
        label._resize()


@lru_cache(maxsize=4096)
def _text_width(font_name: str, font_size: float, text: str) -> float:
    core = CoreLabel(text=text, font_name=font_name, font_size=font_size)
    width: float = core.get_extents(text)[0]
    return width


@lru_cache(maxsize=1024)
def _wrap_east_asian(text: str, width: float, font_name: str, font_size: float) -> str:
    """Return ``text`` with a newline at each break that the CJK line breaking rules choose.

    A language switch lays out every visible label again, so the result is
    cached per text, width and font.
    """
    return layout_ltr(text, width, partial(_text_width, font_name, font_size))


class KioskLabel(Label):  # type: ignore[misc]
    """A label in the current language's font that wraps and grows with its text."""

    plain = StringProperty("")
    """Unescaped text to show; content and catalog text go here, never into ``text``."""

    weight = OptionProperty("regular", options=["regular", "bold"])
    """Face of the language's font: its regular or its bold file.

    Kivy's own ``bold`` stays False: on a bold file it would make SDL_ttf
    embolden the outlines again and open a second copy of the face.
    """

    language = StringProperty("")
    """Language of the text when it is fixed (the language bar); empty follows the translator."""

    align = OptionProperty("start", options=["start", "center", "end"])
    """Horizontal alignment relative to the reading direction."""

    wrap = BooleanProperty(True)
    """Wrap lines to the label's width; False sizes the texture to the text."""

    fit_height = BooleanProperty(True)
    """Make the label exactly as tall as its text; False leaves height to the layout."""

    rtl = BooleanProperty(False)
    """True while the text is laid out right to left; derived, not set by callers."""

    size_role = OptionProperty("body", options=["body", "small", "title", "tile", "clock", "banner",
                                                       "language"])
    """Font size role in the metrics; the size follows the large-text mode."""

    tone = OptionProperty("text", options=list(TONES))
    """Palette tone of the text; the colour follows theme changes."""

    source = ObjectProperty(None, allownone=True)
    """Callable that returns the text for a language; when set, it fills ``plain``
    on every language switch, so screens need not rebuild their widgets."""

    texture_pos = ListProperty([0, 0])
    """Window position of the drawn texture, which may be only the part of the
    rendered text box that contains text (see ``label_textures``)."""

    keep_texture = BooleanProperty(True)
    """Keep each rendered text for reuse (see ``label_textures``); False for text
    that is seldom shown twice, such as the clock, which would only push out
    textures worth keeping."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        self._dirty = False
        self._forced = True
        self._rendered: RenderedText | None = None
        super().__init__(**kwargs)
        self.fbind("center", self._place_texture)
        self.fbind("texture_size", self._place_texture)
        self.fbind("keep_texture", self._trigger_texture)
        app = App.get_running_app()
        # bind() keeps only a weak reference to a bound method, so labels of
        # rebuilt cards are not kept alive by the translator.
        app.tr.bind(language=self._restyle)
        _follow_theme(app, self)
        self.fbind("tone", self._recolour)
        self.fbind("size_role", self._resize)
        self._recolour()
        self._resize()
        for name in ("weight", "language"):
            self.fbind(name, self._restyle)
        for name in ("plain", "rtl", "width", "font_name", "font_size", "padding", "align", "wrap",
                     "fit_height"):
            self.fbind(name, self._relayout)
        self.fbind("height", self._follow_height)
        self.fbind("texture_size", self._fit)
        self.fbind("fit_height", self._fit)
        self.fbind("source", self._restyle)
        self._restyle()
        self._relayout()
        self._fit()
        self._forced = False

    @property
    def rendering(self) -> CoreLabel:
        """Core label that laid out and rendered the texture on show.

        A shared one from the texture cache, or the label's own when the label
        does not keep its textures.
        """
        return self._rendered.core if self._rendered is not None else self._label

    def texture_update(self, *largs: Any) -> None:
        """Show the rendered text, taking it from the shared texture cache where it was rendered before."""
        core = self._label
        # The cases that Kivy's own texture_update handles apart: markup, and
        # text that renders as nothing.
        blank = not core.text or ((self.halign == "justify" or self.strip) and not core.text.strip())
        if not self.keep_texture or isinstance(core, CoreMarkupLabel) or blank:
            self._rendered = None
            super().texture_update(*largs)
            self._place_texture()
            return
        self._rendered = LABEL_TEXTURES.render(core, self._rendered)
        # A cached texture never changes its pixels, so the same texture
        # object again needs no new canvas instructions.
        self.texture = self._rendered.texture
        self.texture_size = list(self._rendered.texture.size)
        self.is_shortened = self._rendered.core.is_shortened
        self._place_texture()

    def _place_texture(self, *_args: Any) -> None:
        # Where Kivy's own Label rule puts the whole text box, centred on the
        # label, then across to the part that is drawn.
        if self._rendered is not None:
            box = self._rendered.core.texture.size
            offset_x = self._rendered.offset_x
        else:
            box, offset_x = self.texture_size, 0
        self.texture_pos = [int(self.center_x - box[0] / 2) + offset_x, int(self.center_y - box[1] / 2)]

    def _recolour(self, *_args: Any) -> None:
        # Colour lives here rather than in the kv class rule: a kv rule bound to
        # the palette would override a colour passed to the constructor.
        palette = App.get_running_app().palette
        self.color = hex_colour(getattr(palette, TONES[self.tone]))

    def _resize(self, *_args: Any) -> None:
        self.font_size = App.get_running_app().metrics.font(self.size_role)

    def _deferred(self) -> bool:
        """Return True, and remember the work, when the label is not on screen.

        Labels of hidden screens skip reshaping and re-rendering on a language
        switch; their screen calls ``refresh`` before it is shown again.
        """
        if self._forced or self.get_root_window() is not None:
            return False
        self._dirty = True
        return True

    def refresh(self) -> bool:
        """Bring a label that missed changes while hidden up to date; True if it had missed any."""
        if not self._dirty:
            return False
        self._dirty = False
        self._forced = True
        try:
            self._restyle()
            self._relayout()
        finally:
            self._forced = False
        return True

    def _restyle(self, *_args: Any) -> None:
        if self._deferred():
            return
        language = self.language or App.get_running_app().tr.language
        if self.source is not None:
            self.plain = self.source(language)
        self._choose_font(language)

    def _choose_font(self, screen_language: str) -> None:
        # The text decides font and direction: fallback or mixed-script text
        # needs another language's font (see text_language).
        language = text_language(self.plain, screen_language)
        self.font_name = str(font_for(language, bold=self.weight == "bold"))
        self.rtl = text_direction(language) == "rtl"
        # The Arabic font's ascent and descent leave room for stacked marks and
        # make lines half as tall again as Latin ones at the same size.
        self.line_height = 0.8 if self.rtl else 1.0

    def _fit(self, *_args: Any) -> None:
        if self.fit_height:
            self.size_hint_y = None
            self.height = self.texture_size[1]
        elif self.size_hint_y is None:
            self.size_hint_y = 1

    def _follow_height(self, *_args: Any) -> None:
        if self.wrap and not self.fit_height:
            self.text_size = (self.width, self.height)

    def _measure(self, fragment: str) -> float:
        return _text_width(self.font_name, self.font_size, fragment)

    def _relayout(self, *_args: Any) -> None:
        if self._deferred():
            return
        self._choose_font(self.language or App.get_running_app().tr.language)
        text = clean_text(self.plain)
        halign = _ALIGN[self.align]
        available = max(self.width - self.padding[0] - self.padding[2], 1)
        if self.rtl:
            halign = _MIRRORED[halign]
            if self.wrap:
                text = layout_rtl(text, available, self._measure)
            else:
                text = layout_rtl(text, float("inf"), self._measure)
        elif self.wrap and has_east_asian_text(text):
            # Kivy breaks lines only at spaces, so Chinese, Japanese and Korean
            # text gets its breaks here and Kivy keeps lines that already fit.
            text = _wrap_east_asian(text, available, self.font_name, self.font_size)
        self.halign = halign
        if self.wrap:
            # A fixed-height label gets a text box of its full size, so that
            # valign can centre the text; a fitting label only fixes the width.
            self.text_size = (self.width, None if self.fit_height else self.height)
        else:
            self.text_size = (None, None)
        self.text = escape_markup(text) if self.markup else text
