"""Signing keys and the signed content repository writer; works without Django."""

from kiosk.publish.errors import (
    KeyFileError,
    KeyMismatchError,
    KeysExistError,
    PublishError,
    RepositoryBusyError,
    RepositoryStateError,
    RepositoryWriteError,
)
from kiosk.publish.keys import KeyInitResult, init_keys
from kiosk.publish.metadata import BUNDLE_TARGET, ExpiryPolicy
from kiosk.publish.repository import (
    BundleRejectedError,
    PublishResult,
    publish,
    renew,
    rotate_root,
)

__all__ = [
    "BUNDLE_TARGET",
    "BundleRejectedError",
    "ExpiryPolicy",
    "KeyFileError",
    "KeyInitResult",
    "KeyMismatchError",
    "KeysExistError",
    "PublishError",
    "PublishResult",
    "RepositoryBusyError",
    "RepositoryStateError",
    "RepositoryWriteError",
    "init_keys",
    "publish",
    "renew",
    "rotate_root",
]
