"""Fixtures shared by the test suite: paths and the environment Kivy reads at import."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Kivy reads these when it is first imported, which may happen in any test
# module; keep its config and logs out of the user's home and its argument
# parser away from pytest's arguments.
if "KIVY_HOME" not in os.environ:
    _kivy_home = tempfile.mkdtemp(prefix="kiosk-test-kivy-")
    atexit.register(shutil.rmtree, _kivy_home, True)
    os.environ["KIVY_HOME"] = _kivy_home
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def default_bundle_path() -> Path:
    return REPO / "assets" / "content" / "default-bundle.json"


@pytest.fixture(scope="session")
def kiosk(tmp_path_factory: pytest.TempPathFactory, default_bundle_path: Path):  # type: ignore[no-untyped-def]
    """The running kiosk app in a real window, shared by every UI test."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("UI tests need an X display: run the suite under xvfb-run (see README.md)")
    from ui_driver import start_driver

    shots = Path(os.environ.get("KIOSK_TEST_SCREENSHOTS", tmp_path_factory.mktemp("screenshots")))
    shots.mkdir(parents=True, exist_ok=True)
    driver = start_driver(tmp_path_factory.mktemp("kiosk-data"), shots, default_bundle_path)
    yield driver
    driver.app.stop()


@pytest.fixture
def kiosk_home(kiosk):  # type: ignore[no-untyped-def]
    """The shared kiosk, reset to the home screen in the default language."""
    kiosk.reset()
    return kiosk
