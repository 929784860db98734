"""Signed content updates: fetch the bundle through TUF, validate it and install it atomically.

Each :meth:`ContentUpdater.sync` builds a fresh ``tuf.ngclient.Updater`` over a
metadata folder in the kiosk's data folder. That folder survives restarts, so
rollback protection keeps working across reboots, and every cycle bootstraps from the
trusted root installed with the kiosk, so a wiped folder is re-seeded from that
root and never from the server.

The cache it installs into is described in :mod:`kiosk.sync.store`: a
failed, partial or rejected update leaves the bundle in force untouched.
python-tuf has no offline mode; offline, ``sync`` reports a
network failure and the kiosk keeps showing the bundle named by the record.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, Root, Snapshot, Targets, Timestamp
from tuf.api.serialization import DeserializationError
from tuf.ngclient import Updater, UpdaterConfig

from kiosk.config import SyncConfig
from kiosk.content import ContentError, parse_bundle
from kiosk.content.model import Bundle
from kiosk.i18n.gettext import _
from kiosk.publish.metadata import BUNDLE_TARGET, METADATA_DIR, TARGETS_DIR
from kiosk.remote_settings import MAX_SETTINGS_BYTES, SETTINGS_TARGET
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.store import ContentStore, RecordError, VerifiedRecord
from kiosk.sync.tuf_fetcher import DisallowedUrlError, HttpClientFetcher, ValidatedCopy

logger = logging.getLogger(__name__)

#: Largest trusted root file read, in bytes; the same bound python-tuf puts on downloaded roots.
MAX_ROOT_BYTES = UpdaterConfig().root_max_length


class SyncErrorCategory(enum.Enum):
    """Reason a content update was rejected, for the maintenance view and the heartbeat."""

    #: A signature, hash or length does not match the signed metadata.
    TAMPERED = "tampered"
    #: The repository offers older versions than the kiosk already trusts.
    ROLLBACK = "rollback"
    #: Signed metadata has expired: a freeze attack, a publisher that stopped
    #: renewing, or a wrong kiosk clock.
    EXPIRED = "expired"
    #: A file is larger than its signed length or than ``sync.max_bundle_bytes``.
    TOO_LARGE = "too_large"
    #: The verified bundle fails content validation.
    INVALID_CONTENT = "invalid_content"
    #: The server sent something that is not TUF metadata, such as an HTML page.
    INVALID_METADATA = "invalid_metadata"
    #: The repository could not be reached or the download failed.
    NETWORK = "network"
    #: The kiosk's own disk could not be read or written.
    STORAGE = "storage"
    #: The trusted root or the repository URL is missing, unreadable or not allowed.
    CONFIGURATION = "configuration"


@dataclass(frozen=True)
class SyncFailure:
    """The reason one sync cycle installed nothing."""

    category: SyncErrorCategory
    message: str


class ContentSyncError(Exception):
    """A sync step failed for a reason with a known category."""

    def __init__(self, category: SyncErrorCategory, message: str) -> None:
        super().__init__(message)
        self.category = category


@dataclass(frozen=True)
class ContentSyncResult:
    """The outcome of one sync cycle."""

    checked_at: datetime
    #: The verified bundle in force after this cycle, or ``None`` when there is none.
    current: VerifiedRecord | None
    #: The bundle this cycle installed; ``None`` when nothing changed or the cycle failed.
    installed: Bundle | None = None
    failure: SyncFailure | None = None
    #: Verified ``kiosk-settings.json`` bytes, when the repository lists that target.
    settings: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def changed(self) -> bool:
        return self.installed is not None

    @property
    def content_expired(self) -> bool:
        """Whether the bundle in force is past its own ``expires_at`` ("may be out of date").

        This is the bundle's expiry, separate from TUF metadata expiry, which
        fails a cycle with :attr:`SyncErrorCategory.EXPIRED`.
        """
        return self.current is not None and self.current.expires_at <= self.checked_at


def classify_error(error: BaseException) -> SyncErrorCategory:
    """Map an error raised during a sync cycle to the category reported for it."""
    match error:
        case ContentSyncError():
            return error.category
        case ContentError():
            return SyncErrorCategory.INVALID_CONTENT
        case DeserializationError():
            return SyncErrorCategory.INVALID_METADATA
        case tuf_errors.BadVersionNumberError():
            return SyncErrorCategory.ROLLBACK
        case tuf_errors.ExpiredMetadataError():
            return SyncErrorCategory.EXPIRED
        case tuf_errors.UnsignedMetadataError() | tuf_errors.LengthOrHashMismatchError():
            return SyncErrorCategory.TAMPERED
        case tuf_errors.RepositoryError():
            # The remaining checks: wrong metadata type, roles missing from
            # snapshot. Each means the files do not match what was signed.
            return SyncErrorCategory.TAMPERED
        case tuf_errors.DownloadLengthMismatchError():
            return SyncErrorCategory.TOO_LARGE
        case DisallowedUrlError():
            return SyncErrorCategory.CONFIGURATION
        case tuf_errors.DownloadError():
            return SyncErrorCategory.NETWORK
        case OSError():
            return SyncErrorCategory.STORAGE
    raise TypeError(f"no sync error category for {type(error).__name__}") from error


_CATEGORY_TEXT = {
    SyncErrorCategory.TAMPERED: "content failed verification",
    SyncErrorCategory.ROLLBACK: "repository offers older versions than already trusted",
    SyncErrorCategory.EXPIRED: "signed metadata expired (freeze, no renewal, or wrong clock)",
    SyncErrorCategory.TOO_LARGE: "download too large",
    SyncErrorCategory.INVALID_CONTENT: "verified bundle is invalid",
    SyncErrorCategory.INVALID_METADATA: "server sent invalid metadata",
    SyncErrorCategory.NETWORK: "repository unreachable",
    SyncErrorCategory.STORAGE: "cannot read or write the content cache",
    SyncErrorCategory.CONFIGURATION: "content sync is misconfigured",
}

_KNOWN_ERRORS = (ContentSyncError, ContentError, tuf_errors.RepositoryError,
                 tuf_errors.DownloadError, OSError)


@dataclass(frozen=True)
class MetadataDamage:
    """A cached TUF metadata file that python-tuf cannot use, and what is wrong with it."""

    path: Path
    problem: str


def _max_metadata_bytes(role_type: str, limits: UpdaterConfig) -> int:
    return {Root.type: limits.root_max_length, Timestamp.type: limits.timestamp_max_length,
            Snapshot.type: limits.snapshot_max_length}.get(role_type, limits.targets_max_length)


def metadata_problem(data: bytes, role_type: str, max_bytes: int) -> str | None:
    """Return what makes ``data`` unusable as cached ``role_type`` metadata, or None when it parses.

    Only the form is checked: signatures, versions and expiry are python-tuf's
    to judge. ``data`` may hold one byte more than ``max_bytes``, which marks
    a file over the limit.
    """
    if not data:
        return "empty file (0 bytes)"
    if len(data) > max_bytes:
        return f"larger than {max_bytes} bytes, the limit for {role_type} metadata"
    try:
        metadata = Metadata.from_bytes(data)
    except DeserializationError as error:
        cause = error.__cause__
        detail = f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
        return f"not valid TUF metadata ({len(data)} bytes): {detail}"
    if metadata.signed.type != role_type:
        return f"contains {metadata.signed.type} metadata, expected {role_type}"
    return None


def find_damaged_metadata(metadata_dir: Path, limits: UpdaterConfig) -> list[MetadataDamage]:
    """Check every metadata file that python-tuf reads from ``metadata_dir``; return the damaged ones.

    python-tuf reads ``<role>.json`` for timestamp, snapshot, targets and
    delegated targets roles, and ``root_history/<version>.root.json`` for newer
    roots. The ``root.json`` symbolic link is skipped, because its target in
    ``root_history`` is checked; a regular file in its place is checked.
    """
    candidates: list[tuple[Path, str]] = []
    if metadata_dir.is_dir():
        for path in sorted(metadata_dir.glob("*.json")):
            if path.is_symlink():
                continue
            role = path.stem
            role_type = role if role in {Root.type, Timestamp.type, Snapshot.type} else Targets.type
            candidates.append((path, role_type))
    history = metadata_dir / "root_history"
    if history.is_dir():
        candidates.extend((path, Root.type) for path in sorted(history.glob("*.root.json")))

    damaged = []
    for path, role_type in candidates:
        max_bytes = _max_metadata_bytes(role_type, limits)
        try:
            with path.open("rb") as stream:
                data = stream.read(max_bytes + 1)
        except OSError as error:
            damaged.append(MetadataDamage(path, f"cannot read: {error.strerror}"))
            continue
        problem = metadata_problem(data, role_type, max_bytes)
        if problem is not None:
            damaged.append(MetadataDamage(path, problem))
    return damaged


class ContentUpdater:
    """Fetch, verify and install signed content bundles; one sync at a time, from any one thread.

    ``config.repository_url`` is the repository's base URL (the folder holding
    ``metadata/`` and ``targets/``) and ``config.trusted_root`` the root
    metadata installed with the kiosk.
    """

    def __init__(self, config: SyncConfig, data_dir: Path, http_client: HttpClient,
                 target_path: str = BUNDLE_TARGET) -> None:
        if not config.repository_url:
            raise ValueError("sync.repository_url is empty; set it to the content repository URL")
        if config.trusted_root is None:
            raise ValueError("sync.trusted_root is not set; point it at the installed root.json")
        self._config = config
        self._trusted_root = config.trusted_root
        self._client = http_client
        self._target_path = target_path
        base = config.repository_url.rstrip("/")
        self._metadata_url = f"{base}/{METADATA_DIR}/"
        self._targets_url = f"{base}/{TARGETS_DIR}/"
        self._store = ContentStore(data_dir)
        self._current: VerifiedRecord | None = None
        self._current_loaded = False
        self._settings: bytes | None = None
        # timestamp.json as the last successful refresh accepted it, so that
        # the next refresh can request it conditionally.
        self._accepted_timestamp: ValidatedCopy | None = None
        # Damaged metadata files already logged at WARNING, so that a file that
        # stays damaged while the repository is unreachable is not logged at
        # that level on every cycle.
        self._reported_damage: set[MetadataDamage] = set()

    @property
    def store(self) -> ContentStore:
        return self._store

    def sync(self, now: datetime) -> ContentSyncResult:
        """Run one update cycle and return its outcome.

        Network, repository, content and disk errors come back as the result's
        ``failure`` instead of being raised. ``now`` is the kiosk's clock: it
        decides metadata expiry and is stored as ``verified_at``.
        """
        if now.tzinfo is None:
            raise ValueError(f"now must carry a UTC offset, got {now.isoformat()}")
        incoming: Path | None = None
        try:
            self._store.prepare()
            current = self._current_record()
            incoming = self._store.new_incoming()
            installed = self._update(now, current, incoming)
        except _KNOWN_ERRORS as error:
            category = classify_error(error)
            message = f"{_CATEGORY_TEXT[category]}: {error}"
            logger.warning("Content sync from %s failed (%s): %s", self._config.repository_url,
                           category.value, error)
            return ContentSyncResult(now, self._current, failure=SyncFailure(category, message))
        finally:
            if incoming is not None:
                incoming.unlink(missing_ok=True)

        if installed is None and self._current is not None:
            logger.debug("Content version %d is current", self._current.version)
        return ContentSyncResult(now, self._current, installed=installed,
                                 settings=self._settings)

    def _current_record(self) -> VerifiedRecord | None:
        # The bundle file is hashed once per process; afterwards only this
        # object writes the cache, so the record in memory stays right.
        if not self._current_loaded:
            try:
                record = self._store.read_record()
                if record is not None:
                    self._store.read_bundle_bytes(record)
            except RecordError as error:
                logger.warning("Cached content is unusable and will be downloaded again: %s", error)
                record = None
            self._current = record
            self._current_loaded = True
        return self._current

    def _report_damaged_metadata(self) -> None:
        """Log each damaged cached metadata file once per updater, at WARNING.

        python-tuf 7.0.1 ignores a local metadata file that does not load and
        downloads the role again, logging that only at DEBUG and without the
        path. The repair is left to python-tuf.
        """
        damaged = find_damaged_metadata(self._store.metadata_dir, UpdaterConfig())
        for damage in damaged:
            if damage in self._reported_damage:
                logger.debug("Cached TUF metadata %s is still damaged: %s", damage.path, damage.problem)
                continue
            logger.warning("Cached TUF metadata %s is damaged: %s; python-tuf ignores the file and "
                           "loads the role from the repository or the installed root instead",
                           damage.path, damage.problem)
        self._reported_damage = set(damaged)

    def _update(self, now: datetime, current: VerifiedRecord | None,
                incoming: Path) -> Bundle | None:
        self._report_damaged_metadata()
        updater, fetcher = self._new_updater(now)
        try:
            updater.refresh()
        except BaseException:
            self._accepted_timestamp = None
            raise
        self._accepted_timestamp = fetcher.latest
        self._settings = self._download_settings(updater, incoming.with_suffix(".settings"))
        target = updater.get_targetinfo(self._target_path)
        if target is None:
            raise ContentSyncError(SyncErrorCategory.INVALID_METADATA,
                                   f"signed targets metadata lists no {self._target_path}")
        if target.length > self._config.max_bundle_bytes:
            raise ContentSyncError(
                SyncErrorCategory.TOO_LARGE,
                f"{self._target_path} is {target.length} bytes; sync.max_bundle_bytes allows "
                f"{self._config.max_bundle_bytes}")
        sha256 = target.hashes.get("sha256")
        if sha256 is None:
            raise ContentSyncError(SyncErrorCategory.INVALID_METADATA,
                                   f"signed metadata gives no sha256 for {self._target_path}")
        if current is not None and current.sha256 == sha256 and current.length == target.length:
            return None

        updater.download_target(target, filepath=str(incoming))
        with incoming.open("rb") as stream:
            data = stream.read(target.length + 1)
        # python-tuf checked the hash on its temporary copy; this checks the file
        # that gets installed.
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ContentSyncError(SyncErrorCategory.TAMPERED,
                                   f"{incoming}: bytes on disk do not match the signed sha256")

        source = f"{self._targets_url}{self._target_path} (sha256 {sha256[:12]})"
        bundle = parse_bundle(data, source)
        _check_not_older(bundle, sha256, current)
        record = VerifiedRecord(version=bundle.version, sha256=sha256, length=len(data),
                                verified_at=now, published_at=bundle.published_at,
                                expires_at=bundle.expires_at)
        self._store.install(incoming, record)
        self._current = record
        logger.info("Installed verified content version %d (sha256 %s)", bundle.version, sha256)
        return bundle

    def _download_settings(self, updater: Updater, path: Path) -> bytes | None:
        """Download the verified per-kiosk settings target, if the repository has one."""
        target = updater.get_targetinfo(SETTINGS_TARGET)
        if target is None:
            return None
        if target.length > MAX_SETTINGS_BYTES:
            raise ContentSyncError(SyncErrorCategory.TOO_LARGE,
                                   f"{SETTINGS_TARGET} is {target.length} bytes; at most "
                                   f"{MAX_SETTINGS_BYTES} are accepted")
        try:
            updater.download_target(target, filepath=str(path))
            return path.read_bytes()
        finally:
            path.unlink(missing_ok=True)

    def _new_updater(self, now: datetime) -> tuple[Updater, HttpClientFetcher]:
        try:
            with self._trusted_root.open("rb") as stream:
                root = stream.read(MAX_ROOT_BYTES + 1)
        except OSError as error:
            raise ContentSyncError(SyncErrorCategory.CONFIGURATION,
                                   f"{self._trusted_root}: cannot read the trusted root: "
                                   f"{error.strerror}") from error
        if len(root) > MAX_ROOT_BYTES:
            raise ContentSyncError(SyncErrorCategory.CONFIGURATION,
                                   f"{self._trusted_root}: larger than {MAX_ROOT_BYTES} bytes")

        limits = UpdaterConfig()
        max_bytes = max(self._config.max_bundle_bytes, limits.targets_max_length)
        fetcher = HttpClientFetcher(self._client, max_bytes,
                                    conditional_url=f"{self._metadata_url}timestamp.json",
                                    conditional_max_bytes=limits.timestamp_max_length,
                                    accepted=self._accepted_timestamp)
        try:
            updater = Updater(str(self._store.metadata_dir), self._metadata_url,
                              target_base_url=self._targets_url, fetcher=fetcher,
                              bootstrap=root)
        except tuf_errors.RepositoryError as error:
            raise ContentSyncError(SyncErrorCategory.CONFIGURATION,
                                   f"{self._trusted_root}: not valid root metadata: {error}") \
                from error
        _pin_reference_time(updater, now)
        return updater, fetcher


def _check_not_older(bundle: Bundle, sha256: str, current: VerifiedRecord | None) -> None:
    """Reject a bundle older than the one in force, even when TUF accepted its metadata.

    TUF's rollback protection rests on the metadata cache; after that cache is
    wiped, an old but unexpired repository would verify again. The record of
    the bundle in force still catches it.
    """
    if current is None:
        return
    if bundle.version < current.version:
        raise ContentSyncError(SyncErrorCategory.ROLLBACK,
                               f"bundle version {bundle.version} is older than version "
                               f"{current.version} in force")
    if bundle.version == current.version and sha256 != current.sha256:
        raise ContentSyncError(SyncErrorCategory.ROLLBACK,
                               f"bundle version {bundle.version} differs from the installed "
                               "bundle of the same version")


def _pin_reference_time(updater: Updater, now: datetime) -> None:
    # NOTE: python-tuf 7.0.1 has no parameter for the time that metadata expiry
    # is checked against; TrustedMetadataSet reads the wall clock into
    # ``reference_time`` when the Updater is built. Setting that private
    # attribute makes the injected ``now`` decide. If a later release drops
    # it, expiry falls back to the system clock and the wrong-clock tests fail.
    trusted_set = getattr(updater, "_trusted_set", None)
    if trusted_set is None or not hasattr(trusted_set, "reference_time"):
        logger.warning("python-tuf offers no reference_time; metadata expiry is checked "
                       "against the system clock")
        return
    trusted_set.reference_time = now.astimezone(UTC)


def sync_content_once(repo_url: str, root_json: Path, data_dir: Path, *,
                      now: datetime | None = None) -> ContentSyncResult:
    """Run one sync cycle against ``repo_url`` with ``root_json`` as the trusted root.

    For the ``kiosk sync --once`` command: the repository host is allowed for
    this call alone. ``now`` defaults to the system clock.
    """
    host = (urlsplit(repo_url).hostname or "").lower()
    config = SyncConfig(repository_url=repo_url, trusted_root=root_json,
                        allowed_hosts=(host,) if host else ())
    with HttpClient(config, USER_AGENT) as client:
        updater = ContentUpdater(config, data_dir, client)
        return updater.sync(now or datetime.now(UTC))


def describe_sync_result(result: ContentSyncResult) -> str:
    """Describe a sync result for an operator, in the operator's language."""
    if result.current is None:
        in_force = _("No verified content is installed.")
    else:
        in_force = _("Content version {version} is in force (verified {verified_at}, "
                     "expires {expires_at}).").format(
            version=result.current.version,
            verified_at=result.current.verified_at.isoformat(timespec="seconds"),
            expires_at=result.current.expires_at.isoformat(timespec="seconds"))
    if result.failure is not None:
        failed = _("Sync failed ({category}): {message}").format(
            category=result.failure.category.value, message=result.failure.message)
        return f"{failed}\n{in_force}"
    if result.changed:
        return _("Installed new content.") + "\n" + in_force
    return _("Content is up to date.") + "\n" + in_force
