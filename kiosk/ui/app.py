"""The Kivy application: wires content, translator, screens, idle reset and sync together."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.content.model import Bundle, Notice
from kiosk.i18n.formatting import format_clock, format_long_date, format_timestamp
from kiosk.i18n.languages import resolve_text
from kiosk.ui.idle import IdleWatcher
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.state import ContentState
from kiosk.ui.theme import DEFAULT_PALETTE, Metrics
from kiosk.ui.translator import Translator

logger = logging.getLogger(__name__)

UI_DIR = Path(__file__).resolve().parent

#: Screen names and their classes, in kv load order.
SCREENS = ("home", "rules", "symptoms", "risk", "hotlines", "notices", "notice")


class KioskRoot(BoxLayout):  # type: ignore[misc]
    """Header, banners, the screen manager and the footer."""


def load_kv_files() -> None:
    """Register the widget classes and load every kv file once, before the root is built."""
    # Importing a module registers its widget classes with Kivy's Factory,
    # which kv rules look them up in.
    import kiosk.ui.chrome
    import kiosk.ui.widgets.common
    import kiosk.ui.widgets.text  # noqa: F401

    Builder.load_file(str(UI_DIR / "widgets" / "widgets.kv"))
    Builder.load_file(str(UI_DIR / "chrome.kv"))
    for name in SCREENS:
        Builder.load_file(str(UI_DIR / "screens" / f"{name}.kv"))


def _screen_classes() -> dict[str, type[KioskScreen]]:
    from kiosk.ui.screens.home import HomeScreen
    from kiosk.ui.screens.hotlines import HotlinesScreen
    from kiosk.ui.screens.notice import NoticeScreen
    from kiosk.ui.screens.notices import NoticesScreen
    from kiosk.ui.screens.risk import RiskScreen
    from kiosk.ui.screens.rules import RulesScreen
    from kiosk.ui.screens.symptoms import SymptomsScreen
    return {"home": HomeScreen, "rules": RulesScreen, "symptoms": SymptomsScreen,
            "risk": RiskScreen, "hotlines": HotlinesScreen, "notices": NoticesScreen,
            "notice": NoticeScreen}


class KioskApp(App):  # type: ignore[misc]
    """The passenger kiosk. It only wires parts together; each part lives in its own module."""

    palette = ObjectProperty(DEFAULT_PALETTE, rebind=True)
    """Colours of the current theme."""

    def __init__(self, config: KioskConfig, bundle: Bundle, zone: tzinfo,
                 now: Callable[[], datetime], on_ready: Callable[[KioskApp], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = "Passenger information"
        self.kiosk_config = config
        self.zone = zone
        self.metrics = Metrics.for_display(config.display, config.touch_target_mm)
        self.tr = Translator(config.default_language)
        self.state = ContentState(bundle, config.site_id, now, language=config.default_language)
        self.tr.bind(language=self.state.setter("language"))
        self.idle = IdleWatcher(config.idle_timeout_s, self.reset_to_home, clock=monotonic)
        self._on_ready = on_ready
        self._last_minute: tuple[int, int] | None = None

    # -- building -------------------------------------------------------

    def build(self) -> KioskRoot:
        load_kv_files()
        root = KioskRoot()
        manager: ScreenManager = root.ids.screens
        manager.transition = NoTransition()
        for name, screen_class in _screen_classes().items():
            manager.add_widget(screen_class(name=name))

        languages = root.ids.header.ids.languages
        languages.current = self.tr.language
        languages.languages = list(self.kiosk_config.languages)
        languages.bind(on_language_selected=lambda _bar, language: self.switch_language(language))
        self.tr.bind(language=languages.setter("current"))

        self.tr.bind(language=self._update_chrome)
        self.state.bind(selection=self._update_chrome)
        Window.bind(on_touch_down=self.idle.touched, on_request_close=self._refuse_close,
                    on_keyboard=self._swallow_keys)
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(self.idle.check, 1.0)
        return root

    def on_start(self) -> None:
        self._update_chrome()
        manager = self.root.ids.screens
        manager.current_screen.rebuild()
        logger.info("Kiosk %s started: site %r, content version %s", __version__,
                    self.kiosk_config.site_id, self.state.bundle.version)
        if self._on_ready is not None:
            # Two frames later the first screen is fully laid out and drawn.
            Clock.schedule_once(lambda _dt: self._on_ready(self), 0.3)  # type: ignore[misc]

    # -- lockdown -------------------------------------------------------

    def open_settings(self, *_args: Any) -> bool:
        """Never open Kivy's settings panel (F1) on a public kiosk."""
        return False

    def _refuse_close(self, *_args: Any, **_kwargs: Any) -> bool:
        logger.info("Window close requested and refused")
        return True

    def _swallow_keys(self, _window: Any, key: int, *_args: Any) -> bool:
        # Escape (27) would leave the app; F1 (282) opens settings; others are ignored too.
        return key in (27, 282)

    # -- navigation -----------------------------------------------------

    @property
    def screens(self) -> ScreenManager:
        manager: ScreenManager = self.root.ids.screens
        return manager

    def show(self, name: str) -> None:
        self.screens.current = name

    def go_home(self) -> None:
        self.show("home")

    def open_notice(self, notice_id: str) -> None:
        self.screens.get_screen("notice").notice_id = notice_id
        self.show("notice")

    def switch_language(self, language: str) -> None:
        if language not in self.kiosk_config.languages:
            logger.warning("Language %s is not enabled on this kiosk", language)
            return
        self.tr.language = language

    def reset_to_home(self) -> None:
        """Forget everything a passenger did: home screen, default language, no state."""
        for screen in self.screens.screens:
            screen.reset()
        self.tr.language = self.kiosk_config.default_language
        self.go_home()

    # -- text helpers shared by screens ---------------------------------

    def notice_heading(self, notice: Notice) -> str:
        title = resolve_text(notice.title, self.tr.language, self.state.bundle.default_language).text
        if notice.severity.name == "URGENT":
            return self.tr._("Urgent: {title}").format(title=title)
        return title

    # -- periodic -------------------------------------------------------

    def _tick(self, *_args: Any) -> None:
        now = self.state.now()
        minute = (now.hour, now.minute)
        if minute != self._last_minute:
            self._last_minute = minute
            self.state.refresh()
            self._update_clock(now)

    def _update_clock(self, now: datetime) -> None:
        header = self.root.ids.header
        header.clock_text = format_clock(now, self.tr.language, self.zone)
        header.date_text = format_long_date(now, self.tr.language, self.zone)

    def _update_chrome(self, *_args: Any) -> None:
        selection = self.state.selection
        bundle = self.state.bundle
        language = self.tr.language
        root = self.root
        if root is None or selection is None:
            return
        header = root.ids.header
        if selection.site is not None:
            header.site_name = resolve_text(selection.site.name, language,
                                            bundle.default_language).text
        else:
            header.site_name = self.tr._("Passenger information")
        self._update_clock(self.state.now())
        root.ids.banners.sample = bundle.sample
        root.ids.banners.out_of_date = selection.stale
        footer = root.ids.footer
        footer.issuer = resolve_text(bundle.issuer, language, bundle.default_language).text
        footer.version_text = self.tr._("Content version {version}, updated {time}").format(
            version=bundle.version, time=format_timestamp(bundle.published_at, language, self.zone))
