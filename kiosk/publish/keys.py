"""Signing keys for the content repository: one Ed25519 private key per TUF role, as PEM files.

A keys folder contains ``root.pem``, ``targets.pem``, ``snapshot.pem`` and
``timestamp.pem`` (PKCS#8, unencrypted), readable by the owner only. The root
key signs only root metadata, so it can live offline and come back for a key
rotation; the other three sign every publish and stay on the publishing host.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner

from kiosk.publish.errors import KeyFileError, KeysExistError

logger = logging.getLogger(__name__)

ROOT = "root"
TARGETS = "targets"
SNAPSHOT = "snapshot"
TIMESTAMP = "timestamp"
ROLES = (ROOT, TARGETS, SNAPSHOT, TIMESTAMP)
#: Roles whose key signs only root metadata and belongs in offline storage.
OFFLINE_ROLES = (ROOT,)
#: Roles whose key signs every publish.
ONLINE_ROLES = (TARGETS, SNAPSHOT, TIMESTAMP)

KEY_FILE_MODE = 0o600
KEYS_DIR_MODE = 0o700
#: Largest key file read; an Ed25519 PKCS#8 PEM file is 119 bytes.
MAX_KEY_FILE_BYTES = 16 * 1024


@dataclass(frozen=True)
class KeyInitResult:
    """The key files written by :func:`init_keys`, by role."""

    keys_dir: Path
    #: Keys to move to offline storage once the first publish is done.
    offline: dict[str, Path]
    #: Keys the publishing host needs for every publish.
    online: dict[str, Path]
    #: TUF key id of each new key.
    keyids: dict[str, str]


def key_path(keys_dir: Path, role: str) -> Path:
    """Return the private key file of ``role`` in ``keys_dir``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return keys_dir / f"{role}.pem"


def init_keys(keys_dir: Path, roles: Iterable[str] = ROLES) -> KeyInitResult:
    """Generate a new Ed25519 key for each role in ``roles`` and write it to ``keys_dir``.

    The folder is created (or tightened) to mode 0700 and each key file is
    created with mode 0600. Raises KeysExistError, before writing anything, if
    any of the key files already exists.
    """
    roles = tuple(dict.fromkeys(roles))
    paths = {role: key_path(keys_dir, role) for role in roles}
    if not roles:
        raise ValueError("no roles given; expected at least one of " + ", ".join(ROLES))

    keys_dir.mkdir(mode=KEYS_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(keys_dir, KEYS_DIR_MODE)
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing:
        raise KeysExistError(
            "key files already exist and are never overwritten: " + ", ".join(existing)
            + "; choose an empty folder")

    written: list[Path] = []
    keyids: dict[str, str] = {}
    try:
        for role, path in paths.items():
            signer = CryptoSigner.generate_ed25519()
            _write_new_file(path, signer.private_bytes)
            written.append(path)
            keyids[role] = signer.public_key.keyid
            logger.info("Generated %s key %s in %s", role, signer.public_key.keyid, path)
    except BaseException:
        # Leave no half-initialised key set behind; only files created here are removed.
        for path in written:
            path.unlink(missing_ok=True)
        raise
    _fsync_dir(keys_dir)

    return KeyInitResult(
        keys_dir=keys_dir,
        offline={role: path for role, path in paths.items() if role in OFFLINE_ROLES},
        online={role: path for role, path in paths.items() if role in ONLINE_ROLES},
        keyids=keyids,
    )


def _write_new_file(path: Path, data: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError as error:
        raise KeysExistError(f"{path}: key file appeared while keys were generated; "
                             "it was not overwritten") from error
    with os.fdopen(descriptor, "wb") as stream:
        # The mode passed to os.open is reduced by the umask, never widened, but
        # a umask cannot take away owner read/write, so chmod only confirms it.
        os.fchmod(stream.fileno(), KEY_FILE_MODE)
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def has_key(keys_dir: Path, role: str) -> bool:
    """Return whether ``keys_dir`` contains a private key file for ``role``."""
    return key_path(keys_dir, role).is_file()


def load_signer(keys_dir: Path, role: str) -> CryptoSigner:
    """Load the private key of ``role`` from ``keys_dir`` as a signer.

    Raises KeyFileError naming the file when it is missing, unreadable, too
    large or not an unencrypted Ed25519 PEM private key. A key file that group
    or others can read is used, with a warning.
    """
    path = key_path(keys_dir, role)
    try:
        with path.open("rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            data = stream.read(MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError as error:
        raise KeyFileError(f"{path}: {role} key not found; expected the {role}.pem file "
                           "written by 'kiosk keys init'") from error
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read the {role} key: {error.strerror}") from error

    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path}: file too large for a key; expected at most "
                           f"{MAX_KEY_FILE_BYTES} bytes")
    if stat.S_IMODE(mode) & 0o077:
        logger.warning("Key file %s has mode %o; group and others should have no access "
                       "(run chmod 600)", path, stat.S_IMODE(mode))
    try:
        private_key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key ({error})") from error
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: {type(private_key).__name__} key found; expected Ed25519")
    return CryptoSigner(private_key)
