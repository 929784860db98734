"""Publish bundles to a signed TUF repository folder, renew its metadata and rotate its keys.

The folder is static: ``metadata/`` contains ``N.root.json``, ``root.json`` (a
copy of the newest root, the file to install on kiosks), ``N.targets.json``,
``N.snapshot.json`` and ``timestamp.json``; ``targets/`` contains the bundle and
any extra target files under hash-prefixed names. Any web server can serve it.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from securesystemslib.signer import Signer
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import Metadata, Root, TargetFile

from kiosk.content import ContentError, decode_document, parse_bundle, validate_document
from kiosk.content.loader import MAX_BUNDLE_BYTES
from kiosk.publish.errors import (
    KeyFileError,
    KeyMismatchError,
    PublishError,
    RepositoryStateError,
)
from kiosk.publish.keys import ONLINE_ROLES, ROLES, ROOT, has_key, load_signer
from kiosk.publish.metadata import (
    BUNDLE_TARGET,
    HASH_ALGORITHM,
    TARGETS_DIR,
    ExpiryPolicy,
    RepositoryFile,
    RepositoryState,
    bundle_target_file,
    check_target_path,
    new_root,
    next_root,
    online_metadata,
    roles_due_for_renewal,
    roles_to_sign,
    root_files,
    sign,
    target_file_entries,
    utc,
)
from kiosk.publish.storage import install_files, read_state, repository_lock

logger = logging.getLogger(__name__)

#: Largest extra target file accepted, in bytes.
MAX_EXTRA_TARGET_BYTES = 256 * 1024 * 1024


class BundleRejectedError(PublishError):
    """The bundle to publish is invalid; the message carries the content error."""


@dataclass(frozen=True)
class PublishResult:
    """The repository version in force after a publish, renewal or rotation."""

    repo_dir: Path
    #: Bundle version in force; 0 when no bundle was published yet.
    bundle_version: int
    root_version: int
    targets_version: int | None
    snapshot_version: int | None
    timestamp_version: int | None
    #: Expiry of the metadata now in force, by role.
    expires: Mapping[str, datetime]
    #: Files renamed into the repository, in the order they became visible.
    installed: tuple[Path, ...]
    #: The hash-prefixed bundle file, when this call published a bundle.
    bundle_path: Path | None = None
    #: Roles whose key a rotation replaced.
    replaced_roles: tuple[str, ...] = field(default=())


def publish(source: Path | Mapping[str, Any], repo_dir: Path, keys_dir: Path, *, now: datetime,
            expiry: ExpiryPolicy | None = None,
            extra_targets: Mapping[str, Path] | None = None) -> PublishResult:
    """Validate a bundle, give it the next version number and publish it with signed metadata.

    ``source`` is a bundle file or an already decoded bundle document; its own
    ``version`` is replaced by one more than the last published version.
    ``extra_targets`` maps target paths such as ``media/map.png`` to local
    files published beside the bundle. The first publish creates root
    metadata and needs the root key in ``keys_dir``; later ones need only the
    targets, snapshot and timestamp keys.

    Raises BundleRejectedError for an invalid bundle and another PublishError
    for key or repository problems. Only RepositoryWriteError comes after files
    were renamed into the repository, and its message says whether the previous
    version is still served.
    """
    now = utc(now)
    expiry = expiry or ExpiryPolicy()
    source_name = str(source) if isinstance(source, Path) else "bundle document"
    document = _load_document(source, source_name)
    extra = _read_extra_targets(extra_targets or {})

    with repository_lock(repo_dir):
        state = read_state(repo_dir)
        signers: dict[str, Signer] = {role: load_signer(keys_dir, role) for role in ONLINE_ROLES}
        files: list[RepositoryFile] = []
        root = state.root
        if root is None:
            root = _create_root(keys_dir, signers, now, expiry)
            files += root_files(root)
        _check_root_usable(root.signed, now)
        _check_signers_trusted(root.signed, signers, keys_dir)

        version = state.bundle_version + 1
        data = _bundle_bytes(document, version, now, source_name)
        targets: dict[str, tuple[TargetFile, bytes]] = {
            BUNDLE_TARGET: (bundle_target_file(data, version), data)}
        for path, content in extra.items():
            targets[path] = (TargetFile.from_data(path, content, [HASH_ALGORITHM]), content)

        files += target_file_entries(targets)
        files += online_metadata(state, roles=ONLINE_ROLES,
                                 targets={path: target for path, (target, _) in targets.items()},
                                 signers=signers, now=now, expiry=expiry)
        installed = install_files(repo_dir, files)
        bundle_file = targets[BUNDLE_TARGET][0].get_prefixed_paths()[0]
        result = _result(repo_dir, installed, bundle_path=repo_dir / TARGETS_DIR / bundle_file)

    logger.info("Published bundle version %d to %s (targets v%s, timestamp v%s)",
                result.bundle_version, repo_dir, result.targets_version, result.timestamp_version)
    return result


def renew(repo_dir: Path, keys_dir: Path, *, now: datetime,
          expiry: ExpiryPolicy | None = None) -> PublishResult:
    """Re-sign the online metadata so kiosks keep accepting the current bundle.

    Timestamp metadata is always re-signed; snapshot and targets metadata once
    less than half of their validity period is left. Run it from a scheduler
    well within the timestamp period (one day by default).
    """
    now = utc(now)
    expiry = expiry or ExpiryPolicy()
    with repository_lock(repo_dir):
        state = read_state(repo_dir)
        if not state.published or state.root is None:
            raise RepositoryStateError(f"{repo_dir}: nothing published yet; run publish first")
        _check_root_usable(state.root.signed, now)
        roles = roles_due_for_renewal(state, now, expiry)
        signers = {role: load_signer(keys_dir, role) for role in roles}
        _check_signers_trusted(state.root.signed, signers, keys_dir)
        files = online_metadata(state, roles=roles, targets=None, signers=signers, now=now,
                                expiry=expiry)
        installed = install_files(repo_dir, files)
        result = _result(repo_dir, installed)

    logger.info("Renewed %s metadata in %s", ", ".join(sorted(roles)), repo_dir)
    return result


def rotate_root(repo_dir: Path, keys_dir: Path, new_keys_dir: Path | None = None, *,
                now: datetime, expiry: ExpiryPolicy | None = None,
                root_keys_dir: Path | None = None) -> PublishResult:
    """Sign a new root version, replacing the key of every role that has a key in ``new_keys_dir``.

    The current root key is read from ``root_keys_dir`` (for example offline
    storage), or from ``keys_dir`` when that is not given. The new root is
    signed by the current root key and, when the root key is replaced, by the
    new one too, so kiosks that trust the current root accept the new one.
    When an online key is replaced, the metadata of that role and of the roles
    pointing at it is re-signed. The new key signs its own role, and keys not
    replaced are read from ``keys_dir``.
    Without ``new_keys_dir`` the root is only re-signed with a new expiry.
    """
    now = utc(now)
    expiry = expiry or ExpiryPolicy()
    with repository_lock(repo_dir):
        state = read_state(repo_dir)
        if state.root is None:
            raise RepositoryStateError(f"{repo_dir}: no root metadata yet; run publish first")
        current = state.root.signed
        root_folder = root_keys_dir or keys_dir
        root_signer = load_signer(root_folder, ROOT)
        _check_signers_trusted(current, {ROOT: root_signer}, root_folder)

        new_signers = _load_new_signers(new_keys_dir)
        replacements = {role: signer.public_key for role, signer in new_signers.items()
                        if signer.public_key.keyid not in current.roles[role].keyids}
        root_signers: list[Signer] = [root_signer]
        if ROOT in replacements:
            root_signers.append(new_signers[ROOT])
        root = sign(next_root(current, replacements, now, expiry), root_signers)
        _check_chain(current, root)
        files = root_files(root)

        online_replaced = set(replacements) & set(ONLINE_ROLES)
        # NOTE: kiosks fetch N.root.json as soon as it is installed, before the
        # re-signed timestamp.json replaces the old one a moment later. A kiosk
        # syncing in between, or after a crash between the two renames, reports
        # "tampered" and keeps its content until the next publish with the new keys.
        if online_replaced and state.published:
            roles = roles_to_sign(online_replaced)
            signers = {role: new_signers[role] if role in new_signers
                       else load_signer(keys_dir, role) for role in roles}
            _check_signers_trusted(root.signed, signers, keys_dir)
            files += online_metadata(state, roles=roles, targets=None, signers=signers,
                                     now=now, expiry=expiry)
        installed = install_files(repo_dir, files)
        result = _result(repo_dir, installed, replaced_roles=tuple(
            role for role in ROLES if role in replacements))

    logger.info("Root metadata v%d written to %s; replaced keys: %s", result.root_version,
                repo_dir, ", ".join(result.replaced_roles) or "none")
    return result


def _load_document(source: Path | Mapping[str, Any], source_name: str) -> dict[str, Any]:
    if isinstance(source, Path):
        try:
            with source.open("rb") as stream:
                data = stream.read(MAX_BUNDLE_BYTES + 1)
        except OSError as error:
            raise BundleRejectedError(f"{source}: cannot read the bundle: {error.strerror}") \
                from error
        try:
            document = decode_document(data, source_name)
        except ContentError as error:
            raise BundleRejectedError(str(error)) from error
    else:
        document = copy.deepcopy(dict(source))
    if not isinstance(document, dict):
        raise BundleRejectedError(f"{source_name}: $: not a JSON object")
    return document


def _bundle_bytes(document: dict[str, Any], version: int, now: datetime,
                  source_name: str) -> bytes:
    """Set the bundle version, validate the document and return the bytes to publish."""
    document = dict(document, version=version)
    try:
        validate_document(document, source_name)
        data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        bundle = parse_bundle(data, source_name)
    except ContentError as error:
        raise BundleRejectedError(str(error)) from error
    if bundle.expires_at <= now:
        raise BundleRejectedError(
            f"{source_name}: $.expires_at: bundle already expired "
            f"(got {document['expires_at']!r}); expected a time after {now.isoformat()}")
    return data


def _read_extra_targets(extra_targets: Mapping[str, Path]) -> dict[str, bytes]:
    result: dict[str, bytes] = {}
    for path, local in extra_targets.items():
        try:
            check_target_path(path)
        except ValueError as error:
            raise PublishError(str(error)) from error
        if path == BUNDLE_TARGET:
            raise PublishError(f"target path {path!r} is reserved for the bundle")
        try:
            with local.open("rb") as stream:
                data = stream.read(MAX_EXTRA_TARGET_BYTES + 1)
        except OSError as error:
            raise PublishError(f"{local}: cannot read target {path}: {error.strerror}") from error
        if len(data) > MAX_EXTRA_TARGET_BYTES:
            raise PublishError(f"{local}: target {path} is too large; expected at most "
                               f"{MAX_EXTRA_TARGET_BYTES} bytes")
        result[path] = data
    return result


def _create_root(keys_dir: Path, signers: Mapping[str, Signer], now: datetime,
                 expiry: ExpiryPolicy) -> Metadata[Root]:
    try:
        root_signer = load_signer(keys_dir, ROOT)
    except KeyFileError as error:
        raise KeyFileError(f"{error}; the first publish creates root metadata and needs "
                           "the root key") from error
    keys = {role: signer.public_key for role, signer in signers.items()}
    keys[ROOT] = root_signer.public_key
    logger.info("Creating root metadata v1 in a new repository")
    return sign(new_root(keys, now, expiry), [root_signer])


def _load_new_signers(new_keys_dir: Path | None) -> dict[str, Signer]:
    if new_keys_dir is None:
        return {}
    signers: dict[str, Signer] = {role: load_signer(new_keys_dir, role) for role in ROLES
                                  if has_key(new_keys_dir, role)}
    if not signers:
        raise KeyFileError(f"{new_keys_dir}: no key files found; expected one or more of "
                           + ", ".join(f"{role}.pem" for role in ROLES))
    return signers


def _check_root_usable(root: Root, now: datetime) -> None:
    if root.is_expired(now):
        raise RepositoryStateError(
            f"root metadata v{root.version} expired at {root.expires.isoformat()}, so kiosks "
            "reject everything signed under it; renew it with 'kiosk keys rotate' and the "
            "offline root key")


def _check_signers_trusted(root: Root, signers: Mapping[str, Signer], keys_dir: Path) -> None:
    for role, signer in signers.items():
        keyid = signer.public_key.keyid
        trusted = root.roles[role].keyids
        if keyid not in trusted:
            raise KeyMismatchError(
                f"{keys_dir / (role + '.pem')}: key {keyid[:16]} is not the {role} key that "
                f"root metadata v{root.version} trusts ({', '.join(k[:16] for k in trusted)}); "
                "use the keys folder of the last key rotation")


def _check_chain(current: Root, new: Metadata[Root]) -> None:
    """Verify that kiosks trusting ``current`` will accept ``new``, as they will check it."""
    try:
        current.verify_delegate(ROOT, new.signed_bytes, new.signatures)
        new.signed.verify_delegate(ROOT, new.signed_bytes, new.signatures)
    except UnsignedMetadataError as error:
        raise PublishError(f"new root v{new.signed.version} does not verify: {error}") from error


def _result(repo_dir: Path, installed: Collection[Path], *, bundle_path: Path | None = None,
            replaced_roles: tuple[str, ...] = ()) -> PublishResult:
    state: RepositoryState = read_state(repo_dir)
    if state.root is None:
        raise RepositoryStateError(f"{repo_dir}: root metadata vanished while publishing")
    expires = {ROOT: state.root.signed.expires}
    for role, metadata in (("timestamp", state.timestamp), ("snapshot", state.snapshot),
                           ("targets", state.targets)):
        if metadata is not None:
            expires[role] = metadata.signed.expires
    return PublishResult(
        repo_dir=repo_dir,
        bundle_version=state.bundle_version,
        root_version=state.root.signed.version,
        targets_version=state.targets.signed.version if state.targets else None,
        snapshot_version=state.snapshot.signed.version if state.snapshot else None,
        timestamp_version=state.timestamp.signed.version if state.timestamp else None,
        expires=expires,
        installed=tuple(installed),
        bundle_path=bundle_path,
        replaced_roles=replaced_roles,
    )
