"""systemd readiness and watchdog notifications, sent from the UI loop.

systemd passes ``NOTIFY_SOCKET`` (and ``WATCHDOG_USEC`` when the unit sets
``WatchdogSec``) to a ``Type=notify`` service. Sending ``WATCHDOG=1`` from a
Kivy clock callback proves the UI loop itself is alive: a frozen loop stops the
pings and systemd restarts the kiosk. The protocol is one datagram per message
on a Unix socket, so no extra package is needed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

logger = logging.getLogger(__name__)


class SystemdNotifier:
    """Send sd_notify messages; does nothing when not started by systemd."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        # An address starting with "@" is in the Linux abstract namespace.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        watchdog_usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s: float | None = (
            int(watchdog_usec) / 1_000_000 / 2 if watchdog_usec.isdigit() and int(watchdog_usec) else None)

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, message: str) -> bool:
        """Send one message such as ``READY=1``; return whether it was sent."""
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode("utf-8"))
        except OSError as error:
            logger.warning("systemd notification %r failed: %s", message, error)
            return False
        return True

    def ready(self) -> bool:
        return self.notify("READY=1")

    def ping(self, *_args: object) -> bool:
        return self.notify("WATCHDOG=1")
