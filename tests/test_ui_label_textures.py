"""The shared cache of rendered label textures, on its own and in the running kiosk."""

from __future__ import annotations

import pytest
from kivy.properties import ObservableList

from kiosk.ui.widgets.label_textures import LabelTextureCache, texture_key

OPTIONS = {"font_size": 24, "font_name": "a.ttf", "color": [1, 1, 1, 1], "halign": "left", "padding": [0, 4, 0, 4]}


def test_key_same_for_equal_options() -> None:
    again = dict(OPTIONS, color=[1, 1, 1, 1], padding=[0, 4, 0, 4])
    assert texture_key("Hotlines", (500, None), OPTIONS) == texture_key("Hotlines", [500, None], again)


@pytest.mark.parametrize("change", [
    {"font_size": 26},
    {"font_name": "b.ttf"},
    {"color": [0, 0, 0, 1]},
    {"halign": "right"},
    {"padding": [0, 6, 0, 6]},
    {"base_direction": "rtl"},
])
def test_key_differs_for_each_rendering_option(change: dict[str, object]) -> None:
    assert texture_key("Hotlines", (500, None), OPTIONS) != texture_key("Hotlines", (500, None), {**OPTIONS, **change})


def test_key_differs_for_text_and_text_box() -> None:
    key = texture_key("Hotlines", (500, None), OPTIONS)
    assert key != texture_key("Hotline", (500, None), OPTIONS)
    assert key != texture_key("Hotlines", (501, None), OPTIONS)
    assert key != texture_key("Hotlines", None, OPTIONS)


def test_key_ignores_values_from_the_last_render() -> None:
    stale = {**OPTIONS, "text": "old text", "text_size": (90, None), "font_name_r": "/old/font.ttf",
             "space_width": 7}
    assert texture_key("Hotlines", (500, None), stale) == texture_key("Hotlines", (500, None), OPTIONS)


def test_key_accepts_kivy_observable_lists() -> None:
    from kivy.uix.label import Label

    colour = Label(color=(1, 1, 1, 1)).color
    assert isinstance(colour, ObservableList)
    observed = {**OPTIONS, "color": colour}
    key = texture_key("Hotlines", (500, None), observed)
    hash(key)
    assert key == texture_key("Hotlines", (500, None), OPTIONS)


# The cases below render real text, so they need Kivy's window and GL context.


def core_label(text: str, width: int = 600, colour: tuple[float, ...] = (1, 1, 1, 1)):  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=text, font_size=30, color=colour, text_size=(width, None))
    return core


def test_cache_returns_kept_rendering(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    cache = LabelTextureCache()
    first = cache.render(core_label("Travel rules"))
    again = cache.render(core_label("Travel rules"))
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)
    assert first.size_bytes == 4 * 600 * first.core.texture.height
    assert cache.size_bytes == first.size_bytes


def test_cache_renders_each_text_and_colour(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    cache = LabelTextureCache()
    white = cache.render(core_label("Travel rules")).core.texture
    other_text = cache.render(core_label("Hotlines")).core.texture
    black = cache.render(core_label("Travel rules", colour=(0, 0, 0, 1))).core.texture
    assert len({id(white), id(other_text), id(black)}) == 3
    assert cache.misses == 3


def test_cached_label_unchanged_by_source(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    # Kivy fills a label's texture when it is first drawn, from the options
    # the core label has then; the cache's own copy must not follow the source.
    cache = LabelTextureCache()
    source = core_label("Travel rules")
    kept = cache.render(source).core
    source.text = "Hotlines"
    source.options["font_size"] = 60
    assert kept.text == "Travel rules"
    assert kept.options["font_size"] == 30


def entry_budget(count: int) -> int:
    """Return a budget of ``count`` one-line entries of ``core_label``."""
    texture = LabelTextureCache().render(core_label("A")).core.texture
    return count * 4 * texture.width * texture.height


def test_cache_evicts_least_recently_used(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    cache = LabelTextureCache(budget_bytes=entry_budget(2))
    first = cache.render(core_label("A"))
    cache.render(core_label("B"))
    assert cache.render(core_label("A")) is first
    cache.render(core_label("C"))
    assert len(cache) == 2
    assert cache.size_bytes <= cache.budget_bytes
    assert cache.render(core_label("A")) is first
    misses = cache.misses
    cache.render(core_label("B"))
    assert cache.misses == misses + 1


def test_replaced_rendering_kept_newest(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    # A label shows A, then B and C come and go elsewhere until A has left
    # the cache. When the label moves on, A is kept again as the newest entry,
    # so switching back needs no render.
    cache = LabelTextureCache(budget_bytes=entry_budget(2))
    shown = cache.render(core_label("A"))
    cache.render(core_label("B"))
    cache.render(core_label("C"))
    assert len(cache) == 2
    replacement = cache.render(core_label("D"), replacing=shown)
    misses = cache.misses
    assert cache.render(core_label("A"), replacing=replacement) is shown
    assert cache.misses == misses


def test_cache_keeps_newest_entry_over_budget(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    cache = LabelTextureCache(budget_bytes=16)
    cache.render(core_label("A"))
    newest = cache.render(core_label("B"))
    assert len(cache) == 1
    assert cache.render(core_label("B")) is newest


def frame_pixels() -> bytes:
    """Draw the window's frame and return its pixels."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels

    Window.dispatch("on_draw")
    width, height = (int(value) for value in Window.size)
    pixels: bytes = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
    return pixels


def shown_labels(kiosk):  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.text import KioskLabel

    return [widget for widget in kiosk.walk(kiosk.app.root)
            if isinstance(widget, KioskLabel) and widget.plain and widget.get_root_window() is not None]


def switch_language(kiosk, language: str) -> None:  # type: ignore[no-untyped-def]
    from kiosk.i18n.languages import endonym

    kiosk.tap(kiosk.find_by_text(endonym(language)))
    assert kiosk.app.tr.language == language


def test_language_round_trip_reuses_textures(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.label_textures import LABEL_TEXTURES

    labels = [label for label in shown_labels(kiosk_home) if label.keep_texture]
    textures = [label.texture for label in labels]
    chinese = frame_pixels()
    switch_language(kiosk_home, "en")
    misses = LABEL_TEXTURES.misses
    switch_language(kiosk_home, "zh_Hans")
    assert LABEL_TEXTURES.misses == misses
    assert [label.texture for label in labels] == textures
    assert frame_pixels() == chinese


def test_cached_language_draws_same_frame(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.label_textures import LABEL_TEXTURES

    switch_language(kiosk_home, "ar")
    first = frame_pixels()
    switch_language(kiosk_home, "zh_Hans")
    misses = LABEL_TEXTURES.misses
    switch_language(kiosk_home, "ar")
    assert LABEL_TEXTURES.misses == misses
    assert frame_pixels() == first


def test_clock_text_not_kept(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.label_textures import LABEL_TEXTURES

    header = kiosk_home.app.root.ids.header
    clock = next(label for label in shown_labels(kiosk_home) if label.plain == header.clock_text)
    assert not clock.keep_texture
    kept, misses = len(LABEL_TEXTURES), LABEL_TEXTURES.misses
    original = header.clock_text
    try:
        header.clock_text = "23:59"
        kiosk_home.frames(2)
        assert clock.texture_size[0] > 0
        assert (len(LABEL_TEXTURES), LABEL_TEXTURES.misses) == (kept, misses)
    finally:
        header.clock_text = original
        kiosk_home.frames(2)
