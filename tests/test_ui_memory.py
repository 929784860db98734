"""The allocator settings that let the kiosk give freed memory back to the system.

Each case runs in a new Python process: in a long-lived one, glibc serves
large blocks from free space already in its heap, whatever the threshold.
"""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

CHILD = """
import sys
from kiosk.ui.memory import map_large_blocks, release_free_memory

def resident_kib():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

mode = sys.argv[1]
before = resident_kib()
if mode in {"large", "large-default"}:
    print(map_large_blocks() if mode == "large" else "default")
    # Freeing a mapped 1 MiB block raises glibc's own threshold to 1 MiB.
    first = bytearray(b"\\x01") * (1024 * 1024)
    del first
    # 64 MiB in blocks the size of a label's text image, every page touched.
    # The last one stays, so that the freed ones do not end the heap.
    blocks = [bytearray(b"\\x01") * (256 * 1024) for _ in range(257)]
    last = blocks[-1]
else:
    # 64 MiB in small blocks, which always come from the heap.
    blocks = [bytearray(b"\\x01") * 1000 for _ in range(64 * 1024)]
grown = resident_kib()
del blocks
if mode == "small":
    print(release_free_memory())
print(before, grown, resident_kib())
"""


@pytest.fixture
def glibc() -> None:
    name = ctypes.util.find_library("c")
    if name is None or "libc.so" not in name:
        pytest.skip("the allocator settings apply to glibc only")


def run_child(mode: str) -> tuple[str, int, int, int]:
    output = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,  # noqa: S603
                            check=True, timeout=60).stdout.split("\n")
    before, grown, after = (int(value) for value in output[1].split())
    return output[0], before, grown, after


def test_freed_large_blocks_leave_resident_memory(glibc: None) -> None:
    result, before, grown, after = run_child("large")

    assert result == "True"
    assert grown - before > 48 * 1024
    assert after - before < 8 * 1024, f"{after - before} KiB still resident after freeing 64 MiB"


def test_default_allocator_keeps_freed_large_blocks(glibc: None) -> None:
    # The case above without map_large_blocks(): the blocks come from the heap
    # and stay resident, which is what the fixed threshold prevents.
    result, before, _grown, after = run_child("large-default")

    assert result == "default"
    assert after - before > 48 * 1024


def test_release_free_memory_returns_freed_small_blocks(glibc: None) -> None:
    result, before, grown, after = run_child("small")

    assert result == "True"
    assert grown - before > 48 * 1024
    assert after - before < 16 * 1024, f"{after - before} KiB still resident after the trim"


FREEZE_CHILD = """
import gc
from kiosk.ui.memory import freeze_loaded_objects

live_lists = [[index] for index in range(50_000)]
frozen = freeze_loaded_objects()
print(frozen, gc.get_freeze_count(), len(gc.get_objects(generation=2)))
"""


def test_freeze_exempts_loaded_objects() -> None:
    output = subprocess.run([sys.executable, "-c", FREEZE_CHILD], capture_output=True, text=True,  # noqa: S603
                            check=True, timeout=60).stdout.split()
    frozen, count, left_in_oldest = (int(value) for value in output)

    assert frozen == count
    assert frozen > 50_000
    # Frozen objects leave the generations that a collection walks.
    assert left_in_oldest < 1_000


@pytest.mark.ui
def test_kiosk_freezes_after_start(kiosk_home) -> None:  # type: ignore[no-untyped-def]
    import gc
    import time

    from kivy.base import EventLoop

    end = time.monotonic() + 10
    while gc.get_freeze_count() == 0 and time.monotonic() < end:
        EventLoop.idle()

    assert gc.get_freeze_count() > 10_000
