"""The allocator settings that let the kiosk give freed memory back to the system."""

from __future__ import annotations

import ctypes.util

import pytest

from kiosk.ui.memory import map_large_blocks, release_free_memory

BLOCK_BYTES = 256 * 1024
BLOCK_COUNT = 256  # 64 MiB in blocks the size of a label's text image


def resident_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("VmRSS missing from /proc/self/status")


@pytest.fixture
def glibc() -> None:
    name = ctypes.util.find_library("c")
    if name is None or "libc.so" not in name:
        pytest.skip("the allocator settings apply to glibc only")


def test_freed_large_blocks_leave_resident_memory(glibc: None) -> None:
    assert map_large_blocks()
    before = resident_kib()
    blocks = [bytearray(BLOCK_BYTES) for _ in range(BLOCK_COUNT)]
    for block in blocks:
        block[::4096] = b"\x01" * len(block[::4096])
    grown = resident_kib()
    del blocks, block
    after = resident_kib()

    assert grown - before > BLOCK_COUNT * BLOCK_BYTES // 1024 // 2
    assert after - before < 8 * 1024, f"{after - before} KiB still resident after freeing 64 MiB"


def test_release_free_memory_reports_a_boolean(glibc: None) -> None:
    small = [bytearray(512) for _ in range(100_000)]
    del small
    assert release_free_memory() in {True, False}
