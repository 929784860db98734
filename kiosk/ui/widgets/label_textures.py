"""Rendered label textures kept for reuse, so that a language switch draws text it has drawn before at once.

A language switch changes the text, font and direction of every visible label.
Kivy then lays out each text again (one measurement per word) and renders it
into a new texture with SDL_ttf, which for the home screen in Arabic costs
about as much as drawing the frame. Labels that show the same text with the
same options draw the same pixels. So the textures are kept here, keyed by
text and rendering options. A label whose key is cached takes the texture
without measuring or rendering anything.

Each cached texture belongs to a core label of its own whose options never
change. Kivy renders a label's text lazily, when the texture is first drawn,
from its core label's options at that moment; a dedicated core label keeps
that late render correct however often the widget's own options change in the
meantime.

Textures are kept by least recent use within a byte budget. A texture still
shown by a label stays alive through that label after it leaves the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

from kivy.core.text import Label as CoreLabel

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


def texture_key(text: str, text_size: Any, options: Mapping[str, Any]) -> Hashable:
    """Return the cache key of a core label's rendering of ``text``.

    Option values are numbers, strings, None, or flat lists (Kivy's
    ObservableList among them) and tuples of those, such as colours and
    padding. The options keep the order in which Kivy inserted them, which is
    the same for every label built the same way. A label whose options come in
    another order only misses the cache.
    """
    items = tuple((name, tuple(value) if isinstance(value, list) else value)
                  for name, value in options.items() if name not in _DERIVED_OPTIONS)
    return (text, tuple(text_size) if text_size is not None else None, items)


class RenderedText(NamedTuple):
    """A kept rendering: its cache key, its core label and the bytes of its texture."""

    key: Hashable
    core: CoreLabel
    size_bytes: int


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

        ``replacing`` is the rendering the label showed until now. The
        returned core label is shared and must not be changed. A new one's
        texture is filled when first drawn, as Kivy's own labels are.
        """
        if replacing is not None:
            self._keep(replacing)
        key = texture_key(source.text, source.usersize, source.options)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry
        self.misses += 1
        core = CoreLabel()
        core.options = dict(source.options)
        core.text = source.text
        core.usersize = source.usersize
        core.refresh()
        texture = core.texture
        entry = RenderedText(key, core, 4 * texture.width * texture.height if texture is not None else 0)
        self._keep(entry)
        return entry

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
