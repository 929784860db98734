"""Build and sign the next TUF metadata of the content repository, without touching the disk.

The repository uses one Ed25519 key and a threshold of 1 per top-level role,
consistent snapshots (versioned metadata names and hash-prefixed target files)
and sha256 hashes with lengths for every file one metadata file points at.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from securesystemslib.signer import Key, Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    T,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from kiosk.publish.keys import ONLINE_ROLES, ROLES, SNAPSHOT, TARGETS, TIMESTAMP

#: Target path of the content bundle in every published version.
BUNDLE_TARGET = "bundle.json"
#: Folders of the repository, relative to its base URL.
METADATA_DIR = "metadata"
TARGETS_DIR = "targets"
HASH_ALGORITHM = "sha256"

#: Up to eight path segments of letters, digits, ".", "_" and "-", each starting alphanumeric.
_TARGET_PATH = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}$")

@dataclass(frozen=True)
class ExpiryPolicy:
    """How long newly signed metadata of each role stays valid."""

    timestamp: timedelta = timedelta(days=1)
    snapshot: timedelta = timedelta(days=7)
    targets: timedelta = timedelta(days=30)
    root: timedelta = timedelta(days=365)

    def __post_init__(self) -> None:
        for role in ROLES:
            period = getattr(self, role)
            if period <= timedelta(0):
                raise ValueError(f"{role} expiry must be positive, got {period}")

    def period(self, role: str) -> timedelta:
        """Return the validity period of ``role``."""
        period: timedelta = getattr(self, role)
        return period


class Phase(enum.IntEnum):
    """When a file becomes visible during a publish; lower phases are installed first.

    A kiosk reads ``timestamp.json`` first and follows it to versioned files, so
    every file that the new ``timestamp.json`` points to is in place before it
    is replaced, and the previous version stays complete until that moment.
    Kiosks probe ``N.root.json`` directly, so a new root becomes visible as soon
    as it is installed.
    """

    TARGET_FILES = 1
    ONLINE_METADATA = 2
    ROOT = 3
    TIMESTAMP = 4
    ROOT_ALIAS = 5


@dataclass(frozen=True)
class RepositoryFile:
    """One file of a new repository version, relative to the repository folder."""

    path: str
    data: bytes
    phase: Phase


@dataclass(frozen=True)
class RepositoryState:
    """The metadata that ``timestamp.json`` currently points at, and the newest root."""

    root: Metadata[Root] | None = None
    timestamp: Metadata[Timestamp] | None = None
    snapshot: Metadata[Snapshot] | None = None
    targets: Metadata[Targets] | None = None

    @property
    def published(self) -> bool:
        """Whether a complete version (timestamp, snapshot and targets) exists."""
        return self.timestamp is not None and self.snapshot is not None and self.targets is not None

    @property
    def bundle_version(self) -> int:
        """Return the bundle version last published, or 0 when none was."""
        if self.targets is None:
            return 0
        target = self.targets.signed.targets.get(BUNDLE_TARGET)
        if target is None:
            return 0
        custom = target.custom if isinstance(target.custom, dict) else {}
        version = custom.get("bundle_version", 0)
        return version if isinstance(version, int) and not isinstance(version, bool) else 0


def check_target_path(path: str) -> None:
    """Raise ValueError unless ``path`` is a safe relative target path such as ``media/map.png``."""
    if not _TARGET_PATH.match(path) or any(part in {".", ".."} for part in path.split("/")):
        raise ValueError(f"invalid target path {path!r}; expected relative path segments of "
                         "letters, digits, '.', '_' and '-', such as media/map.png")


def utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, as TUF metadata stores expiry times; naive times are rejected."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time without a UTC offset: {moment.isoformat()}")
    return moment.astimezone(UTC)


def serialize(metadata: Metadata[Any]) -> bytes:
    """Serialize metadata as indented JSON, the bytes that get hashed and served."""
    return metadata.to_bytes(JSONSerializer(compact=False))


def sign(signed: T, signers: Collection[Signer]) -> Metadata[T]:
    """Wrap ``signed`` in metadata carrying one signature from each signer."""
    metadata = Metadata(signed)
    for signer in signers:
        metadata.sign(signer, append=True)
    return metadata


def new_root(keys: Mapping[str, Key], now: datetime, expiry: ExpiryPolicy) -> Root:
    """Build root version 1 trusting one key per top-level role."""
    root = Root(version=1, expires=utc(now) + expiry.root, consistent_snapshot=True,
                roles={role: Role([], threshold=1) for role in ROLES})
    for role in ROLES:
        root.add_key(keys[role], role)
    return root


def next_root(current: Root, replacements: Mapping[str, Key], now: datetime,
              expiry: ExpiryPolicy) -> Root:
    """Build the next root version, with each role in ``replacements`` trusting only its new key."""
    # to_dict() shares the role key id lists with ``current``, so copy them
    # before revoking keys.
    root = Root.from_dict(copy.deepcopy(current.to_dict()))
    root.version = current.version + 1
    root.expires = utc(now) + expiry.root
    for role, key in replacements.items():
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        root.add_key(key, role)
    return root


def root_files(root: Metadata[Root]) -> list[RepositoryFile]:
    """Return the versioned root file and the ``root.json`` copy for installing on kiosks."""
    data = serialize(root)
    return [
        RepositoryFile(f"{METADATA_DIR}/{root.signed.version}.root.json", data, Phase.ROOT),
        RepositoryFile(f"{METADATA_DIR}/root.json", data, Phase.ROOT_ALIAS),
    ]


def bundle_target_file(data: bytes, bundle_version: int) -> TargetFile:
    """Describe the bundle bytes as a target, recording the bundle version as custom data."""
    target = TargetFile.from_data(BUNDLE_TARGET, data, [HASH_ALGORITHM])
    target.unrecognized_fields["custom"] = {"bundle_version": bundle_version}
    return target


def target_file_entries(targets: Mapping[str, tuple[TargetFile, bytes]]) -> list[RepositoryFile]:
    """Return the hash-prefixed file of each target, as consistent snapshots name them."""
    files = []
    for target, data in targets.values():
        prefixed = target.get_prefixed_paths()[0]
        files.append(RepositoryFile(f"{TARGETS_DIR}/{prefixed}", data, Phase.TARGET_FILES))
    return files


def roles_to_sign(requested: Collection[str]) -> set[str]:
    """Add the roles that point at ``requested``: targets needs snapshot, which needs timestamp."""
    unknown = set(requested) - set(ONLINE_ROLES)
    if unknown:
        raise ValueError(f"not online roles: {', '.join(sorted(unknown))}")
    roles = set(requested) | {TIMESTAMP}
    if TARGETS in roles:
        roles.add(SNAPSHOT)
    return roles


def online_metadata(state: RepositoryState, *, roles: Collection[str],
                    targets: Mapping[str, TargetFile] | None,
                    signers: Mapping[str, Signer], now: datetime,
                    expiry: ExpiryPolicy) -> list[RepositoryFile]:
    """Sign new versions of the online roles in ``roles`` (closed with :func:`roles_to_sign`).

    ``targets`` replaces the target list; ``None`` keeps the current one. Each
    new version number is one more than the current one. Raises ValueError when
    a role outside ``roles`` would have to point at metadata that does not exist.
    """
    roles = roles_to_sign(roles)
    now = utc(now)
    files: list[RepositoryFile] = []

    if TARGETS in roles:
        previous_targets = state.targets.signed if state.targets else None
        target_map = dict(targets) if targets is not None else (
            dict(previous_targets.targets) if previous_targets else None)
        if target_map is None:
            raise ValueError("nothing published yet, so there is no target list to re-sign")
        new_targets = Targets(version=(previous_targets.version + 1) if previous_targets else 1,
                              expires=now + expiry.targets, targets=target_map)
        data = serialize(sign(new_targets, [signers[TARGETS]]))
        files.append(RepositoryFile(f"{METADATA_DIR}/{new_targets.version}.targets.json", data,
                                    Phase.ONLINE_METADATA))
        targets_meta = MetaFile.from_data(new_targets.version, data, [HASH_ALGORITHM])
    elif state.snapshot is not None:
        targets_meta = state.snapshot.signed.meta[f"{TARGETS}.json"]
    else:
        raise ValueError("no snapshot published yet, so targets metadata must be signed too")

    if SNAPSHOT in roles:
        version = (state.snapshot.signed.version + 1) if state.snapshot else 1
        new_snapshot = Snapshot(version=version, expires=now + expiry.snapshot,
                                meta={f"{TARGETS}.json": targets_meta})
        data = serialize(sign(new_snapshot, [signers[SNAPSHOT]]))
        files.append(RepositoryFile(f"{METADATA_DIR}/{version}.snapshot.json", data,
                                    Phase.ONLINE_METADATA))
        snapshot_meta = MetaFile.from_data(version, data, [HASH_ALGORITHM])
    elif state.timestamp is not None:
        snapshot_meta = state.timestamp.signed.snapshot_meta
    else:
        raise ValueError("no timestamp published yet, so snapshot metadata must be signed too")

    version = (state.timestamp.signed.version + 1) if state.timestamp else 1
    new_timestamp = Timestamp(version=version, expires=now + expiry.timestamp,
                              snapshot_meta=snapshot_meta)
    files.append(RepositoryFile(f"{METADATA_DIR}/timestamp.json",
                                serialize(sign(new_timestamp, [signers[TIMESTAMP]])),
                                Phase.TIMESTAMP))
    return files


def roles_due_for_renewal(state: RepositoryState, now: datetime,
                          expiry: ExpiryPolicy) -> set[str]:
    """Pick the online roles to re-sign: timestamp always, others once half their period is left.

    Re-signing at half the period leaves kiosks valid metadata for the other
    half even if the next scheduled renewal fails.
    """
    now = utc(now)
    due = {TIMESTAMP}
    for role, metadata in ((SNAPSHOT, state.snapshot), (TARGETS, state.targets)):
        if metadata is None or metadata.signed.expires - now < expiry.period(role) / 2:
            due.add(role)
    return roles_to_sign(due)
