"""The Kivy application: wires content, translator, screens, idle reset and sync together."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.graphics import ClearBuffers, ClearColor, Color, Fbo, Rectangle, Scale, Translate
from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.content.model import Bundle, Notice, RiskColour
from kiosk.i18n.fonts import font_for
from kiosk.i18n.formatting import format_clock, format_long_date, format_timestamp
from kiosk.i18n.languages import resolve_text
from kiosk.remote_settings import RemoteSettings
from kiosk.sync.views import ViewCounter
from kiosk.ui.idle import IdleWatcher
from kiosk.ui.input_wake import install_input_wake
from kiosk.ui.maintenance import PinGate, SecretGesture
from kiosk.ui.memory import freeze_loaded_objects, release_free_memory
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.state import ContentState
from kiosk.ui.theme import DEFAULT_PALETTE, HIGH_CONTRAST_PALETTE, Metrics, hex_colour
from kiosk.ui.translator import Translator
from kiosk.ui.watchdog import SystemdNotifier
from kiosk.ui.widgets.common import InstantTransition, KioskScreenManager

logger = logging.getLogger(__name__)

UI_DIR = Path(__file__).resolve().parent

#: Screens of the staff; an alert never takes over while staff work on them.
STAFF_SCREENS = frozenset({"pin", "maintenance"})
#: Screens never captured for the console: a passenger's self-check, and staff screens.
PRIVATE_SCREENS = frozenset({"selfcheck", "selfcheck_result", *STAFF_SCREENS})
#: Maximum wait of the sync thread for a screenshot from the UI thread, in seconds.
SCREENSHOT_TIMEOUT_S = 5.0
#: Font size factor of the large-text mode.
LARGE_TEXT_SCALE = 1.35


class SyncWorkerLike(Protocol):
    """Interface of the background sync worker, as the app uses it."""

    def start(self) -> None: ...

    def stop(self) -> object: ...

    def sync_now(self) -> None: ...


class KioskRoot(BoxLayout):  # type: ignore[misc]
    """Header, banners, the screen manager and the footer."""


def load_kv_files() -> None:
    """Register the widget classes and load the shared kv files once, before the root is built.

    Each screen's own kv file is loaded by :func:`build_screen`.
    """
    # Importing a module registers its widget classes with Kivy's Factory,
    # which kv rules look them up in.
    import kiosk.ui.chrome
    import kiosk.ui.widgets.common
    import kiosk.ui.widgets.text  # noqa: F401

    Builder.load_file(str(UI_DIR / "widgets" / "widgets.kv"))
    Builder.load_file(str(UI_DIR / "chrome.kv"))


def build_screen(name: str, screen_class: type[KioskScreen]) -> KioskScreen:
    """Load the kv rules of screen ``name`` if not loaded yet, then build the screen."""
    path = str(UI_DIR / "screens" / f"{name}.kv")
    if path not in Builder.files:
        Builder.load_file(path)
    return screen_class(name=name)


def window_png(scale: float) -> bytes:
    """Draw the window's frame and return it as a PNG, scaled by ``scale``; call on the UI thread.

    The frame is read back from the window instead of drawing the widgets
    into an offscreen buffer as ``Widget.export_as_image`` does. The kiosk
    clips its lists and screens with scissor rectangles in window
    coordinates, and those land elsewhere in a smaller, flipped buffer.
    """
    width, height = (int(value) for value in Window.size)
    Window.dispatch("on_draw")
    pixels = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
    frame = Texture.create(size=(width, height), colorfmt="rgba")
    frame.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
    out_width, out_height = max(1, round(width * scale)), max(1, round(height * scale))
    # The same transform as export_as_image, so that the PNG is upright.
    fbo = Fbo(size=(out_width, out_height))
    with fbo:
        ClearColor(0, 0, 0, 1)
        ClearBuffers()
        Scale(1, -1, 1)
        Scale(scale, scale, 1)
        Translate(0, -height, 0)
        Color(1, 1, 1, 1)
        Rectangle(texture=frame, pos=(0, 0), size=(width, height))
    fbo.draw()
    buffer = io.BytesIO()
    CoreImage(fbo.texture).save(buffer, fmt="png")
    return buffer.getvalue()


def _screen_classes() -> dict[str, type[KioskScreen]]:
    from kiosk.ui.screens.attract import AttractScreen
    from kiosk.ui.screens.home import HomeScreen
    from kiosk.ui.screens.hotlines import HotlinesScreen
    from kiosk.ui.screens.maintenance import MaintenanceScreen
    from kiosk.ui.screens.notice import NoticeScreen
    from kiosk.ui.screens.notices import NoticesScreen
    from kiosk.ui.screens.pin import PinScreen
    from kiosk.ui.screens.risk import RiskScreen
    from kiosk.ui.screens.rules import RulesScreen
    from kiosk.ui.screens.selfcheck import SelfCheckScreen
    from kiosk.ui.screens.selfcheck_result import SelfCheckResultScreen
    from kiosk.ui.screens.symptoms import SymptomsScreen
    from kiosk.ui.screens.takeover import TakeoverScreen
    return {"home": HomeScreen, "rules": RulesScreen, "symptoms": SymptomsScreen,
            "risk": RiskScreen, "hotlines": HotlinesScreen, "notices": NoticesScreen,
            "notice": NoticeScreen, "selfcheck": SelfCheckScreen,
            "selfcheck_result": SelfCheckResultScreen, "takeover": TakeoverScreen, "pin": PinScreen,
            "maintenance": MaintenanceScreen, "attract": AttractScreen}


#: Frame rate limit while the kiosk is idle. Input from the X server wakes the
#: loop at once. For input providers with their own threads (mtdev, hidinput),
#: this rate bounds the delay of the first tap.
IDLE_MAX_FPS = 15.0
#: Seconds without a touch before the frame rate drops to IDLE_MAX_FPS.
SLOW_FRAMES_AFTER_S = 10.0
#: Screens that the kiosk builds and draws in advance while idle, one at a time.
PREPARED_SCREENS = ("home", "rules", "symptoms", "risk", "hotlines", "notices")
#: Seconds between two screens prepared in advance; each takes one or two frames.
PREPARE_EVERY_S = 0.25
#: Maximum passes over one hidden screen. A pass redraws what the previous one resized.
MAX_PREPARE_PASSES = 3
#: Seconds after start-up before the objects loaded so far are frozen. It comes
#: before PREPARE_AFTER_IDLE_S, so that no hidden screen's cards are frozen.
FREEZE_AFTER_S = 0.5
#: Seconds without a touch before screens are prepared, so that preparing
#: seldom delays a passenger's tap.
PREPARE_AFTER_IDLE_S = 1.0


class KioskApp(App):  # type: ignore[misc]
    """The passenger kiosk. It only wires parts together; each part lives in its own module."""

    palette = ObjectProperty(DEFAULT_PALETTE, rebind=True)
    """Colours of the current theme."""

    metrics = ObjectProperty(None)
    """Pixel sizes for the screen, with the large-text factor in force."""

    large_text = BooleanProperty(False)
    """True while the large-text mode is on; reset on idle."""

    high_contrast = BooleanProperty(False)
    """True while the high-contrast theme is on; reset on idle."""

    def __init__(self, config: KioskConfig, bundle: Bundle, zone: tzinfo,
                 now: Callable[[], datetime], on_ready: Callable[[KioskApp], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = "Passenger information"
        self.kiosk_config = config
        self.zone = zone
        self._base_metrics = Metrics.for_display(config.display, config.touch_target_mm,
                                                 config.qr_module_mm)
        self.metrics = self._base_metrics
        self.tr = Translator(config.default_language)
        self.state = ContentState(bundle, config.site_id, now)
        self.idle = IdleWatcher(config.idle_timeout_s, self.reset_to_home, clock=monotonic)
        self.pin_gate = PinGate(config.maintenance_pin_hash, clock=monotonic)
        self._gesture = SecretGesture(clock=monotonic)
        self._dismissed_alerts: set[str] = set()
        self.worker: SyncWorkerLike | None = None
        # Counts views per screen and language for the fleet view; no person is recorded.
        self.view_counter = ViewCounter()
        self.notifier = SystemdNotifier()
        self._on_ready = on_ready
        self._last_minute: tuple[int, int] | None = None

    # -- building -------------------------------------------------------

    def build(self) -> KioskRoot:
        load_kv_files()
        # The window's clear colour is the page background: a full-window
        # rectangle would cost a whole extra pass over every pixel per frame.
        self.bind(palette=self._apply_background)
        self._apply_background()
        root = KioskRoot()
        manager: KioskScreenManager = root.ids.screens
        manager.transition = InstantTransition()
        # Only the home screen is built before the first frame; the others are
        # built while the kiosk waits for its first passenger, or when needed.
        for name, screen_class in _screen_classes().items():
            manager.register(name, partial(build_screen, name, screen_class))
        manager.current = "home"

        languages = root.ids.header.ids.languages
        languages.current = self.tr.language
        languages.languages = list(self.kiosk_config.languages)
        languages.bind(on_language_selected=lambda _bar, language: self.switch_language(language))
        self.tr.bind(language=languages.setter("current"))

        self.tr.bind(language=self._update_chrome)
        self._unprepared: list[str] = []
        self._prepare_passes = 0
        self.tr.bind(language=self._schedule_preparation)
        self.state.bind(selection=self._schedule_preparation)
        Clock.schedule_interval(self._prepare_next_screen, PREPARE_EVERY_S)
        Clock.schedule_once(self._schedule_preparation, 0)
        manager.bind(current=self._count_view)
        self.tr.bind(language=self._count_view)
        self.state.bind(selection=self._update_chrome, sync_status=self._update_chrome)
        self.state.bind(selection=self._check_takeover)
        Window.bind(on_touch_down=self.idle.touched, on_request_close=self._refuse_close,
                    on_keyboard=self._swallow_keys)
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(self.idle.check, 1.0)
        self._full_fps = Clock._max_fps
        Clock.schedule_interval(self._pace_frames, 1.0)
        Window.bind(on_touch_down=self.wake_frames)
        install_input_wake(Clock, Window)
        return root

    def _pace_frames(self, *_args: Any) -> None:
        """Lower the frame rate after SLOW_FRAMES_AFTER_S without a touch.

        Kivy wakes up for every frame at its full rate even when nothing
        changes, which cost about 1.6 % of a core on a 2-core test machine.
        See IDLE_MAX_FPS for what the lower rate delays.
        """
        if self.idle.idle_for() >= SLOW_FRAMES_AFTER_S:
            # NOTE: Kivy reads this attribute before every frame but offers no
            # public setter for it (checked against Kivy 2.3).
            Clock._max_fps = min(IDLE_MAX_FPS, self._full_fps)

    def wake_frames(self, *_args: Any) -> None:
        """Return to the full frame rate, from the first touch on."""
        Clock._max_fps = self._full_fps

    def _schedule_preparation(self, *_args: Any) -> None:
        if self.root is not None:
            self._unprepared = list(PREPARED_SCREENS)
            self._prepare_passes = 0

    def _prepare_next_screen(self, _dt: float) -> None:
        """Build and render one hidden screen while the kiosk is idle.

        A tile then opens its screen in one frame instead of building cards and
        drawing every label first. The attract loop switches language every few
        seconds, so hidden screens wait until the attract loop ends. Once the
        passenger screens are ready, the other screens are built, one per call.
        """
        if self.screens.current == "attract" or self.idle.idle_for() < PREPARE_AFTER_IDLE_S:
            return
        if not self._unprepared:
            self.screens.build_next()
            return
        if self._unprepared[0] in self.screens.unbuilt:
            # Building a screen and drawing it are separate passes, because each
            # takes up to about 70 ms on a 2-core test machine.
            self.screens.get_screen(self._unprepared[0])
            return
        screen = self.screens.get_screen(self._unprepared[0])
        self._prepare_passes += 1
        changed = screen is not self.screens.current_screen and screen.prepare()
        if not changed or self._prepare_passes >= MAX_PREPARE_PASSES:
            self._unprepared.pop(0)
            self._prepare_passes = 0

    def attach_worker(self, worker: SyncWorkerLike) -> None:
        """Use ``worker`` for background sync; it is started with the app and stopped with it."""
        self.worker = worker

    def deliver_sync(self, notices: tuple[Notice, ...], status: Any) -> None:
        """Take a sync result from the worker thread onto the UI thread."""
        def apply(_dt: float) -> None:
            self.state.sync_status = status
            self.state.set_feed_notices(notices)
        Clock.schedule_once(apply, 0)

    def deliver_bundle(self, bundle: Bundle) -> None:
        """Take a newly verified bundle from the worker thread onto the UI thread."""
        def apply(_dt: float) -> None:
            if bundle.version != self.state.bundle.version or bundle.sample != self.state.bundle.sample:
                logger.info("Showing content version %d", bundle.version)
                self.state.bundle = bundle
        Clock.schedule_once(apply, 0)

    def deliver_settings(self, settings: RemoteSettings) -> None:
        """Take verified remote settings from the worker thread onto the UI thread."""
        Clock.schedule_once(lambda _dt: self.apply_settings(settings), 0)

    def apply_settings(self, settings: RemoteSettings) -> None:
        """Apply settings edited in the console: site, languages, idle timeout, PIN."""
        config = replace(self.kiosk_config, site_id=settings.site_id,
                         languages=settings.languages,
                         default_language=settings.default_language,
                         idle_timeout_s=settings.idle_timeout_s,
                         maintenance_pin_hash=settings.maintenance_pin_hash)
        if config == self.kiosk_config:
            return
        logger.info("Applying remote settings: site %r, languages %s, default %s",
                    settings.site_id, ",".join(settings.languages), settings.default_language)
        self.kiosk_config = config
        self.idle.timeout_s = config.idle_timeout_s
        self.pin_gate = PinGate(config.maintenance_pin_hash)
        self.state.set_site(config.site_id)
        if self.root is not None:
            self.root.ids.header.ids.languages.languages = list(config.languages)
        if self.tr.language not in config.languages:
            self.tr.language = config.default_language
        self._update_chrome()

    def on_start(self) -> None:
        # Once the first screen is up, what start-up loaded is kept out of
        # the garbage collector's full passes.
        Clock.schedule_once(lambda _dt: freeze_loaded_objects(), FREEZE_AFTER_S)
        self._update_chrome()
        manager = self.root.ids.screens
        manager.current_screen.rebuild()
        self._check_takeover()
        if self.worker is not None:
            self.worker.start()
        logger.info("Kiosk %s started: site %r, content version %s", __version__,
                    self.kiosk_config.site_id, self.state.bundle.version)
        if self.notifier.ready() and self.notifier.watchdog_interval_s:
            # Pinged from the UI loop, so a frozen loop stops the pings.
            Clock.schedule_interval(self.notifier.ping, self.notifier.watchdog_interval_s)
        if self._on_ready is not None:
            # Two frames later the first screen is fully laid out and drawn.
            on_ready = self._on_ready
            Clock.schedule_once(lambda _dt: on_ready(self), 0.3)
        self._warm_fonts(list(self.kiosk_config.languages))

    def _warm_fonts(self, languages: list[str]) -> None:
        """Open each language's fonts in its common sizes, one language per frame.

        Kivy opens a font file the first time a label uses it at a size, which
        made the first switch to each language about twice as slow as later
        ones. Doing it while the kiosk waits costs a few milliseconds a frame.
        """
        if not languages:
            return
        language = languages.pop()
        for bold in (False, True):
            for role in ("body", "small", "title", "tile"):
                CoreLabel(text="0", font_name=str(font_for(language, bold=bold)),
                          font_size=self.metrics.font(role)).refresh()
        Clock.schedule_once(lambda _dt: self._warm_fonts(languages), 0.1)

    def on_stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def _count_view(self, *_args: Any) -> None:
        screen = self.screens.current
        if screen not in STAFF_SCREENS:
            self.view_counter.record(screen, self.tr.language)

    def capture_screenshot(self) -> bytes | None:
        """Return a half-size PNG of the screen, or None on private screens; call from the sync thread.

        The capture itself runs on the UI thread, which owns the OpenGL context.
        """
        done = threading.Event()
        result: list[bytes | None] = [None]

        def capture(_dt: float) -> None:
            try:
                if self.screens.current not in PRIVATE_SCREENS:
                    result[0] = window_png(scale=0.5)
            except Exception:
                logger.exception("Screenshot for the console failed")
            finally:
                done.set()

        Clock.schedule_once(capture, 0)
        if not done.wait(SCREENSHOT_TIMEOUT_S):
            logger.warning("Screenshot for the console timed out after %.0f s", SCREENSHOT_TIMEOUT_S)
        return result[0]

    def _apply_background(self, *_args: Any) -> None:
        Window.clearcolor = hex_colour(self.palette.background)

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
    def screens(self) -> KioskScreenManager:
        manager: KioskScreenManager = self.root.ids.screens
        return manager

    def show(self, name: str) -> None:
        self.screens.current = name

    def go_home(self) -> None:
        self.show("home")

    def start_self_check(self) -> None:
        self.screens.get_screen("selfcheck").start()

    def show_self_check_result(self, colour: RiskColour) -> None:
        self.screens.get_screen("selfcheck_result").show_outcome(colour)
        self.show("selfcheck_result")

    def open_notice(self, notice_id: str) -> None:
        self.screens.get_screen("notice").notice_id = notice_id
        self.show("notice")

    def switch_language(self, language: str) -> None:
        if language not in self.kiosk_config.languages:
            logger.warning("Language %s is not enabled on this kiosk", language)
            return
        self.tr.language = language

    def toggle(self, mode: str) -> None:
        """Switch an accessibility mode, ``large_text`` or ``high_contrast``, on or off."""
        if mode not in {"large_text", "high_contrast"}:
            raise ValueError(f"unknown accessibility mode {mode!r}")
        setattr(self, mode, not getattr(self, mode))

    def on_large_text(self, _instance: Any, large: bool) -> None:
        self.metrics = self._base_metrics.with_text_scale(LARGE_TEXT_SCALE if large else 1.0)

    def on_high_contrast(self, _instance: Any, high: bool) -> None:
        self.palette = HIGH_CONTRAST_PALETTE if high else DEFAULT_PALETTE

    def reset_to_home(self) -> None:
        """Forget everything a passenger did: home screen, default language, no state.

        Large text and high contrast are switched off again. A dismissed
        emergency alert takes over again after the reset.
        """
        for screen in self.screens.screens:
            screen.reset()
        self.large_text = False
        self.high_contrast = False
        self._dismissed_alerts.clear()
        self.tr.language = self.kiosk_config.default_language
        self.go_home()
        self._check_takeover()
        # The kiosk is idle now, so this is a good moment to hand back the
        # memory that the passenger's screens and languages left free.
        Clock.schedule_once(lambda _dt: release_free_memory(), 1.0)

    def dismiss_takeover(self) -> None:
        notice = self.state.selection.takeover_notice if self.state.selection else None
        if notice is not None:
            self._dismissed_alerts.add(notice.id)
        self.go_home()

    def _check_takeover(self, *_args: Any) -> None:
        if self.root is None or self.state.selection is None:
            return
        notice = self.state.selection.takeover_notice
        current = self.screens.current
        if notice is None or notice.id in self._dismissed_alerts:
            if current == "takeover":
                self.go_home()
            return
        if current not in STAFF_SCREENS:
            self.show("takeover")

    def clock_tapped(self) -> None:
        """Count taps on the header clock; the staff gesture opens the PIN pad."""
        if self._gesture.tapped() and self.pin_gate.enabled:
            self.show("pin")

    def sync_now(self) -> None:
        if self.worker is not None:
            self.worker.sync_now()

    def _check_attract(self) -> None:
        # After the idle reset, the home screen waits as long again before the
        # attract loop starts, so a passenger reading it is not interrupted.
        attract_after = 2 * self.kiosk_config.idle_timeout_s
        if self.screens.current == "home" and self.idle.idle_for() >= attract_after:
            self.show("attract")

    def _sync_is_stale(self) -> bool:
        status = self.state.sync_status
        if status is None or not status.sources:
            return False
        return bool(status.stale_sources(self.state.now(), self.kiosk_config.sync.stale_after_s))

    # -- periodic -------------------------------------------------------

    def _tick(self, *_args: Any) -> None:
        self._check_attract()
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
        root.ids.banners.out_of_date = selection.stale or self._sync_is_stale()
        footer = root.ids.footer
        footer.issuer = resolve_text(bundle.issuer, language, bundle.default_language).text
        footer.version_text = self.tr._("Content version {version}, updated {time}").format(
            version=bundle.version, time=format_timestamp(bundle.published_at, language, self.zone))
