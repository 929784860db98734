"""Atomic file writes and the on-disk cache of each feed's last good result."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kiosk.content.model import Notice
from kiosk.sync.serialize import SerializeError, notices_from_json, notices_to_json

logger = logging.getLogger(__name__)

#: Version of the feed cache file layout; a file with another version is ignored.
FEED_CACHE_SCHEMA = 1


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    The data goes to a temporary file in the same folder, which is flushed,
    fsynced and renamed over ``path``; the folder is then fsynced so the rename
    survives a power cut. On any failure the temporary file is removed, the old
    file is left as it was and the ``OSError`` propagates.
    """
    folder = path.parent
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_folder(folder)


def remove_stale_temp_files(folder: Path) -> int:
    """Delete temporary files that ``atomic_write`` left in ``folder`` when it was killed.

    Call only while nothing else writes to the folder, for example at start-up.
    Returns how many files were removed.
    """
    removed = 0
    if not folder.is_dir():
        return removed
    for leftover in folder.glob(".*.tmp"):
        try:
            leftover.unlink()
        except OSError as error:
            logger.warning("Cannot remove leftover temporary file %s: %s", leftover, error)
            continue
        removed += 1
    if removed:
        logger.info("Removed %d leftover temporary files in %s", removed, folder)
    return removed


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so a rename in it survives a power cut."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        # Windows cannot open a folder; the rename is still atomic there.
        logger.debug("cannot open %s to fsync it: %s", folder, error)
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class FeedCacheEntry:
    """The last good result of one feed.

    ``fetched_at`` is when the notices were downloaded; ``checked_at`` is the
    last time the server confirmed them, by a new download or a 304.
    """

    feed_id: str
    url: str
    notices: tuple[Notice, ...]
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    checked_at: datetime


class FeedCacheError(ValueError):
    """A feed cache file cannot be used; the message names the file and the problem."""


class FeedCache:
    """Feed cache files, one JSON file per feed in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # The cache is created before the sync worker starts, so no write is under way.
        remove_stale_temp_files(folder)

    def path(self, feed_id: str) -> Path:
        # Percent-encoding keeps any feed id a single safe file name.
        return self.folder / f"feed-{quote(feed_id, safe='')}.json"

    def save(self, entry: FeedCacheEntry) -> None:
        """Write ``entry`` atomically; raises ``OSError`` and leaves the old file on failure."""
        document = {
            "schema": FEED_CACHE_SCHEMA,
            "feed_id": entry.feed_id,
            "url": entry.url,
            "etag": entry.etag,
            "last_modified": entry.last_modified,
            "fetched_at": entry.fetched_at.isoformat(),
            "checked_at": entry.checked_at.isoformat(),
            "notices": notices_to_json(entry.notices),
        }
        data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path(entry.feed_id), data)

    def load(self, feed_id: str) -> FeedCacheEntry | None:
        """Return the cached entry, or ``None`` when there is none or it cannot be used.

        A zero-byte, truncated, corrupt or foreign file is logged as a warning
        with its path and ignored, so the feed starts without cached notices.
        """
        path = self.path(feed_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            logger.warning("ignoring feed cache %s: cannot read it: %s", path, error)
            return None
        try:
            entry = _decode(data, path)
        except FeedCacheError as error:
            logger.warning("ignoring feed cache: %s", error)
            return None
        if entry.feed_id != feed_id:
            logger.warning("ignoring feed cache %s: it belongs to feed %r, not %r",
                           path, entry.feed_id, feed_id)
            return None
        return entry


def _decode(data: bytes, path: Path) -> FeedCacheEntry:
    if not data:
        raise FeedCacheError(f"{path}: empty file")
    try:
        document: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FeedCacheError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise FeedCacheError(f"{path}: expected a JSON object")
    if document.get("schema") != FEED_CACHE_SCHEMA:
        raise FeedCacheError(
            f"{path}: schema {document.get('schema')!r}, expected {FEED_CACHE_SCHEMA}")
    try:
        return FeedCacheEntry(
            feed_id=_string(document, "feed_id"),
            url=_string(document, "url"),
            notices=notices_from_json(document.get("notices")),
            etag=_optional_string(document, "etag"),
            last_modified=_optional_string(document, "last_modified"),
            fetched_at=_aware_datetime(document, "fetched_at"),
            checked_at=_aware_datetime(document, "checked_at"),
        )
    except SerializeError as error:
        raise FeedCacheError(f"{path}: {error}") from error


def _string(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise SerializeError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _optional_string(document: dict[str, Any], key: str) -> str | None:
    return None if document.get(key) is None else _string(document, key)


def _aware_datetime(document: dict[str, Any], key: str) -> datetime:
    text = _string(document, key)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise SerializeError(f"{key}: invalid ISO 8601 datetime {text!r}") from error
    if moment.tzinfo is None:
        raise SerializeError(f"{key}: datetime {text!r} has no UTC offset")
    return moment
