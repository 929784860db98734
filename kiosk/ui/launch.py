"""Start the Kivy kiosk: configure Kivy for kiosk use, load content, run the app.

Kivy reads its configuration when ``kivy.core.window`` is first imported, so
everything here runs before that import.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk.config import KioskConfig
from kiosk.content.model import Bundle
from kiosk.ui.memory import map_large_blocks

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

logger = logging.getLogger(__name__)


def configure_kivy(config: KioskConfig, windowed: bool = False) -> None:
    """Set Kivy's environment and configuration for an unattended public kiosk.

    ``windowed`` opens a normal window of the configured size (for screenshots,
    tests and development) instead of a fullscreen one.
    """
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # Kivy's own log mode replaces sys.stderr with a stream into its logger,
    # which loses tracebacks unless a handler happens to be set up. In Python
    # mode Kivy's messages go through the standard logging configuration.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    # Logs go to standard error and from there to journald; a read-only or
    # small data partition gets no Kivy log files.
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # SDL would turn SIGTERM into a window-close request, which the kiosk
    # refuses; run() handles SIGTERM itself so that systemctl stop works.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    # By default SDL 2 ignores a click that gives its window the input focus,
    # as a desktop does for the click that raises a window. On X11 that also
    # dropped taps that came just after a focus change. On a kiosk such a
    # click is a passenger's tap, so it must count.
    os.environ.setdefault("SDL_MOUSE_FOCUS_CLICKTHROUGH", "1")
    # Kivy writes its own config and logs under KIVY_HOME; keep them in the
    # kiosk's data folder so a read-only home works.
    kivy_home = config.data_dir / "kivy"
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    # The kiosk draws no image files: its QR codes are textures it fills
    # itself, and SDL2 saves screenshots. Leaving out Kivy's other image
    # providers skips importing Pillow (and NumPy where installed) at start.
    os.environ.setdefault("KIVY_IMAGE", "sdl2")
    map_large_blocks()

    from kivy.config import Config

    display = config.display
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_enable", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("graphics", "width", str(display.width_px))
    Config.set("graphics", "height", str(display.height_px))
    Config.set("graphics", "resizable", "0")
    fullscreen = display.fullscreen and not windowed
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "1" if display.show_cursor or windowed else "0")
    Config.set("graphics", "multisamples", "0")
    # Kivy keeps a tapped button drawn as pressed for 35 ms after the finger
    # lifts. Every kiosk button acts at once, so that only redrew the whole
    # window one more time after each tap.
    Config.set("graphics", "min_state_time", "0")

    # Exactly the configured input providers. Kivy's defaults add a mouse
    # provider next to mtdev/hidinput, so one finger on a touch panel that
    # also drives the X pointer arrives twice.
    if Config.has_section("input"):
        Config.remove_section("input")
    Config.add_section("input")
    for index, spec in enumerate(display.input_providers):
        Config.set("input", f"provider{index}", spec)
    Config.set("postproc", "double_tap_time", "0")
    Config.set("postproc", "triple_tap_time", "0")


def load_start_bundle(config: KioskConfig) -> Bundle:
    """Return the last verified bundle from the cache, or the shipped default content."""
    from kiosk.content.loader import load_bundle
    from kiosk.sync.store import load_verified_bundle

    cached = load_verified_bundle(config.data_dir)
    if cached is not None:
        logger.info("Starting on verified content version %s", cached.version)
        return cached
    path = config.default_bundle or default_bundle_path()
    logger.info("Starting on the shipped default content %s", path)
    return load_bundle(path)


def default_bundle_path() -> Path:
    assets = Path(os.environ.get("KIOSK_ASSETS", Path(__file__).resolve().parents[2] / "assets"))
    return assets / "content" / "default-bundle.json"


def build_app(config: KioskConfig, bundle: Bundle, *,
              now: Callable[[], datetime] | None = None,
              monotonic: Callable[[], float] | None = None,
              on_ready: Callable[[KioskApp], None] | None = None) -> KioskApp:
    """Create the app; Kivy must already be configured.

    ``now`` (the wall clock, timezone-aware) and ``monotonic`` (for timeouts)
    default to the system clocks; tests pass their own.
    """
    from kiosk.ui.app import KioskApp

    zone = ZoneInfo(config.timezone)
    clock = now or (lambda: datetime.now(UTC))
    return KioskApp(config, bundle, zone, clock, on_ready=on_ready,
                    monotonic=monotonic or time.monotonic)


def run(config: KioskConfig, windowed: bool = False) -> None:
    """Run the kiosk until the process is stopped, syncing in the background if configured."""
    configure_kivy(config, windowed=windowed)
    bundle = load_start_bundle(config)
    app = build_app(config, bundle)
    if config.sync.feeds or config.sync.repository_url or config.heartbeat.url:
        from kiosk.sync.worker import create_sync_worker

        heartbeat = heartbeat_factory(config, app) if config.heartbeat.url else None
        app.attach_worker(create_sync_worker(config, app.deliver_sync, app.deliver_bundle,
                                             heartbeat=heartbeat,
                                             on_settings=app.deliver_settings))
    stop_on_sigterm(app)
    app.run()


def stop_on_sigterm(app: KioskApp) -> None:
    """Stop the app cleanly, from its own loop, on SIGTERM (systemctl stop) or SIGINT (Ctrl+C)."""
    from kivy.clock import Clock

    def handle(signal_number: int, _frame: object) -> None:
        logger.info("Received signal %d: stopping the kiosk", signal_number)
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def heartbeat_factory(config: KioskConfig, app: KioskApp) -> Callable[[Any], Any]:
    """Return a builder of the heartbeat sender for ``create_sync_worker``.

    The token file is read here, once, at start-up. Messages logged at error
    level and above go into the heartbeat's error list. Sync failures are
    logged as warnings and reach the console through each source's last error.
    """
    from kiosk.sync.heartbeat import HeartbeatSender, RecentErrors

    token_file = config.heartbeat.token_file
    if token_file is None:
        raise ValueError("heartbeat.url is set but heartbeat.token_file is not")
    token = token_file.read_text(encoding="utf-8").strip()
    recent = RecentErrors()
    logging.getLogger("kiosk").addHandler(recent)

    def content_version() -> int | None:
        bundle = app.state.bundle
        return None if bundle.sample else int(bundle.version)

    def clock_status() -> Any:
        selection = app.state.selection
        return selection.clock if selection is not None else None

    def build(client: Any) -> HeartbeatSender:
        return HeartbeatSender(config.heartbeat.url, token, config.kiosk_id, client,
                               app.view_counter, content_version=content_version,
                               clock_status=clock_status, errors=recent,
                               capture_screenshot=app.capture_screenshot,
                               interval_s=config.heartbeat.interval_s)
    return build


def take_screenshot(config: KioskConfig, screen: str, language: str, out: Path,
                    notice_id: str | None = None, at: datetime | None = None,
                    prepare: Callable[[KioskApp], None] | None = None) -> Path:
    """Render one screen in one language in a real window and save it as PNG.

    Configured feeds and the content repository are synced once first, so the
    picture shows what a running kiosk would. ``at`` sets the kiosk's clock.
    """
    configure_kivy(config, windowed=True)
    now = (lambda: at) if at is not None else (lambda: datetime.now(UTC))
    bundle = load_start_bundle(config)
    synced: dict[str, Any] = {}
    if config.sync.feeds or config.sync.repository_url:
        from kiosk.sync.worker import create_sync_worker

        def keep(notices: tuple[Any, ...], status: Any) -> None:
            synced["notices"], synced["status"] = notices, status

        worker = create_sync_worker(config, keep, lambda new: synced.__setitem__("bundle", new))
        worker.sync_once()
        worker.stop()
        bundle = synced.get("bundle", bundle)
    result: dict[str, Any] = {}

    def capture(app: KioskApp) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        if "status" in synced:
            app.state.sync_status = synced["status"]
            app.state.set_feed_notices(synced["notices"])
        if prepare is not None:
            prepare(app)
        app.switch_language(language)
        if screen == "notice":
            app.open_notice(notice_id or app.state.selection.notices[0].id)
        else:
            app.show(screen)

        def save(_dt: float) -> None:
            folder = Path(tempfile.mkdtemp(prefix="kiosk-shot-"))
            try:
                # Kivy draws only when something changed, and after a buffer swap
                # the back buffer may hold an older frame; draw it afresh first.
                Window.dispatch("on_draw")
                result["path"] = Window.screenshot(name=str(folder / "shot.png"))
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(result["path"], out)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                app.stop()

        # Let layout settle over a few frames before reading the framebuffer.
        Clock.schedule_once(save, 0.5)

    build_app(config, bundle, now=now, on_ready=capture).run()
    if not out.exists():
        raise RuntimeError(f"screenshot was not written to {out}")
    return out
