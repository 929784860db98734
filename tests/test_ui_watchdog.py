"""systemd notifications over a real Unix datagram socket."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk.ui.watchdog import SystemdNotifier


@pytest.fixture
def notify_socket(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "notify"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(2)
    yield path, server
    server.close()


def test_ready_and_watchdog_messages_arrive(notify_socket):
    path, server = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000"})
    assert notifier.enabled
    assert notifier.watchdog_interval_s == 15.0

    assert notifier.ready() is True
    assert server.recv(64) == b"READY=1"
    assert notifier.ping() is True
    assert server.recv(64) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent():
    notifier = SystemdNotifier({})
    assert notifier.enabled is False
    assert notifier.watchdog_interval_s is None
    assert notifier.ready() is False


def test_unreachable_socket_is_logged_not_raised(tmp_path, caplog):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "absent")})
    assert notifier.ping() is False
    assert "WATCHDOG=1" in caplog.text


@pytest.mark.parametrize("value", ["", "0", "abc"])
def test_watchdog_interval_needs_positive_usec(value):
    assert SystemdNotifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": value}).watchdog_interval_s is None
