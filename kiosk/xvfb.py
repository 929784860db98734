"""Run a kiosk command again inside a virtual X screen (Xvfb) when there is no display.

``xvfb-run`` is a shell script that starts Xvfb, runs the command, and stops
Xvfb when the command ends. A SIGTERM sent to the script ends it at once,
while the kiosk and the X server under it keep running. So this process
catches SIGTERM and SIGHUP itself and passes them to the kiosk process under
the script. Once the kiosk has stopped, the script stops its X server and
exits with the kiosk's status.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

#: Signals that ask the kiosk to stop and are passed on to it: systemd and
#: kill send SIGTERM, a closed terminal sends SIGHUP.
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

#: Seconds the kiosk gets to stop after a forwarded signal, after which it
#: is killed.
STOP_GRACE_S = 20.0

#: Seconds between two looks at the processes while waiting.
POLL_S = 0.2

#: Seconds xvfb-run gets to stop Xvfb and remove its files after a kiosk
#: that ignored the signal was killed.
CLEANUP_GRACE_S = 5.0

#: The arguments that follow the interpreter in the kiosk process's command
#: line. The xvfb-run script and its subshells carry them further along, so
#: only this position identifies the kiosk.
KIOSK_ARGUMENTS = [b"-m", b"kiosk.cli"]


def descendants(root: int, proc: Path = Path("/proc")) -> list[int]:
    """Return the PIDs of every live process under ``root``, read from ``proc``."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # The command name in brackets may hold spaces and ")", so the fields
        # are counted from the last ")": state, then parent PID.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) < 2 or fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _is_kiosk(pid: int, proc: Path) -> bool:
    try:
        arguments = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return arguments[1:3] == KIOSK_ARGUMENTS


def _kill(pids: Sequence[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def wait_forwarding_stop(process: subprocess.Popen[bytes], stop_requests: list[int],
                         grace_s: float = STOP_GRACE_S, proc: Path = Path("/proc")) -> int:
    """Wait for ``process`` (xvfb-run) to exit and return its status.

    Once ``stop_requests`` contains a signal number, send that signal to each
    kiosk process under ``process``, once each, including one that starts
    later. When the kiosk is still running ``grace_s`` seconds after the
    request, kill it, so that xvfb-run stops Xvfb and removes its lock files.
    Whatever is still running ``CLEANUP_GRACE_S`` seconds later is killed too.
    """
    signalled: set[int] = set()
    requested_at: float | None = None
    while True:
        try:
            return process.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            pass
        if not stop_requests:
            continue
        if requested_at is None:
            requested_at = time.monotonic()
        under = descendants(process.pid, proc)
        kiosks = [pid for pid in under if _is_kiosk(pid, proc)]
        _kill([pid for pid in kiosks if pid not in signalled], stop_requests[0])
        signalled.update(kiosks)
        waited_s = time.monotonic() - requested_at
        if waited_s > grace_s + CLEANUP_GRACE_S:
            _kill([process.pid, *under], signal.SIGKILL)
            return process.wait()
        if waited_s > grace_s:
            _kill(kiosks, signal.SIGKILL)


def run_under_xvfb(command: Sequence[str], environ: dict[str, str]) -> int:
    """Run ``command`` (starting with the xvfb-run path) and return its exit status.

    SIGTERM and SIGHUP received meanwhile go to the kiosk under xvfb-run.
    xvfb-run runs in a process group of its own, so a Ctrl+C in the terminal
    reaches only this process, which passes SIGINT on to the kiosk and
    returns 130 once everything has stopped. Sent to the whole group, the
    signal would also end Xvfb under the kiosk, which then fails with an X
    I/O error instead of stopping cleanly.
    """
    stop_requests: list[int] = []

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requests.append(signum)

    previous = {signum: signal.signal(signum, request_stop) for signum in FORWARDED_SIGNALS}
    try:
        process = subprocess.Popen(command, env=environ, process_group=0)  # noqa: S603
        try:
            status = wait_forwarding_stop(process, stop_requests)
            # A process killed by a signal has a negative status; a shell
            # reports it as 128 plus the signal number.
            return status if status >= 0 else 128 - status
        except KeyboardInterrupt:
            wait_forwarding_stop(process, [signal.SIGINT])
            return 130
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
