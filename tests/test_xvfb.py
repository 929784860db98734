"""Stopping a kiosk that runs under xvfb-run: the process tree and the passed-on signals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.xvfb import descendants, run_under_xvfb, wait_forwarding_stop

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

#: A stand-in for the kiosk, run as ``python -m kiosk.cli OUT MODE`` from a
#: folder of its own: it writes the signal it gets to OUT.
FAKE_KIOSK = """
import signal, sys, time
out, mode = sys.argv[1], sys.argv[2]
def stop(signum, frame):
    with open(out, "w") as handle:
        handle.write(str(signum))
    if mode == "obey":
        sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
with open(out + ".ready", "w"):
    pass
while True:
    time.sleep(0.05)
"""

#: A stand-in for xvfb-run: a shell that runs the kiosk in the foreground
#: and exits with its status, with a sleeping child in place of Xvfb.
FAKE_XVFB_RUN = 'sleep 600 & server=$!; "$@"; status=$?; kill $server; exit $status'


def write_stat(proc: Path, pid: int, command: str, state: str, parent: int) -> None:
    folder = proc / str(pid)
    folder.mkdir()
    (folder / "stat").write_text(f"{pid} ({command}) {state} {parent} 1 1 0 -1\n", encoding="ascii")


def test_descendants_walks_tree(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    write_stat(proc, 10, "xvfb-run", "S", 1)
    write_stat(proc, 11, "Xvfb", "S", 10)
    write_stat(proc, 12, "python3", "R", 10)
    write_stat(proc, 13, "worker", "S", 12)
    write_stat(proc, 20, "other", "S", 1)
    (proc / "self").mkdir()
    assert sorted(descendants(10, proc)) == [11, 12, 13]
    assert descendants(13, proc) == []


def test_descendants_reads_odd_command_names(tmp_path: Path) -> None:
    # The kernel puts the command name in brackets unescaped.
    proc = tmp_path / "proc"
    proc.mkdir()
    write_stat(proc, 10, "sh", "S", 1)
    write_stat(proc, 11, "a) b (c", "S", 10)
    write_stat(proc, 12, "x", "S", 11)
    assert sorted(descendants(10, proc)) == [11, 12]


def test_descendants_skips_zombies_and_vanished(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    write_stat(proc, 10, "sh", "S", 1)
    write_stat(proc, 11, "done", "Z", 10)
    (proc / "12").mkdir()
    assert descendants(10, proc) == []


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[Any]]]:
    """Processes a test starts; any still running at its end are killed."""
    processes: list[subprocess.Popen[Any]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def start_fake(started: list[subprocess.Popen[Any]], tmp_path: Path, mode: str,
               script: str = FAKE_XVFB_RUN) -> tuple[subprocess.Popen[bytes], Path]:
    package = tmp_path / "fake" / "kiosk"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "cli.py").write_text(FAKE_KIOSK, encoding="utf-8")
    out = tmp_path / "signal"
    kiosk = [sys.executable, "-m", "kiosk.cli", str(out), mode]
    process = subprocess.Popen(["/bin/sh", "-c", script, "xvfb-run", *kiosk],  # noqa: S603
                               cwd=package.parent)
    started.append(process)
    deadline = time.monotonic() + 30
    while not out.with_suffix(".ready").exists():
        assert time.monotonic() < deadline, "the stand-in kiosk did not start"
        time.sleep(0.05)
    return process, out


def test_stop_request_reaches_kiosk_not_script(started: list[subprocess.Popen[Any]], tmp_path: Path) -> None:
    process, out = start_fake(started, tmp_path, "obey")
    under = descendants(process.pid)
    assert wait_forwarding_stop(process, [signal.SIGTERM], grace_s=30) == 0
    assert out.read_text(encoding="ascii") == str(int(signal.SIGTERM))
    time.sleep(0.2)
    assert [pid for pid in under if alive(pid)] == []


def test_hangup_passed_on_as_hangup(started: list[subprocess.Popen[Any]], tmp_path: Path) -> None:
    process, out = start_fake(started, tmp_path, "obey")
    assert wait_forwarding_stop(process, [signal.SIGHUP], grace_s=30) == 0
    assert out.read_text(encoding="ascii") == str(int(signal.SIGHUP))


def test_kiosk_that_hangs_killed_after_grace(started: list[subprocess.Popen[Any]], tmp_path: Path) -> None:
    process, out = start_fake(started, tmp_path, "ignore")
    under = descendants(process.pid)
    began = time.monotonic()
    # The script outlives the killed kiosk and exits with its status.
    assert wait_forwarding_stop(process, [signal.SIGTERM], grace_s=1.0) == 128 + signal.SIGKILL
    assert time.monotonic() - began < 10
    assert out.read_text(encoding="ascii") == str(int(signal.SIGTERM))
    time.sleep(0.2)
    assert [pid for pid in under if alive(pid)] == []


def test_script_that_hangs_killed_after_cleanup(started: list[subprocess.Popen[Any]], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.xvfb.CLEANUP_GRACE_S", 0.5)
    hanging = 'trap "" TERM; sleep 600 & "$@"; sleep 600'
    process, _out = start_fake(started, tmp_path, "ignore", script=hanging)
    under = descendants(process.pid)
    assert wait_forwarding_stop(process, [signal.SIGTERM], grace_s=0.5) == -signal.SIGKILL
    time.sleep(0.2)
    assert [pid for pid in under if alive(pid)] == []


def test_killed_command_status_like_shell() -> None:
    assert run_under_xvfb(["/bin/sh", "-c", "kill -9 $$"], dict(os.environ)) == 128 + signal.SIGKILL


def test_no_request_waits_for_exit(tmp_path: Path) -> None:
    process = subprocess.Popen(["/bin/sh", "-c", "exit 3"])
    assert wait_forwarding_stop(process, []) == 3


def alive(pid: int) -> bool:
    """Return whether ``pid`` runs, a zombie waiting for its parent counting as stopped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def start_without_display(started: list[subprocess.Popen[Any]],
                          tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """Start ``kiosk run`` with no display, in a process group of its own as a shell would.

    Returns the process once the kiosk has logged its start, and the
    processes under it then.
    """
    if shutil.which("xvfb-run") is None:
        pytest.skip("needs xvfb-run from Debian's xvfb package")
    config = tmp_path / "kiosk.toml"
    config.write_text(f"site_id = 'sample-airport-t1'\ndata_dir = '{tmp_path / 'data'}'\n", encoding="utf-8")
    environ = {name: value for name, value in os.environ.items()
               if name not in {"DISPLAY", "WAYLAND_DISPLAY", "KIOSK_UNDER_XVFB"}}
    environ["KIVY_HOME"] = str(tmp_path / "kivy")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ, process_group=0)
    started.append(process)
    deadline = time.monotonic() + 90
    output = ""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        if "started" in line or not line:
            break
    if "started" not in output:
        pytest.fail(f"the kiosk did not start under Xvfb: {output[-2000:]}")
    under = descendants(process.pid)
    names = {Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip() for pid in under}
    assert "Xvfb" in names
    return process, under


@pytest.mark.ui
def test_run_without_display_stops_on_sigterm(started: list[subprocess.Popen[Any]], tmp_path: Path) -> None:
    """SIGTERM to ``kiosk run`` under xvfb-run stops the kiosk and its X server."""
    process, under = start_without_display(started, tmp_path)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    time.sleep(0.5)
    assert [pid for pid in under if alive(pid)] == []


@pytest.mark.ui
def test_run_without_display_stops_on_ctrl_c(started: list[subprocess.Popen[Any]], tmp_path: Path) -> None:
    """Ctrl+C, sent by the terminal to its foreground process group, stops everything cleanly with 130."""
    process, under = start_without_display(started, tmp_path)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert process.stdout is not None
    rest = process.stdout.read()
    assert "stopping the kiosk" in rest
    # The X server stops after the kiosk, not under it.
    assert "XIO" not in rest
    time.sleep(0.5)
    assert [pid for pid in under if alive(pid)] == []
