"""Tiles, cards, the language bar and the risk colour badge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.graphics import Color, Ellipse, Line, Mesh
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen, ScreenManager, ScreenManagerException, TransitionBase
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.i18n.languages import endonym
from kiosk.ui.theme import hex_colour


class Card(BoxLayout):  # type: ignore[misc]
    """A rounded panel that contains one item of content.

    Colours are palette field names rather than colours, so cards follow a
    switch to the high-contrast theme without being rebuilt.
    """

    background_role = StringProperty("surface")
    """Palette field of the panel's fill."""

    accent_role = StringProperty("")
    """Palette field of the strip along the card's leading edge; empty for none."""


class TapCard(ButtonBehavior, Card):  # type: ignore[misc]
    """A card that a passenger taps to open its item."""


class Tile(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """A large home screen button with a title and a short description."""

    title = StringProperty("")
    """Tile heading, already translated."""

    subtitle = StringProperty("")
    """One line under the heading, already translated."""

    background_role = StringProperty("accent")
    """Palette field of the tile's fill."""

    text_tone = StringProperty("accent")
    """Palette tone of the tile's text (see ``KioskLabel.tone``)."""


class KioskButton(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """A text button at least one touch target tall."""

    label = StringProperty("")
    """Button text, already translated."""

    background_role = StringProperty("accent")
    """Palette field of the button's fill."""

    text_tone = StringProperty("accent")
    """Palette tone of the button text (see ``KioskLabel.tone``)."""


class LanguageButton(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """One language on the language bar, labelled in that language's own script."""

    language = StringProperty("")
    """Language identifier this button switches to."""

    selected = BooleanProperty(False)
    """True for the language on screen now."""

    endonym = StringProperty("")
    """Name of the language in itself, such as 日本語."""

    def on_language(self, _instance: Any, language: str) -> None:
        self.endonym = endonym(language)


class LanguageBar(BoxLayout):  # type: ignore[misc]
    """A row of buttons, one per enabled language; emits ``on_language_selected``."""

    __events__ = ("on_language_selected",)

    languages = ListProperty()
    """Language identifiers in display order."""

    current = StringProperty("")
    """Language on screen now, highlighted."""

    def on_languages(self, _instance: Any, languages: list[str]) -> None:
        self.clear_widgets()
        for language in languages:
            button = LanguageButton(language=language, selected=language == self.current)
            button.bind(on_release=self._pressed)
            self.add_widget(button)

    def on_current(self, _instance: Any, current: str) -> None:
        for button in self.children:
            button.selected = button.language == current

    def _pressed(self, button: LanguageButton) -> None:
        self.dispatch("on_language_selected", button.language)

    def on_language_selected(self, language: str) -> None:
        """Default handler; the app binds its own."""


class RiskBadge(Widget):  # type: ignore[misc]
    """A colour swatch with a shape per level, so colour is never the only cue.

    Green is a circle with a tick, yellow a triangle and orange a diamond, both
    with an exclamation mark, and red a square with a cross.
    """

    colour = StringProperty("green")
    """Risk colour name: green, yellow, orange or red; fill and mark come from the palette."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("pos", "size", "colour"):
            self.fbind(name, self._redraw)
        # bind() holds the method weakly, so a dropped badge is not kept alive.
        App.get_running_app().bind(palette=self._redraw)
        self._redraw()

    def _redraw(self, *_args: Any) -> None:
        palette = App.get_running_app().palette
        fill = hex_colour(getattr(palette, f"risk_{self.colour}"))
        mark = hex_colour(getattr(palette, f"risk_{self.colour}_text"))
        x, y = self.pos
        side = min(self.size)
        cx, cy = x + self.width / 2, y + self.height / 2
        r = side / 2
        outline = {
            "yellow": [(cx, cy + r), (cx - r, cy - r * 0.8), (cx + r, cy - r * 0.8)],
            "orange": [(cx, cy + r), (cx - r, cy), (cx, cy - r), (cx + r, cy)],
            "red": [(cx - r * 0.85, cy - r * 0.85), (cx + r * 0.85, cy - r * 0.85),
                    (cx + r * 0.85, cy + r * 0.85), (cx - r * 0.85, cy + r * 0.85)],
        }.get(self.colour)
        self.canvas.clear()
        with self.canvas:
            Color(rgba=fill)
            if outline is None:
                Ellipse(pos=(cx - r, cy - r), size=(side, side))
            else:
                vertices = [value for px, py in outline for value in (px, py, 0, 0)]
                Mesh(vertices=vertices, indices=list(range(len(outline))), mode="triangle_fan")
            Color(rgba=mark)
            width = max(side * 0.07, 1.5)
            if self.colour == "green":
                Line(points=[cx - r * 0.45, cy, cx - r * 0.1, cy - r * 0.35, cx + r * 0.5, cy + r * 0.35],
                     width=width, cap="round", joint="round")
            elif self.colour == "red":
                Line(points=[cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45], width=width)
                Line(points=[cx - r * 0.45, cy + r * 0.45, cx + r * 0.45, cy - r * 0.45], width=width)
            else:
                top = cy + r * (0.35 if self.colour == "yellow" else 0.45)
                Line(points=[cx, top, cx, cy - r * 0.2], width=width, cap="round")
                Ellipse(pos=(cx - width, cy - r * 0.45 - width), size=(width * 2, width * 2))


def window_rect(widget: Widget) -> list[int]:
    """Return ``widget``'s area in whole window pixels: x, y, width, height, as a scissor takes it."""
    x, y = widget.to_window(*widget.pos)
    return [round(x), round(y), round(widget.width), round(widget.height)]


class ClippedScrollView(ScrollView):  # type: ignore[misc]
    """A ScrollView that clips with the scissor test instead of the stencil buffer.

    Kivy's ScrollView is a StencilView, which draws its whole area twice more
    into the stencil buffer every frame. With software OpenGL (Mesa llvmpipe)
    that costs more than the rest of a list screen; a scissor rectangle costs
    nothing per pixel. Its kv rule replaces ScrollView's own, so it draws its
    scroll bar itself: in one colour while the list overflows. Kivy fades the
    bar for half a second after every scroll or content change, and each
    step of that fade redraws the whole window.
    """

    clip_rect = ListProperty([0, 0, 0, 0])
    """The visible area in window coordinates: x, y, width, height."""

    def __init__(self, **kwargs: Any) -> None:
        self._watched: list[tuple[Any, str, int]] = []
        super().__init__(**kwargs)
        self.fbind("pos", self._update_clip)
        self.fbind("size", self._update_clip)
        self.fbind("parent", self._watch_ancestors)

    def _watch_ancestors(self, *_args: Any) -> None:
        # The clip is in window coordinates, so it must follow every ancestor
        # that moves or is re-parented (a Screen leaves its manager when hidden),
        # not only this widget's own position inside its RelativeLayout.
        for widget, name, uid in self._watched:
            widget.unbind_uid(name, uid)
        self._watched = []
        node = self.parent
        while node is not None and node is not node.parent:
            for name, callback in (("pos", self._update_clip), ("parent", self._watch_ancestors)):
                self._watched.append((node, name, node.fbind(name, callback)))
            node = node.parent
        self._update_clip()

    def _update_clip(self, *_args: Any) -> None:
        self.clip_rect = window_rect(self)


class InstantTransition(TransitionBase):  # type: ignore[misc]
    """Switch screens between two frames, with no frame that shows both.

    Kivy's NoTransition runs a zero-length animation, which ends on the next
    clock tick: the frame drawn in between holds the new screen not yet in
    place and the old one not yet removed, and a second full frame follows.
    This one swaps the screens at once, so a tap costs one frame.
    """

    duration = NumericProperty(0.0)

    def start(self, manager: Any) -> None:
        if self.is_active:
            raise ScreenManagerException("start() is called twice!")
        self.manager = manager
        screen_in, screen_out = self.screen_in, self.screen_out
        screen_out.dispatch("on_pre_leave")
        self.remove_screen(screen_out)
        screen_in.pos = manager.pos
        screen_in.size = manager.size
        self.add_screen(screen_in)
        screen_in.transition_progress = 1.0
        screen_out.transition_progress = 0.0
        # Labels re-render on entering only once they are in the window.
        screen_in.dispatch("on_pre_enter")
        screen_in.dispatch("on_enter")
        screen_out.dispatch("on_leave")

    def stop(self) -> None:
        self.is_active = False


class ScrollingList(BoxLayout):  # type: ignore[misc]
    """A vertical list inside a scroll view; screens add cards to ``container``."""

    container = ObjectProperty(None, allownone=True)
    """The BoxLayout that contains the list items."""

    spacing_px = NumericProperty(16)
    """Gap between items, in pixels."""


class MirroredRow(BoxLayout):  # type: ignore[misc]
    """A horizontal row whose children run right to left for RTL languages."""

    rtl = BooleanProperty(False)
    """True to lay the children out from the right."""

    def on_rtl(self, _instance: Any, rtl: bool) -> None:
        # BoxLayout lays children out from the end of its list, so reversing
        # the list mirrors the row without rebuilding it.
        children: list[Any] = list(self.children)  # type: ignore[has-type]
        self.children = children[::-1]

    def add_widget(self, widget: Any, index: int = 0, canvas: str | None = None) -> None:
        # A child added while the row is mirrored goes to the left end, so
        # children are always added in reading order.
        if self.rtl and index == 0:
            index = len(self.children)
        super().add_widget(widget, index=index, canvas=canvas)


class TopBar(MirroredRow):
    """Title of a screen with a button back; emits ``on_back``."""

    __events__ = ("on_back",)

    title = StringProperty("")
    """Screen title, already translated."""

    back_label = StringProperty("")
    """Text of the back button, already translated."""

    def on_back(self) -> None:
        """Default handler; screens bind their own."""


class KioskScreenManager(ScreenManager):  # type: ignore[misc]
    """A ScreenManager that builds each screen the first time it is needed.

    Building every screen at start-up parsed all their kv rules and created
    every widget before the first frame. Here a screen is registered with a
    factory and built when it is first shown or looked up, or earlier by
    :meth:`build_next` while the kiosk is idle.

    Its kv rule replaces ScreenManager's, which clips with the stencil buffer:
    screens are always exactly the manager's size, and a scissor rectangle
    keeps anything that overflows from drawing over the header and footer
    without a pass over every pixel.
    """

    clip_rect = ListProperty([0, 0, 0, 0])
    """The manager's area in window coordinates: x, y, width, height."""

    def __init__(self, **kwargs: Any) -> None:
        self._factories: dict[str, Callable[[], Screen]] = {}
        super().__init__(**kwargs)
        self.fbind("pos", self._update_clip)
        self.fbind("size", self._update_clip)
        self.fbind("size", self._size_screens)

    def register(self, name: str, factory: Callable[[], Screen]) -> None:
        """Build the screen ``name`` with ``factory`` when it is first needed."""
        if name in self._factories or super().has_screen(name):
            raise ScreenManagerException(f"A screen named {name!r} is already registered.")
        self._factories[name] = factory

    @property
    def unbuilt(self) -> list[str]:
        """Names of registered screens not built yet, in registration order."""
        return list(self._factories)

    def build_next(self) -> str | None:
        """Build the first registered screen not built yet; return its name, or None."""
        if not self._factories:
            return None
        name = next(iter(self._factories))
        self.get_screen(name)
        return name

    def get_screen(self, name: str) -> Screen:
        factory = self._factories.get(name)
        if factory is not None:
            # A factory that raises stays registered, so the next request tries again.
            screen = factory()
            if screen.name != name:
                raise ScreenManagerException(f"The factory of {name!r} built a screen named {screen.name!r}.")
            del self._factories[name]
            # Hidden screens keep the manager's size, so that their layouts
            # settle before they are shown.
            screen.size = self.size
            self.add_widget(screen)
        return super().get_screen(name)

    def has_screen(self, name: str) -> bool:
        return name in self._factories or bool(super().has_screen(name))

    def _size_screens(self, *_args: Any) -> None:
        for screen in self.screens:
            screen.size = self.size

    def _update_clip(self, *_args: Any) -> None:
        self.clip_rect = window_rect(self)
