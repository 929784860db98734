"""Screens built when first needed, and what the kiosk loads before its first frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[1]

#: Starts the kiosk as `kiosk run` does and reports its state at the first
#: frame and again once the idle kiosk has built every screen.
CHILD = """
import json, sys, time
from pathlib import Path
from kiosk.config import DisplayConfig, KioskConfig
from kiosk.ui.launch import build_app, configure_kivy, load_start_bundle

config = KioskConfig(site_id="sample-airport-t1", data_dir=Path(sys.argv[1]),
                     display=DisplayConfig(fullscreen=False))
configure_kivy(config, windowed=True)
app = build_app(config, load_start_bundle(config))
report = {}

def first_frame(*_args):
    from kivy.clock import Clock
    from kivy.core.window import Window
    Window.unbind(on_flip=first_frame)
    manager = app.root.ids.screens
    report["built_at_first_frame"] = manager.screen_names
    report["modules_at_first_frame"] = sorted(
        name for name in ("tuf", "requests", "urllib3", "jsonschema", "securesystemslib")
        if name in sys.modules)
    order = []
    manager.bind(screen_names=lambda _m, names: order.append(names[-1]))
    deadline = time.monotonic() + 60

    def check(_dt):
        if not manager.unbuilt or time.monotonic() > deadline:
            report["build_order"] = order
            report["unbuilt_at_end"] = manager.unbuilt
            app.stop()
    Clock.schedule_interval(check, 0.1)

def started(*_args):
    from kivy.core.window import Window
    Window.bind(on_flip=first_frame)

app.bind(on_start=started)
app.run()
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def child_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    data_dir = tmp_path_factory.mktemp("lazy-screens")
    environ = dict(os.environ, KIVY_HOME=str(data_dir / "kivy"))
    result = subprocess.run([sys.executable, "-c", CHILD, str(data_dir)], cwd=REPO, env=environ,  # noqa: S603
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_only_home_built_for_first_frame(child_report: dict[str, list[str]]) -> None:
    assert child_report["built_at_first_frame"] == ["home"]


def test_first_frame_loads_no_sync_libraries(child_report: dict[str, list[str]]) -> None:
    # python-tuf, the HTTP client and jsonschema cost about 0.3 s to import;
    # the kiosk needs none of them to show its cached or shipped content.
    assert child_report["modules_at_first_frame"] == []


def test_idle_kiosk_builds_passenger_screens_first(child_report: dict[str, list[str]]) -> None:
    from kiosk.ui.app import PREPARED_SCREENS

    order = child_report["build_order"]
    passenger = [name for name in PREPARED_SCREENS if name != "home"]

    assert child_report["unbuilt_at_end"] == []
    assert order[:len(passenger)] == passenger
    assert sorted(order) == sorted(["rules", "symptoms", "risk", "hotlines", "notices", "notice",
                                    "selfcheck", "selfcheck_result", "attract", "takeover", "pin",
                                    "maintenance"])


# -- the manager on its own, in the shared test window --------------------------


@pytest.fixture
def manager(kiosk):  # type: ignore[no-untyped-def]
    from kiosk.ui.widgets.common import InstantTransition, KioskScreenManager

    return KioskScreenManager(transition=InstantTransition(), size=(400, 300), pos=(10, 20))


def test_screen_built_once_when_shown(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import Screen

    calls: list[str] = []

    def factory(name: str) -> Screen:
        calls.append(name)
        return Screen(name=name)

    manager.register("first", lambda: factory("first"))
    manager.register("second", lambda: factory("second"))

    assert manager.has_screen("second")
    assert manager.screen_names == []

    manager.current = "second"
    manager.current = "first"
    manager.current = "second"

    assert calls == ["second", "first"]
    assert manager.unbuilt == []
    assert manager.get_screen("first").size == [400, 300]


def test_build_next_follows_registration(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import Screen

    for name in ("a", "b", "c"):
        manager.register(name, lambda name=name: Screen(name=name))
    manager.get_screen("b")

    assert manager.build_next() == "a"
    assert manager.build_next() == "c"
    assert manager.build_next() is None
    assert manager.screen_names == ["b", "a", "c"]


def test_register_twice_rejected(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import Screen, ScreenManagerException

    manager.register("same", lambda: Screen(name="same"))

    with pytest.raises(ScreenManagerException, match="already registered"):
        manager.register("same", lambda: Screen(name="same"))


def test_factory_with_wrong_name_rejected(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import Screen, ScreenManagerException

    manager.register("expected", lambda: Screen(name="other"))

    with pytest.raises(ScreenManagerException, match="'other'"):
        manager.get_screen("expected")


def test_failed_factory_tried_again(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import Screen

    attempts: list[int] = []

    def factory() -> Screen:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("kv rule failed")
        return Screen(name="flaky")

    manager.register("flaky", factory)

    with pytest.raises(RuntimeError):
        manager.get_screen("flaky")
    assert manager.unbuilt == ["flaky"]
    assert manager.get_screen("flaky").name == "flaky"
    assert len(attempts) == 2


def test_unknown_screen_rejected(manager) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.screenmanager import ScreenManagerException

    with pytest.raises(ScreenManagerException):
        manager.get_screen("missing")
    assert not manager.has_screen("missing")


def test_kiosk_manager_clips_with_scissor(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    from kivy.graphics import ScissorPush
    from kivy.graphics.stencil_instructions import StencilPush

    manager = kiosk_home.app.root.ids.screens
    before = manager.canvas.before.children
    x, y = manager.to_window(*manager.pos)

    assert not [instruction for instruction in before if isinstance(instruction, StencilPush)]
    assert [instruction for instruction in before if isinstance(instruction, ScissorPush)]
    assert manager.clip_rect == [round(x), round(y), round(manager.width), round(manager.height)]
