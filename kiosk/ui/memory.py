"""Keep the kiosk's resident memory close to what it uses, for months of uptime.

Every label's text is an RGBA image of up to a few hundred kilobytes, drawn
again on each language switch. glibc's allocator raises its mmap threshold
each time such a block is freed, so later ones come from the heap, and the
heap's free space stays resident. Two rounds through every screen in every
language left about 60 MB of a 370 MB process free in the heap. A fixed
threshold keeps such blocks mapped on their own whenever the heap has no
free room for them, so freeing one returns it at once, and a trim while the
kiosk is idle hands back what the heap keeps.

The allocator calls are glibc's; on another C library they do nothing.
Freezing the objects loaded at start-up keeps the garbage collector's full
passes short, so that they do not hold up a frame.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from functools import lru_cache

logger = logging.getLogger(__name__)

#: mallopt() parameter number of M_MMAP_THRESHOLD in glibc's malloc.h.
_M_MMAP_THRESHOLD = -3

#: Blocks from this size up get their own mapping. One line of body text
#: 1,000 px wide is about 200 KiB as RGBA, and a glyph is far smaller.
MMAP_THRESHOLD_BYTES = 128 * 1024


@lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - only glibc has both functions
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def map_large_blocks(threshold_bytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Give blocks of ``threshold_bytes`` and more their own mapping; True if set."""
    libc = _glibc()
    if libc is None:
        return False
    done = bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(threshold_bytes)))
    if not done:
        logger.warning("Could not set the allocator's mmap threshold to %d bytes", threshold_bytes)
    return done


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; True if any were released."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(ctypes.c_size_t(0)))


def freeze_loaded_objects() -> int:
    """Collect garbage once, then exempt every surviving object from later collections.

    The modules, widgets, fonts and content loaded at start-up stay for the
    life of the process, but each full collection walks all of them again.
    In a test process that also held the admin console, one such collection
    stopped a kiosk frame for about 0.2 s. Returns the number of objects frozen.

    NOTE: a frozen reference cycle is never freed, even once unreachable. Call
    this before widgets that are rebuilt later exist, because each one frozen
    would stay in memory, with its label textures, after its screen is rebuilt.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
