"""The kiosk in a real window: every screen, every language, markup escaping and idle reset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.content.model import Notice, Severity
from kiosk.i18n.catalogs import load_catalog
from kiosk.i18n.formatting import format_clock, format_long_date
from kiosk.i18n.languages import KIOSK_LANGUAGES, endonym

pytestmark = pytest.mark.ui

TILES = {
    "rules": "Travel rules",
    "symptoms": "Symptoms",
    "risk": "Risk levels",
    "hotlines": "Hotlines",
    "notices": "Notices",
}


def translated(language: str, message: str) -> str:
    return load_catalog(language).gettext(message)


def test_home_shows_chrome_in_default_language(kiosk_home):
    texts = kiosk_home.visible_texts()
    zone = kiosk_home.app.zone
    now = kiosk_home.clock.now()

    assert kiosk_home.current == "home"
    assert format_long_date(now, "zh_Hans", zone) in texts
    assert format_clock(now, "zh_Hans", zone) in texts
    assert "示例机场 T1 航站楼" in "".join(texts)
    assert translated("zh_Hans", "Sample content: not official information") in texts
    for message in TILES.values():
        assert translated("zh_Hans", message) in texts


def test_home_shows_urgent_notice(kiosk_home):
    selection = kiosk_home.app.state.selection
    urgent = selection.urgent_notices
    assert urgent, "the default bundle has an urgent notice in force"
    title = urgent[0].title["zh_Hans"]
    heading = translated("zh_Hans", "Urgent: {title}").format(title=title)
    assert heading in kiosk_home.visible_texts()


@pytest.mark.parametrize("screen", sorted(TILES))
def test_tile_opens_screen_and_back_returns_home(kiosk_home, screen):
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", TILES[screen])))
    assert kiosk_home.current == screen
    texts = kiosk_home.visible_texts()
    assert translated("zh_Hans", TILES[screen]) in texts

    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Home")))
    assert kiosk_home.current == "home"


def test_screens_show_selected_content(kiosk_home):
    app = kiosk_home.app
    selection = app.state.selection
    expected = {
        "rules": [rule.title["zh_Hans"] for rule in selection.travel_rules],
        "symptoms": [item.title["zh_Hans"] for item in selection.symptoms],
        "risk": [level.label["zh_Hans"] for level in selection.risk_levels],
        "hotlines": [line.number for line in selection.hotlines],
    }
    for screen, needles in expected.items():
        assert needles, f"the default bundle selects nothing for {screen}"
        app.show(screen)
        kiosk_home.frames()
        joined = "\n".join(kiosk_home.visible_texts())
        for needle in needles:
            assert needle in joined, f"{needle!r} missing on {screen}"


def test_notice_list_opens_detail(kiosk_home):
    app = kiosk_home.app
    app.show("notices")
    kiosk_home.frames()
    notice = app.state.selection.notices[-1]
    title = notice.title["zh_Hans"]
    heading = title
    if notice.severity is Severity.URGENT:
        heading = translated("zh_Hans", "Urgent: {title}").format(title=title)
    kiosk_home.tap(kiosk_home.find_by_text(heading))

    assert kiosk_home.current == "notice"
    texts = "\n".join(kiosk_home.visible_texts())
    assert title in texts
    assert notice.body["zh_Hans"] in texts
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Back")))
    assert kiosk_home.current == "notices"


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_language_button_switches_every_visible_text(kiosk_home, language):
    kiosk_home.app.show("hotlines")
    kiosk_home.frames()
    kiosk_home.tap(kiosk_home.find_by_text(endonym(language)))

    assert kiosk_home.app.tr.language == language
    texts = kiosk_home.visible_texts()
    zone = kiosk_home.app.zone
    assert format_long_date(kiosk_home.clock.now(), language, zone) in texts
    for message in ("Hotlines", "Home", "For reference only. Follow the instructions of staff on site.",
                    "Sample content: not official information"):
        assert translated(language, message) in texts, (language, message)
    hotline = kiosk_home.app.state.selection.hotlines[0]
    assert any(hotline.name.get(language, "\0") in text for text in texts), language


def test_language_switch_sets_font_and_direction(kiosk_home):
    from kiosk.i18n.fonts import font_for
    from kiosk.ui.widgets.text import KioskLabel

    for language in KIOSK_LANGUAGES:
        kiosk_home.app.switch_language(language)
        kiosk_home.frames()
        labels = [w for w in kiosk_home.walk(kiosk_home.app.root.ids.screens.current_screen)
                  if isinstance(w, KioskLabel)]
        assert labels
        for label in labels:
            assert label.font_name in {str(font_for(language)), str(font_for(language, bold=True))}
            assert label.rtl is (language == "ar")
            assert label.halign in ({"right", "center"} if language == "ar" else {"left", "center"})


def test_bold_labels_use_bold_file_without_synthetic_bold(kiosk_home):
    from kiosk.i18n.fonts import font_for
    from kiosk.ui.widgets.text import KioskLabel

    for language in KIOSK_LANGUAGES:
        kiosk_home.app.switch_language(language)
        kiosk_home.frames()
        labels = [w for w in kiosk_home.walk(kiosk_home.app.root) if isinstance(w, KioskLabel)]
        bold = [label for label in labels if label.weight == "bold"]
        assert bold, f"no bold label on the home screen in {language}"
        for label in bold:
            assert label.font_name == str(font_for(label.language or language, bold=True))
        # Kivy's own flag would make SDL_ttf embolden a bold file a second time.
        assert not [label.plain for label in labels if label.bold]


def test_markup_in_content_renders_literally(kiosk_home):
    from kivy.utils import escape_markup

    from kiosk.ui.widgets.text import KioskLabel

    hostile = "[color=ff0000]red[/color] [size=400]big [ref=x]link[/ref] [b]bold[/b] ["
    notice = Notice(id="hostile", title={"zh_Hans": hostile, "en": hostile},
                    body={"zh_Hans": hostile}, severity=Severity.INFO, issuer={"zh_Hans": "测试"})
    app = kiosk_home.app
    app.state.set_feed_notices((notice,))
    try:
        app.open_notice("hostile")
        kiosk_home.frames()
        labels = [w for w in kiosk_home.walk(app.root.ids.screens.current_screen)
                  if isinstance(w, KioskLabel) and w.plain == hostile]
        assert len(labels) == 2
        escaped = KioskLabel(plain=hostile, markup=True)
        assert escaped.text == escape_markup(hostile)
        assert escaped.refs == {}
        plain_label = KioskLabel(plain="red big link bold")
        kiosk_home.frames()
        for label in labels:
            assert label.markup is False
            assert label.text == hostile
            assert label.refs == {}
            # [size=400] would make the texture far taller than one line.
            assert label.texture_size[1] < plain_label.texture_size[1] * 3
    finally:
        app.state.set_feed_notices(())


def test_idle_reset_returns_home_in_default_language(kiosk_home):
    app = kiosk_home.app
    kiosk_home.tap(kiosk_home.find_by_text(endonym("en")))
    kiosk_home.tap(kiosk_home.find_by_text(translated("en", "Hotlines")))
    assert (kiosk_home.current, app.tr.language) == ("hotlines", "en")

    kiosk_home.clock.advance(app.kiosk_config.idle_timeout_s - 1)
    app.idle.check()
    kiosk_home.frames()
    assert (kiosk_home.current, app.tr.language) == ("hotlines", "en")

    kiosk_home.clock.advance(2)
    app.idle.check()
    kiosk_home.frames()
    assert kiosk_home.current == "home"
    assert app.tr.language == "zh_Hans"
    assert translated("zh_Hans", "Travel rules") in kiosk_home.visible_texts()


def test_wall_clock_step_does_not_trigger_idle_reset(kiosk_home):
    app = kiosk_home.app
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Hotlines")))
    kiosk_home.clock.wall += timedelta(hours=8)
    app.idle.check()
    assert kiosk_home.current == "hotlines"
    kiosk_home.clock.wall -= timedelta(hours=8)


def test_touch_targets_at_least_configured_size(kiosk_home):
    from kivy.uix.behaviors import ButtonBehavior

    app = kiosk_home.app
    minimum = app.metrics.mm(app.kiosk_config.touch_target_mm)
    for screen in ("home", *TILES, "notice"):
        if screen == "notice":
            app.open_notice(app.state.selection.notices[0].id)
        else:
            app.show(screen)
        kiosk_home.frames()
        buttons = [w for w in kiosk_home.walk(app.root) if isinstance(w, ButtonBehavior)
                   and w.get_root_window() is not None]
        assert buttons, screen
        for button in buttons:
            assert button.width >= minimum, (screen, button, button.size)
            assert button.height >= minimum, (screen, button, button.size)


def test_language_switches_do_not_leak_bindings(kiosk_home):
    app = kiosk_home.app
    for language in KIOSK_LANGUAGES:
        app.switch_language(language)
        kiosk_home.frames(1)
    baseline = app.tr.observer_count
    for _ in range(5):
        for screen in ("rules", "notices", "risk"):
            app.show(screen)
            for language in KIOSK_LANGUAGES:
                app.switch_language(language)
                kiosk_home.frames(1)
    assert app.tr.observer_count == baseline


def test_rebuilt_labels_leave_no_theme_bindings(kiosk_home):
    import gc

    from kiosk.content.model import RiskColour
    from kiosk.ui.widgets.text import _LIVE_LABELS

    app = kiosk_home.app
    app.show_self_check_result(RiskColour.GREEN)
    kiosk_home.frames(1)
    gc.collect()
    palette_observers = len(app.get_property_observers("palette"))
    metrics_observers = len(app.get_property_observers("metrics"))
    labels = len(_LIVE_LABELS)
    for colour in [*RiskColour] * 5:
        app.show_self_check_result(colour)
        kiosk_home.frames(1)
    app.show_self_check_result(RiskColour.GREEN)
    kiosk_home.frames(1)
    gc.collect()

    assert len(app.get_property_observers("palette")) == palette_observers
    assert len(app.get_property_observers("metrics")) == metrics_observers
    assert len(_LIVE_LABELS) == labels


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_screenshots_show_header_colour(kiosk_home, language):
    from PIL import Image

    app = kiosk_home.app
    app.switch_language(language)
    home = kiosk_home.screenshot(f"home-{language}")
    app.open_notice(app.state.selection.notices[0].id)
    detail = kiosk_home.screenshot(f"notice-{language}")
    for path in (home, detail):
        with Image.open(path) as image:
            assert image.size == (1080, 1920)
            red, green, blue = image.convert("RGB").getpixel((5, 5))
            assert (red, green, blue) == (0x0B, 0x3D, 0x6E), path
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
            assert len(colours) > 50, f"{path} looks blank"


def test_large_text_and_high_contrast_toggle_and_reset(kiosk_home):
    from kiosk.ui.theme import DEFAULT_PALETTE, HIGH_CONTRAST_PALETTE, hex_colour
    from kiosk.ui.widgets.text import KioskLabel

    app = kiosk_home.app
    app.show("hotlines")
    kiosk_home.frames()

    def body_sizes() -> set[float]:
        return {w.font_size for w in kiosk_home.walk(app.root.ids.screens.current_screen)
                if isinstance(w, KioskLabel) and w.size_role == "body"}

    normal = body_sizes()
    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "Large text")))
    assert app.large_text is True
    larger = body_sizes()
    assert min(larger) > max(normal)

    kiosk_home.tap(kiosk_home.find_by_text(translated("zh_Hans", "High contrast")))
    assert app.palette is HIGH_CONTRAST_PALETTE
    label = next(w for w in kiosk_home.walk(app.root.ids.screens.current_screen)
                 if isinstance(w, KioskLabel) and w.tone == "text")
    assert tuple(label.color) == hex_colour(HIGH_CONTRAST_PALETTE.text)
    kiosk_home.screenshot("hotlines-large-contrast-zh_Hans")

    kiosk_home.clock.advance(app.kiosk_config.idle_timeout_s + 1)
    app.idle.check()
    kiosk_home.frames()
    assert app.large_text is False
    assert app.palette is DEFAULT_PALETTE
    app.show("hotlines")
    kiosk_home.frames()
    assert body_sizes() == normal


def test_attract_loop_after_idle_cycles_languages(kiosk_home):
    app = kiosk_home.app
    screen = app.root.ids.screens.get_screen("attract")
    kiosk_home.clock.advance(2 * app.kiosk_config.idle_timeout_s + 1)
    app._tick()
    kiosk_home.frames()
    assert kiosk_home.current == "attract"
    urgent = app.state.selection.urgent_notices[0]
    assert screen.ids.headline.plain == urgent.title["zh_Hans"]
    assert screen.ids.invite.plain == translated("zh_Hans", "Touch the screen to start")

    screen._advance(0)
    kiosk_home.frames()
    assert screen.ids.invite.plain == translated("en", "Touch the screen to start")
    assert screen.ids.invite.font_name.endswith("NotoSans-Regular.ttf")
    for _ in range(5):
        screen._advance(0)
    kiosk_home.frames()
    assert screen.ids.invite.plain == translated("ar", "Touch the screen to start")
    assert screen.ids.invite.rtl is True
    kiosk_home.screenshot("attract-ar")

    # The touch that ends the loop only ends it: it does not open a tile.
    kiosk_home.tap(screen.ids.invite)
    assert kiosk_home.current == "home"
    assert app.tr.language == "zh_Hans"


def test_lockdown_keys_and_close_are_ignored(kiosk_home):
    from kivy.core.window import Window

    app = kiosk_home.app
    for key in (27, 282):  # Escape, F1
        assert Window.dispatch("on_keyboard", key, 0, "", []) is True
    assert Window.dispatch("on_request_close") is True
    kiosk_home.frames()
    assert app.open_settings() is False
    assert kiosk_home.current == "home"
    assert app.root.get_root_window() is Window


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_tile_text_stays_inside_tiles(kiosk_home, language):
    from kiosk.ui.widgets.common import Tile
    from kiosk.ui.widgets.text import KioskLabel

    app = kiosk_home.app
    app.switch_language(language)
    for large in (False, True):
        app.large_text = large
        kiosk_home.frames(4)
        tiles = [w for w in kiosk_home.walk(app.root.ids.screens.current_screen)
                 if isinstance(w, Tile)]
        assert len(tiles) == 6
        for tile in tiles:
            for label in (c for c in tile.children if isinstance(c, KioskLabel)):
                assert label.top <= tile.top + 1, (language, large, label.plain)
                assert label.y >= tile.y - 1, (language, large, label.plain)
    app.large_text = False


def test_scroll_clip_follows_moving_screen(kiosk_home):
    from kiosk.ui.widgets.common import ClippedScrollView

    app = kiosk_home.app
    app.show("hotlines")
    kiosk_home.frames()
    view = next(w for w in kiosk_home.walk(app.root.ids.screens.current_screen)
                if isinstance(w, ClippedScrollView))

    def window_rect() -> list[int]:
        x, y = view.to_window(*view.pos)
        return [round(x), round(y), round(view.width), round(view.height)]

    assert list(view.clip_rect) == window_rect()
    # A banner appearing above moves the whole screen down in the window.
    before = window_rect()
    app.root.ids.banners.out_of_date = True
    kiosk_home.frames(3)
    try:
        assert window_rect() != before
        assert list(view.clip_rect) == window_rect()
    finally:
        app.root.ids.banners.out_of_date = False
        kiosk_home.frames()


def test_scroll_clip_follows_moved_parent(kiosk_home):
    from kivy.core.window import Window
    from kivy.uix.relativelayout import RelativeLayout

    from kiosk.ui.widgets.common import ClippedScrollView

    holder = RelativeLayout(size_hint=(None, None), size=(400, 300), pos=(10, 20))
    view = ClippedScrollView()
    holder.add_widget(view)
    Window.add_widget(holder)
    try:
        kiosk_home.frames(2)
        assert list(view.clip_rect) == [10, 20, 400, 300]
        holder.pos = (110, 220)  # moved, not resized
        kiosk_home.frames(2)
        assert list(view.clip_rect) == [110, 220, 400, 300]
    finally:
        Window.remove_widget(holder)


@pytest.mark.parametrize(("needs", "free", "expected"), [
    ([180.0, 180.0, 180.0], 900.0, [300.0, 300.0, 300.0]),
    ([180.0, 180.0, 420.0], 900.0, [240.0, 240.0, 420.0]),
    ([500.0, 180.0, 180.0], 700.0, [500.0, 180.0, 180.0]),
    ([], 900.0, []),
])
def test_share_rows_grows_only_rows_that_need_it(needs, free, expected):
    from kiosk.ui.screens.home import share_rows

    assert share_rows(needs, free) == expected


def test_every_home_tile_starts_on_screen_in_arabic(kiosk_home):
    from kiosk.ui.widgets.common import Tile

    kiosk_home.app.switch_language("ar")
    kiosk_home.frames(5)
    home = kiosk_home.app.root.ids.screens.get_screen("home")
    view = home.children[0]
    bottom = view.to_window(*view.pos)[1]
    tiles = [widget for widget in kiosk_home.walk(home) if isinstance(widget, Tile)]

    assert len(tiles) == 6
    for tile in tiles:
        title = tile.children[-1]
        assert title.to_window(title.x, title.y)[1] >= bottom, title.plain
