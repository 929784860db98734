"""The shared cache of rendered label textures, on its own and in the running kiosk.

Kivy is imported inside the tests, after the shared kiosk has configured it:
a Kivy label made before the kiosk's window changes how that window is set up.
"""

from __future__ import annotations

from typing import Any

import pytest

OPTIONS = {"font_size": 24, "font_name": "a.ttf", "color": [1, 1, 1, 1], "halign": "left", "padding": [0, 4, 0, 4]}


@pytest.fixture
def textures() -> Any:
    """The label texture module, imported once the test needs it."""
    from kiosk.ui.widgets import label_textures

    return label_textures


def test_key_same_for_equal_options(textures: Any) -> None:
    again = dict(OPTIONS, color=[1, 1, 1, 1], padding=[0, 4, 0, 4])
    key = textures.texture_key("Hotlines", (500, None), OPTIONS)
    assert key == textures.texture_key("Hotlines", [500, None], again)


@pytest.mark.parametrize("change", [
    {"font_size": 26},
    {"font_name": "b.ttf"},
    {"color": [0, 0, 0, 1]},
    {"halign": "right"},
    {"padding": [0, 6, 0, 6]},
    {"base_direction": "rtl"},
])
def test_key_differs_for_each_rendering_option(change: dict[str, object], textures: Any) -> None:
    key = textures.texture_key("Hotlines", (500, None), OPTIONS)
    assert key != textures.texture_key("Hotlines", (500, None), {**OPTIONS, **change})


def test_key_differs_for_text_and_text_box(textures: Any) -> None:
    key = textures.texture_key("Hotlines", (500, None), OPTIONS)
    assert key != textures.texture_key("Hotline", (500, None), OPTIONS)
    assert key != textures.texture_key("Hotlines", (501, None), OPTIONS)
    assert key != textures.texture_key("Hotlines", None, OPTIONS)


def test_key_ignores_values_from_the_last_render(textures: Any) -> None:
    stale = {**OPTIONS, "text": "old text", "text_size": (90, None), "font_name_r": "/old/font.ttf",
             "space_width": 7}
    key = textures.texture_key("Hotlines", (500, None), stale)
    assert key == textures.texture_key("Hotlines", (500, None), OPTIONS)


def test_key_accepts_kivy_observable_lists(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    from kivy.properties import ObservableList
    from kivy.uix.label import Label

    colour = Label(color=(1, 1, 1, 1)).color
    assert isinstance(colour, ObservableList)
    observed = {**OPTIONS, "color": colour}
    key = textures.texture_key("Hotlines", (500, None), observed)
    hash(key)
    assert key == textures.texture_key("Hotlines", (500, None), OPTIONS)


# The cases below render real text, so they need Kivy's window and GL context.


def core_label(text: str, width: int = 600, colour: tuple[float, ...] = (1, 1, 1, 1)):  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=text, font_size=30, color=colour, text_size=(width, None))
    return core


def test_cache_returns_kept_rendering(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    cache = textures.LabelTextureCache()
    first = cache.render(core_label("Travel rules"))
    again = cache.render(core_label("Travel rules"))
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)
    assert first.size_bytes == 4 * 600 * first.core.texture.height
    assert cache.size_bytes == first.size_bytes


def test_cache_renders_each_text_and_colour(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    cache = textures.LabelTextureCache()
    white = cache.render(core_label("Travel rules")).core.texture
    other_text = cache.render(core_label("Hotlines")).core.texture
    black = cache.render(core_label("Travel rules", colour=(0, 0, 0, 1))).core.texture
    assert len({id(white), id(other_text), id(black)}) == 3
    assert cache.misses == 3


def test_cached_label_unchanged_by_source(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    # Kivy fills a label's texture when it is first drawn, from the options
    # the core label has then. So the cache's own copy must not follow the source.
    cache = textures.LabelTextureCache()
    source = core_label("Travel rules")
    kept = cache.render(source).core
    source.text = "Hotlines"
    source.options["font_size"] = 60
    assert kept.text == "Travel rules"
    assert kept.options["font_size"] == 30


def test_cached_label_unchanged_by_list_edit(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    # A colour list changed in place before the first draw must not reach
    # the kept rendering, whose key is for white text.
    from kivy.core.text import Label as CoreLabel

    cache = textures.LabelTextureCache()
    source = CoreLabel(text="Travel rules", font_size=30, color=[1, 1, 1, 1], text_size=[600, None])
    kept = cache.render(source).core
    source.options["color"][1] = 0
    source.usersize[0] = 300
    assert list(kept.options["color"]) == [1, 1, 1, 1]
    assert kept.usersize[0] == 600


def test_key_ignores_markup_only_options(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.text import KioskLabel

    label = KioskLabel(plain="Travel rules")
    label.ellipsis_options = {"color": (1, 0, 0, 1)}
    label.texture_update()
    assert label.texture_size[0] > 0


def test_keep_texture_change_renders_again(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.label_textures import LABEL_TEXTURES
    from kiosk.ui.widgets.text import KioskLabel

    label = KioskLabel(plain="Kept, then not kept")
    kiosk_home.app.root.ids.footer.add_widget(label)
    try:
        kiosk_home.frames(2)
        kept = label.texture
        assert label.rendering is not label._label
        label.keep_texture = False
        kiosk_home.frames(2)
        assert label.texture is not kept
        assert label.rendering is label._label
        misses = LABEL_TEXTURES.misses
        label.keep_texture = True
        kiosk_home.frames(2)
        assert LABEL_TEXTURES.misses == misses
        assert label.texture is kept
    finally:
        kiosk_home.app.root.ids.footer.remove_widget(label)


def entry_budget(textures: Any, count: int) -> int:
    """Return a budget of ``count`` one-line entries of ``core_label``."""
    texture = textures.LabelTextureCache().render(core_label("A")).core.texture
    return count * 4 * texture.width * texture.height


def test_cache_evicts_least_recently_used(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    cache = textures.LabelTextureCache(budget_bytes=entry_budget(textures, 2))
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


def test_replaced_rendering_kept_newest(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    # A label shows A, then B and C come and go elsewhere until A has left
    # the cache. When the label moves on, A is kept again as the newest entry,
    # so switching back needs no render.
    cache = textures.LabelTextureCache(budget_bytes=entry_budget(textures, 2))
    shown = cache.render(core_label("A"))
    cache.render(core_label("B"))
    cache.render(core_label("C"))
    assert len(cache) == 2
    replacement = cache.render(core_label("D"), replacing=shown)
    misses = cache.misses
    assert cache.render(core_label("A"), replacing=replacement) is shown
    assert cache.misses == misses


def test_cache_keeps_newest_entry_over_budget(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    cache = textures.LabelTextureCache(budget_bytes=16)
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


@pytest.mark.parametrize(("halign", "expected_side"), [("left", "left"), ("center", "middle"), ("right", "right")])
def test_text_columns_follow_alignment(kiosk_home, textures, halign: str, expected_side: str) -> None:  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text="Hotlines", font_size=30, halign=halign, text_size=(600, None))
    core.refresh()
    left, right = textures.text_columns(core)
    assert 0 < right - left < 300
    if expected_side == "left":
        assert left == 0
    elif expected_side == "right":
        assert right == 600
    else:
        assert abs(left - (600 - right)) <= 2


def test_text_columns_cover_widest_line(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text="Hotlines\nNumbers to call for help at any hour", font_size=30, halign="left",
                     text_size=(900, None))
    core.refresh()
    widest = max(line.w for line in core._cached_lines)
    left, right = textures.text_columns(core)
    assert left == 0
    assert right >= widest


def test_text_columns_keep_justified_text_whole(kiosk_home, textures) -> None:  # type: ignore[no-untyped-def]
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text="Hotlines", font_size=30, halign="justify", text_size=(600, None))
    core.refresh()
    assert textures.text_columns(core) == (0, 600)


@pytest.mark.parametrize("language", ["zh_Hans", "en", "zh_Hant", "ja", "ko", "ru", "ar"])
def test_drawn_part_holds_all_text(kiosk_home, language: str) -> None:  # type: ignore[no-untyped-def]
    # Every pixel that a rendered text box covers lies in the part that is
    # drawn, on each label of the home screen.
    from PIL import Image

    kiosk_home.app.switch_language(language)
    kiosk_home.frames(3)
    checked = 0
    for label in shown_labels(kiosk_home):
        box = label.rendering.texture
        if box.width <= 1 or box.height <= 1:
            continue
        left = label.texture_pos[0] - int(label.center_x - box.width / 2)
        right = left + label.texture_size[0]
        alpha = Image.frombytes("RGBA", box.size, box.pixels).getchannel("A")
        inked = alpha.getbbox()
        assert inked is not None, label.plain
        assert left <= inked[0], (label.plain, left, inked)
        assert inked[2] <= right, (label.plain, right, inked)
        checked += 1
    assert checked >= 20
