"""The verified bundle cache that the kiosk starts from.

The cache layout under ``<data_dir>/content/``::

    tuf/                 TUF metadata kept by python-tuf
    bundles/<sha256>.json  the verified bundle in force
    verified.json        record of that bundle: version, sha256, verified_at, ...
    incoming/            downloads in progress

Replacing ``verified.json`` is the single commit point: the bundle file it
names is written and fsynced first, and older bundle files are removed only
after it. A failed, partial or rejected update therefore leaves the bundle in
force untouched.

This module does not import python-tuf or the HTTP client, so that reading
the cache at start-up costs no more than reading the files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.content import ContentError, parse_bundle
from kiosk.content.model import Bundle
from kiosk.sync.cache import atomic_write, fsync_folder, remove_stale_temp_files

logger = logging.getLogger(__name__)

CONTENT_DIR = "content"
#: Largest record file read, in bytes; a real record is about 300 bytes.
MAX_RECORD_BYTES = 64 * 1024

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RecordError(ValueError):
    """The record of the verified bundle, or the bundle file it names, is unusable."""


@dataclass(frozen=True)
class VerifiedRecord:
    """The verified bundle in force: which bytes, when they were verified, how long they apply."""

    version: int
    sha256: str
    #: Size of the bundle file in bytes.
    length: int
    verified_at: datetime
    #: Publish time and expiry from the bundle itself, not from TUF metadata.
    published_at: datetime
    expires_at: datetime

    def to_json(self) -> bytes:
        document = {
            "version": self.version,
            "sha256": self.sha256,
            "length": self.length,
            "verified_at": self.verified_at.isoformat(),
            "published_at": self.published_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }
        return json.dumps(document, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, source: str) -> VerifiedRecord:
        """Parse a record, raising RecordError naming ``source`` and the bad field."""
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RecordError(f"{source}: not a JSON record ({error})") from error
        if not isinstance(document, dict):
            raise RecordError(f"{source}: not a JSON object")
        for key in ("version", "length"):
            value = document.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RecordError(f"{source}: {key}: invalid value {value!r}; "
                                  "expected a positive integer")
        sha256 = document.get("sha256")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise RecordError(f"{source}: sha256: invalid value {sha256!r}; "
                              "expected 64 lowercase hex digits")
        return cls(version=document["version"], sha256=sha256, length=document["length"],
                   verified_at=_record_time(document, "verified_at", source),
                   published_at=_record_time(document, "published_at", source),
                   expires_at=_record_time(document, "expires_at", source))


def _record_time(document: dict[str, Any], key: str, source: str) -> datetime:
    value = document.get(key)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RecordError(f"{source}: {key}: invalid value {value!r}; "
                          "expected an ISO 8601 time with an offset")
    return moment


class ContentStore:
    """The verified bundle cache in ``<data_dir>/content``; writes are atomic and fsynced."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / CONTENT_DIR
        self.metadata_dir = self.root / "tuf"
        self.bundles_dir = self.root / "bundles"
        self.incoming_dir = self.root / "incoming"
        self.record_path = self.root / "verified.json"

    def bundle_path(self, sha256: str) -> Path:
        return self.bundles_dir / f"{sha256}.json"

    def prepare(self) -> None:
        """Create the cache folders and remove downloads left by an interrupted cycle."""
        for folder in (self.metadata_dir, self.bundles_dir, self.incoming_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.incoming_dir.iterdir():
            logger.debug("Removing interrupted download %s", leftover)
            leftover.unlink(missing_ok=True)
        # Only the sync worker writes here, and it is about to start a cycle.
        for folder in (self.root, self.metadata_dir):
            remove_stale_temp_files(folder)

    def new_incoming(self) -> Path:
        descriptor, name = tempfile.mkstemp(dir=self.incoming_dir, suffix=".part")
        os.close(descriptor)
        return Path(name)

    def read_record(self) -> VerifiedRecord | None:
        """Return the record, ``None`` when there is none; raise RecordError when it is corrupt."""
        try:
            with self.record_path.open("rb") as stream:
                data = stream.read(MAX_RECORD_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise RecordError(f"{self.record_path}: cannot read: {error.strerror}") from error
        if len(data) > MAX_RECORD_BYTES:
            raise RecordError(f"{self.record_path}: larger than {MAX_RECORD_BYTES} bytes")
        return VerifiedRecord.from_json(data, str(self.record_path))

    def read_bundle_bytes(self, record: VerifiedRecord) -> bytes:
        """Read the bundle file the record names, checking its length and sha256."""
        path = self.bundle_path(record.sha256)
        try:
            with path.open("rb") as stream:
                data = stream.read(record.length + 1)
        except OSError as error:
            raise RecordError(f"{path}: cannot read the verified bundle: {error.strerror}") \
                from error
        if len(data) != record.length:
            raise RecordError(f"{path}: size {len(data)} bytes does not match the record "
                              f"({record.length} bytes)")
        digest = hashlib.sha256(data).hexdigest()
        if digest != record.sha256:
            raise RecordError(f"{path}: sha256 {digest} does not match the record")
        return data

    def install(self, incoming: Path, record: VerifiedRecord) -> None:
        """Make the downloaded bundle at ``incoming`` the one in force, then drop older bundles."""
        with incoming.open("rb") as stream:
            os.fsync(stream.fileno())
        final = self.bundle_path(record.sha256)
        os.replace(incoming, final)
        fsync_folder(self.bundles_dir)
        atomic_write(self.record_path, record.to_json())
        for other in self.bundles_dir.iterdir():
            if other != final:
                other.unlink(missing_ok=True)


def load_verified_bundle(data_dir: Path) -> Bundle | None:
    """Load the last verified bundle for start-up; ``None`` when there is none or it is unusable.

    A corrupt, empty or truncated record or bundle file is logged and ignored,
    so the kiosk starts from its default content instead.
    """
    store = ContentStore(data_dir)
    try:
        record = store.read_record()
        if record is None:
            logger.info("No verified content in %s", store.root)
            return None
        data = store.read_bundle_bytes(record)
        bundle = parse_bundle(data, str(store.bundle_path(record.sha256)))
    except (RecordError, ContentError) as error:
        logger.warning("Ignoring the cached content: %s", error)
        return None
    if bundle.version != record.version:
        logger.warning("Ignoring the cached content: bundle version %d, record version %d",
                       bundle.version, record.version)
        return None
    logger.info("Loaded verified content version %d from %s", bundle.version, store.root)
    return bundle
