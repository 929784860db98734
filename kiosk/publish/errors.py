"""Errors raised while managing signing keys and writing the signed repository."""

from __future__ import annotations


class PublishError(Exception):
    """Publishing failed.

    Every publish error except RepositoryWriteError is raised before the
    repository changes, so the previous version is still served.
    """


class KeyFileError(PublishError):
    """A private key file is missing, unreadable or not an Ed25519 PEM key."""


class KeysExistError(PublishError):
    """Key generation would overwrite existing key files."""


class KeyMismatchError(PublishError):
    """A private key is not the one the repository's root metadata trusts for its role."""


class RepositoryStateError(PublishError):
    """The repository on disk is missing, unreadable or inconsistent."""


class RepositoryBusyError(PublishError):
    """Another process is writing the same repository."""


class RepositoryWriteError(PublishError):
    """Writing new files into the repository failed part way."""
