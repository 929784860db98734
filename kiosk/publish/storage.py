"""Read the repository folder and install new files so that it stays servable at every instant.

New files are first written and fsynced in a staging folder beside the
repository, then renamed into place phase by phase (see
:class:`kiosk.publish.metadata.Phase`), with ``timestamp.json`` replaced by one
``os.replace``. A crash before that rename leaves the previous version
complete: kiosks only follow ``timestamp.json``, and the files installed ahead
of it have names no published metadata points to yet.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from securesystemslib.exceptions import StorageError
from tuf.api.metadata import Metadata, Root, Snapshot, T, Targets, Timestamp
from tuf.api.serialization import DeserializationError

from kiosk.publish.errors import (
    RepositoryBusyError,
    RepositoryStateError,
    RepositoryWriteError,
)
from kiosk.publish.keys import TARGETS
from kiosk.publish.metadata import METADATA_DIR, RepositoryFile, RepositoryState

logger = logging.getLogger(__name__)

_VERSIONED_ROOT = re.compile(r"^([1-9][0-9]{0,9})\.root\.json$")


def metadata_dir(repo_dir: Path) -> Path:
    """Return the folder that kiosks read metadata from."""
    return repo_dir / METADATA_DIR


def read_state(repo_dir: Path) -> RepositoryState:
    """Load the newest root and the metadata that ``timestamp.json`` points to.

    Signatures are not checked: the publisher wrote these files itself. Raises
    RepositoryStateError naming the file when one is unreadable, invalid or
    missing although other metadata points to it.
    """
    folder = metadata_dir(repo_dir)
    if not folder.is_dir():
        return RepositoryState()
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError as error:
        raise RepositoryStateError(f"{folder}: cannot list metadata: {error.strerror}") from error

    root_versions = [int(match.group(1)) for name in names
                     if (match := _VERSIONED_ROOT.match(name))]
    timestamp_path = folder / "timestamp.json"
    if not root_versions:
        if timestamp_path.exists():
            raise RepositoryStateError(f"{folder}: timestamp.json exists but no N.root.json; "
                                       "the repository is incomplete")
        return RepositoryState()

    root = _load(folder / f"{max(root_versions)}.root.json", Root)
    if not timestamp_path.exists():
        return RepositoryState(root=root)
    timestamp = _load(timestamp_path, Timestamp)
    snapshot = _load(folder / f"{timestamp.signed.snapshot_meta.version}.snapshot.json", Snapshot)
    targets_meta = snapshot.signed.meta.get(f"{TARGETS}.json")
    if targets_meta is None:
        raise RepositoryStateError(f"{folder}: snapshot v{snapshot.signed.version} lists no "
                                   "targets.json")
    targets = _load(folder / f"{targets_meta.version}.targets.json", Targets)
    return RepositoryState(root=root, timestamp=timestamp, snapshot=snapshot, targets=targets)


def _load(path: Path, role: type[T]) -> Metadata[T]:
    try:
        metadata: Metadata[T] = Metadata.from_file(str(path))
    except (StorageError, DeserializationError) as error:
        raise RepositoryStateError(f"{path}: cannot load {role.type} metadata ({error})") from error
    if metadata.signed.type != role.type:
        raise RepositoryStateError(f"{path}: contains {metadata.signed.type} metadata; "
                                   f"expected {role.type}")
    return metadata


@contextlib.contextmanager
def repository_lock(repo_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``repo_dir`` so that two publishes never interleave.

    The lock file sits beside the repository, not in it, so it is never served.
    Raises RepositoryBusyError at once if another process holds the lock.
    """
    # Imported here because fcntl exists only on POSIX systems: kiosks import
    # this package for the repository layout, and only publishing needs the lock.
    import fcntl

    repo_dir = repo_dir.absolute()
    repo_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = repo_dir.parent / f".{repo_dir.name}.lock"
    with lock_path.open("a+b") as lock_file:
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RepositoryBusyError(f"{repo_dir}: another publish is running "
                                      f"(lock {lock_path})") from error
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def install_files(repo_dir: Path, files: Sequence[RepositoryFile]) -> list[Path]:
    """Stage ``files``, then rename them into ``repo_dir`` phase by phase; return their paths.

    Call with :func:`repository_lock` held. Raises RepositoryWriteError when a
    file cannot be written or renamed. The staging folder is then removed and
    the files already renamed stay. Until ``timestamp.json`` is replaced, those
    files are not referenced, so the previous version is still served.
    """
    repo_dir = repo_dir.absolute()
    installed: list[Path] = []
    staging: Path | None = None
    try:
        repo_dir.mkdir(parents=True, exist_ok=True)
        staging_parent = _staging_parent(repo_dir)
        _remove_stale_staging(staging_parent, repo_dir.name)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(repo_dir.name),
                                        dir=staging_parent))
        for entry in files:
            _write_synced(staging / entry.path, entry.data)

        for phase in sorted({entry.phase for entry in files}):
            batch = [entry for entry in files if entry.phase == phase]
            for entry in batch:
                destination = repo_dir / entry.path
                destination.parent.mkdir(parents=True, exist_ok=True)
                move_into_place(staging / entry.path, destination)
                installed.append(destination)
            for folder in sorted({(repo_dir / entry.path).parent for entry in batch}):
                _fsync_dir(folder)
            logger.debug("Installed phase %s: %d files", phase.name, len(batch))
    except OSError as error:
        timestamp_installed = any(path.name == "timestamp.json" for path in installed)
        outcome = ("the new version is served, but later files are missing" if timestamp_installed
                   else "the previous version is still served")
        raise RepositoryWriteError(f"{repo_dir}: writing the new version failed after "
                                   f"{len(installed)} of {len(files)} files ({error}); "
                                   f"{outcome}") from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return installed


def move_into_place(source: Path, destination: Path) -> None:
    """Rename one staged file over its destination in a single atomic step."""
    os.replace(source, destination)


def _staging_prefix(name: str) -> str:
    return f".{name}.staging-"


def _staging_parent(repo_dir: Path) -> Path:
    # os.replace cannot cross file systems. When the repository is a mount
    # point the staging folder goes inside it instead, as a hidden folder that
    # no metadata refers to.
    if repo_dir.parent.stat().st_dev == repo_dir.stat().st_dev:
        return repo_dir.parent
    return repo_dir


def _remove_stale_staging(parent: Path, name: str) -> None:
    # Only called under the repository lock, so any staging folder found is
    # left over from a publish that crashed.
    for leftover in parent.glob(_staging_prefix(name) + "*"):
        logger.warning("Removing staging folder %s left by an interrupted publish", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    # Web servers run as another user; published files are public anyway.
    os.chmod(path, 0o644)


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
