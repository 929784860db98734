"""Rendered label textures kept for reuse, so that a language switch draws text it has drawn before at once.

A language switch changes the text, font and direction of every visible label.
Kivy then lays out each text again (one measurement per word) and renders it
into a new texture with SDL_ttf, which for the home screen in Arabic costs
about as much as drawing the frame. Labels that show the same text with the
same options draw the same pixels. So the textures are kept here, keyed by
text and rendering options. A label whose key is cached takes the texture
without measuring or rendering anything.

Each cached texture belongs to a core label of its own whose options never
change. So its laid-out lines keep describing the texture, and the texture's
delayed render, and any render again after the GL context is rebuilt, draw
the text of the key.

A wrapped label's texture is as wide as the label. Only the columns that
hold text are drawn (``text_columns``), which about halves the label pixels
that llvmpipe blends on the home screen. The texture stays whole in memory.

Textures are kept by least recent use within a byte budget. A texture still
shown by a label stays alive through that label after it leaves the cache.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

from kivy.core.text import Label as CoreLabel
from kivy.graphics.texture import Texture

#: Bytes of RGBA texture data kept for reuse. In a 1080 by 1920 window the
#: home screen's labels take about 4 MB in each language (28 MB for all seven,
#: measured with the default content), and this leaves room for the list
#: screens visited last.
DEFAULT_BUDGET_BYTES = 40 * 1024 * 1024

#: Core label options left out of the key. Kivy writes these during a render,
#: so on a label waiting for its next render they describe the previous one.
#: They are the text and text box, which the key takes from the core label's
#: ``text`` and ``usersize`` instead, the font file resolved from
#: ``font_name``, and the width of a space in that font.
_DERIVED_OPTIONS = frozenset({"text", "text_size", "font_name_r", "space_width"})

#: Core label options that only markup labels read. Markup labels do not use
#: the cache, and Kivy stores this one as an unhashable ObservableDict.
_MARKUP_OPTIONS = frozenset({"ellipsis_options"})

_UNKEYED_OPTIONS = _DERIVED_OPTIONS | _MARKUP_OPTIONS


def texture_key(text: str, text_size: Any, options: Mapping[str, Any]) -> Hashable:
    """Return the cache key of a core label's rendering of ``text``.

    Option values are numbers, strings, None, or flat lists (Kivy's
    ObservableList among them) and tuples of those, such as colours and
    padding. The options keep the order in which Kivy inserted them, which is
    the same for every label built the same way. A label whose options come in
    another order only misses the cache.
    """
    items = tuple((name, tuple(value) if isinstance(value, list) else value)
                  for name, value in options.items() if name not in _UNKEYED_OPTIONS)
    return (text, tuple(text_size) if text_size is not None else None, items)


#: Pixels kept on each side of the text when a texture is cut to its text,
#: as a fraction of the font size, for glyphs that reach past their advance
#: width (italic overhangs, Arabic swashes).
OVERHANG_EM = 0.15


class RenderedText(NamedTuple):
    """A kept rendering of one text."""

    key: Hashable
    core: CoreLabel
    """Core label whose texture contains the rendered text box; shared, never changed."""
    size_bytes: int
    """Bytes of the core label's texture."""
    texture: Texture
    """The columns of the core label's texture that contain text: the part to draw."""
    offset_x: int
    """Column of ``texture`` in the core label's texture."""


def text_columns(core: CoreLabel) -> tuple[int, int]:
    """Return the first column and the column after the last that contain text in ``core``'s texture.

    A wrapped label's texture is as wide as the label, and a short text
    leaves most of it transparent, which a software renderer still blends
    into every frame. The columns follow Kivy's placement of each laid-out
    line (``LabelBase.render_lines`` in Kivy 2.3) for left, centre and right
    alignment. Other alignments keep the whole width.
    """
    texture = core.texture
    width = texture.width
    options = core.options
    halign = options["halign"]
    lines = [line for line in getattr(core, "_cached_lines", ()) if line.words]
    if halign not in {"left", "center", "right"} or not lines:
        return 0, width
    padding_left, padding_right = options["padding"][0], options["padding"][2]
    spans = []
    for line in lines:
        if halign == "center":
            centred = int((width - line.w + padding_left - padding_right) / 2)
            x = min(int(width - line.w), max(int(padding_left), centred))
        elif halign == "right":
            x = max(0, int(width - line.w - padding_right))
        else:
            x = int(padding_left)
        spans.append((x, x + line.w))
    margin = math.ceil(options["font_size"] * OVERHANG_EM)
    return max(0, min(left for left, _ in spans) - margin), min(width, max(right for _, right in spans) + margin)


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


class LabelTextureCache:
    """Core labels with rendered textures, by text and options, within a byte budget.

    An entry counts as used when a label takes it and again when the label
    moves on to another text, so the texture that a label showed last is the
    newest entry: a passenger who switches back finds it.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.size_bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, RenderedText] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def render(self, source: CoreLabel, replacing: RenderedText | None = None) -> RenderedText:
        """Return a rendering of what ``source`` would render, from the cache or new.

        ``replacing`` is the rendering the label showed until now.
        """
        if replacing is not None:
            self._keep(replacing)
        key = texture_key(source.text, source.usersize, source.options)
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            self._keep(entry)
            return entry
        self.misses += 1
        core = CoreLabel()
        # Copies of the lists too: the widget may change its colour or
        # padding list in place before the delayed render reads it.
        core.options = {name: _copied(value) for name, value in source.options.items()}
        core.text = source.text
        core.usersize = _copied(source.usersize)
        core.refresh()
        entry = self._cut_to_text(key, core)
        self._keep(entry)
        return entry

    @staticmethod
    def _cut_to_text(key: Hashable, core: CoreLabel) -> RenderedText:
        box = core.texture
        if box.width <= 1 or box.height <= 1:
            # Kivy's shared one-pixel texture for text that renders as nothing.
            return RenderedText(key, core, 0, box, 0)
        # The text is laid out by now and rendered when first drawn. Binding
        # a region renders its owner (Kivy 2.3).
        left, right = text_columns(core)
        drawn = box if (left, right) == (0, box.width) else box.get_region(left, 0, right - left, box.height)
        return RenderedText(key, core, 4 * box.width * box.height, drawn, left)

    def _keep(self, entry: RenderedText) -> None:
        """Make ``entry`` the most recently used one, adding it if it is not kept."""
        if entry.key in self._entries:
            self._entries.move_to_end(entry.key)
            return
        self._entries[entry.key] = entry
        self.size_bytes += entry.size_bytes
        # The newest entry stays even when it alone is over the budget: a
        # label is showing it.
        while self.size_bytes > self.budget_bytes and len(self._entries) > 1:
            _key, evicted = self._entries.popitem(last=False)
            self.size_bytes -= evicted.size_bytes


#: The kiosk's one cache, shared by every kiosk label.
LABEL_TEXTURES = LabelTextureCache()
