"""End-to-end tests of signed content: publish a repository, serve it on loopback, sync a kiosk.

Every attack test checks two things: the error category reported, and that the
bundle in force on the kiosk is exactly the one verified before the attack.
"""

from __future__ import annotations

import errno
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.signer import CryptoSigner
from test_publish_support import (
    NOW,
    RepositoryServer,
    copy_repository,
    sample_document,
    send_bytes,
    send_endless,
    send_trickle,
)
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata
from tuf.api.serialization import DeserializationError

from kiosk.config import SyncConfig
from kiosk.content import ContentError
from kiosk.publish import (
    BUNDLE_TARGET,
    ExpiryPolicy,
    RepositoryWriteError,
    init_keys,
    publish,
    renew,
    rotate_root,
)
from kiosk.publish import storage as publish_storage
from kiosk.publish.keys import ONLINE_ROLES, key_path, load_signer
from kiosk.publish.metadata import (
    bundle_target_file,
    online_metadata,
    serialize,
    target_file_entries,
)
from kiosk.publish.storage import install_files, read_state
from kiosk.sync.content import (
    ContentSyncError,
    ContentSyncResult,
    ContentUpdater,
    SyncErrorCategory,
    classify_error,
    describe_sync_result,
    sync_content_once,
)
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.store import ContentStore, load_verified_bundle
from kiosk.sync.tuf_fetcher import DisallowedUrlError, HttpClientFetcher

# The keys_dir and repo_server fixtures.
pytest_plugins = ["test_publish_support"]

Category = SyncErrorCategory


class Kiosk:
    """One kiosk: its data folder, installed root and content updater."""

    def __init__(self, server: RepositoryServer, root: Path, data_dir: Path,
                 **config: Any) -> None:
        self.data_dir = data_dir
        settings: dict[str, Any] = {"connect_timeout_s": 2.0, "read_timeout_s": 5.0,
                                    "deadline_s": 10.0, **config}
        self.config = SyncConfig(repository_url=server.url, trusted_root=root, **settings)
        self.client = HttpClient(self.config, USER_AGENT)
        self.updater = ContentUpdater(self.config, data_dir, self.client)

    def sync(self, now: datetime = NOW) -> ContentSyncResult:
        return self.updater.sync(now)

    def version_in_force(self) -> int | None:
        bundle = load_verified_bundle(self.data_dir)
        return bundle.version if bundle else None


KioskFactory = Callable[..., Kiosk]


@pytest.fixture
def make_kiosk(tmp_path: Path, repo_server: RepositoryServer) -> Iterator[KioskFactory]:
    """Build kiosks that trust ``tmp_path / "installed-root.json"`` unless given another root."""
    kiosks: list[Kiosk] = []

    def make(name: str = "kiosk", root: Path | None = None, **config: Any) -> Kiosk:
        kiosk = Kiosk(repo_server, root or tmp_path / "installed-root.json",
                      tmp_path / name, **config)
        kiosks.append(kiosk)
        return kiosk

    yield make
    for kiosk in kiosks:
        kiosk.client.close()


def _publish(server: RepositoryServer, keys: Path, tmp_path: Path, *, now: datetime = NOW,
             **document: Any) -> Path:
    """Publish a sample bundle into the served folder; the first call installs its root."""
    result = publish(sample_document(now, **document), server.directory, keys, now=now)
    installed = tmp_path / "installed-root.json"
    if not installed.exists():
        shutil.copy(server.directory / "metadata" / "root.json", installed)
    assert result.bundle_path is not None
    return result.bundle_path


def _assert_rejected(result: ContentSyncResult, category: SyncErrorCategory, kiosk: Kiosk,
                     version: int | None) -> None:
    assert result.failure is not None, "the update was accepted"
    assert result.failure.category is category, result.failure.message
    assert not result.changed
    assert (result.current.version if result.current else None) == version
    assert kiosk.version_in_force() == version


def _message(result: ContentSyncResult) -> str:
    assert result.failure is not None
    return result.failure.message


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_bytes())
    change(document)
    path.write_text(json.dumps(document, indent=1), "utf-8")


# --- normal operation -------------------------------------------------------------------------


def test_kiosk_installs_each_published_version(tmp_path: Path, keys_dir: Path,
                                               repo_server: RepositoryServer,
                                               make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()

    first = kiosk.sync()

    assert first.ok, first.failure
    assert first.changed
    assert first.installed is not None and first.installed.version == 1
    assert first.current is not None and first.current.version == 1
    assert first.current.verified_at == NOW
    assert kiosk.version_in_force() == 1

    _publish(repo_server, keys_dir, tmp_path, notice="Masks are optional")
    second = kiosk.sync()

    assert second.ok, second.failure
    assert second.installed is not None and second.installed.version == 2
    assert second.installed.notices[0].title["en"] == "Masks are optional"
    assert kiosk.version_in_force() == 2
    bundles = list(ContentStore(kiosk.data_dir).bundles_dir.iterdir())
    assert second.current is not None
    assert [path.name for path in bundles] == [f"{second.current.sha256}.json"]


def test_unchanged_repository_downloads_no_bundle(tmp_path: Path, keys_dir: Path,
                                                  repo_server: RepositoryServer,
                                                  make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    repo_server.requests.clear()

    result = kiosk.sync()

    assert result.ok
    assert not result.changed
    assert result.current is not None and result.current.version == 1
    assert not [path for path in repo_server.requests if path.startswith("/targets/")]


def test_restarted_kiosk_keeps_its_content(tmp_path: Path, keys_dir: Path,
                                           repo_server: RepositoryServer,
                                           make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    make_kiosk().sync()

    restarted = make_kiosk()
    result = restarted.sync()

    assert result.ok
    assert not result.changed
    assert result.current is not None and result.current.version == 1


def test_sync_runs_in_worker_thread(tmp_path: Path, keys_dir: Path,
                                    repo_server: RepositoryServer,
                                    make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    results: list[ContentSyncResult] = []

    worker = threading.Thread(target=lambda: results.append(kiosk.sync()))
    worker.start()
    worker.join(timeout=30)

    assert len(results) == 1
    assert results[0].ok
    assert kiosk.version_in_force() == 1


def test_sync_content_once_and_description(tmp_path: Path, keys_dir: Path,
                                           repo_server: RepositoryServer) -> None:
    _publish(repo_server, keys_dir, tmp_path)

    result = sync_content_once(repo_server.url, tmp_path / "installed-root.json",
                               tmp_path / "once", now=NOW)

    assert result.ok
    assert result.current is not None and result.current.version == 1
    assert "1" in describe_sync_result(result)


# --- attacks ----------------------------------------------------------------------------------


def test_tampered_bundle_bytes_rejected(tmp_path: Path, keys_dir: Path,
                                            repo_server: RepositoryServer,
                                            make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    bundle_path = _publish(repo_server, keys_dir, tmp_path)
    data = bundle_path.read_bytes()
    bundle_path.write_bytes(data.replace(b"Masks are required", b"Masks are REQUIRED"))

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


def test_tampered_metadata_rejected(tmp_path: Path, keys_dir: Path,
                                       repo_server: RepositoryServer,
                                       make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)

    def extend_expiry(document: dict[str, Any]) -> None:
        document["signed"]["expires"] = "2099-01-01T00:00:00Z"

    _edit_json(repo_server.directory / "metadata" / "timestamp.json", extend_expiry)

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


def test_tampered_targets_metadata_rejected(tmp_path: Path, keys_dir: Path,
                                               repo_server: RepositoryServer,
                                               make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    targets_path = repo_server.directory / "metadata" / "2.targets.json"
    # Same length, so only the hash in snapshot metadata can tell.
    targets_path.write_bytes(targets_path.read_bytes().replace(b'"bundle_version": 2',
                                                               b'"bundle_version": 3'))

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


def test_wrong_key_signature_rejected(tmp_path: Path, keys_dir: Path,
                                                    repo_server: RepositoryServer,
                                                    make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    timestamp_path = repo_server.directory / "metadata" / "timestamp.json"
    forged = Metadata.from_file(str(timestamp_path))
    forged.signed.version += 1
    forged.sign(CryptoSigner.generate_ed25519())
    timestamp_path.write_bytes(serialize(forged))

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


def test_replayed_old_repository_rejected(tmp_path: Path, keys_dir: Path,
                                             repo_server: RepositoryServer,
                                             make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    old_copy = copy_repository(repo_server.directory, tmp_path / "old-repo")
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    assert kiosk.sync().ok
    repo_server.directory = old_copy

    result = kiosk.sync()

    _assert_rejected(result, Category.ROLLBACK, kiosk, 2)


def test_replay_after_cache_wipe_rejected(tmp_path: Path, keys_dir: Path,
                                                 repo_server: RepositoryServer,
                                                 make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    old_copy = copy_repository(repo_server.directory, tmp_path / "old-repo")
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    assert kiosk.sync().ok
    shutil.rmtree(ContentStore(kiosk.data_dir).metadata_dir)
    repo_server.directory = old_copy

    result = kiosk.sync()

    _assert_rejected(result, Category.ROLLBACK, kiosk, 2)
    assert "older than version 2" in _message(result)


def test_expired_timestamp_reported_as_freeze(tmp_path: Path, keys_dir: Path,
                                                 repo_server: RepositoryServer,
                                                 make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)

    result = kiosk.sync(NOW + timedelta(days=2))

    _assert_rejected(result, Category.EXPIRED, kiosk, 1)
    assert "timestamp.json is expired" in _message(result)
    # The bundle's own expiry is a year away: the content is not out of date.
    assert not result.content_expired


def test_expired_bundle_still_installed(tmp_path: Path, keys_dir: Path,
                                                         repo_server: RepositoryServer,
                                                         make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path, expires_in=timedelta(hours=2))
    kiosk = make_kiosk()

    result = kiosk.sync(NOW + timedelta(hours=3))

    assert result.ok, result.failure
    assert result.content_expired
    assert kiosk.version_in_force() == 1


@pytest.mark.parametrize("path_kind", ["bundle", "timestamp"])
def test_endless_data_is_cut_off(tmp_path: Path, keys_dir: Path, repo_server: RepositoryServer,
                                 make_kiosk: KioskFactory, path_kind: str) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    bundle_path = _publish(repo_server, keys_dir, tmp_path)
    url_path = (f"/targets/{bundle_path.name}" if path_kind == "bundle"
                else "/metadata/timestamp.json")
    repo_server.overrides[url_path] = send_endless()

    result = kiosk.sync()

    _assert_rejected(result, Category.TOO_LARGE, kiosk, 1)


def test_target_longer_than_declared_rejected(tmp_path: Path, keys_dir: Path,
                                                 repo_server: RepositoryServer,
                                                 make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    bundle_path = _publish(repo_server, keys_dir, tmp_path)
    bundle_path.write_bytes(bundle_path.read_bytes() + b" " * 4096)

    result = kiosk.sync()

    _assert_rejected(result, Category.TOO_LARGE, kiosk, 1)


def test_oversized_bundle_not_downloaded(tmp_path: Path, keys_dir: Path,
                                                        repo_server: RepositoryServer,
                                                        make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk(max_bundle_bytes=1024)

    result = kiosk.sync()

    _assert_rejected(result, Category.TOO_LARGE, kiosk, None)
    assert not [path for path in repo_server.requests if path.startswith("/targets/")]


@pytest.mark.parametrize("mixed_role", ["targets", "snapshot"])
def test_mix_and_match_rejected(tmp_path: Path, keys_dir: Path,
                                   repo_server: RepositoryServer, make_kiosk: KioskFactory,
                                   mixed_role: str) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    metadata = repo_server.directory / "metadata"
    older = (metadata / f"1.{mixed_role}.json").read_bytes()
    (metadata / f"2.{mixed_role}.json").write_bytes(older)

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


@pytest.mark.parametrize(("url_path", "body"), [
    ("/metadata/timestamp.json", b"<!DOCTYPE html><html><body>Wi-Fi login</body></html>"),
    ("/metadata/timestamp.json", b""),
    ("/metadata/timestamp.json", b'{"signed": {"_type": "timestamp"'),
    ("/metadata/2.root.json", b"<html><body>Wi-Fi login</body></html>"),
], ids=["html-timestamp", "empty-timestamp", "truncated-timestamp", "html-root"])
def test_non_metadata_responses_rejected(tmp_path: Path, keys_dir: Path,
                                           repo_server: RepositoryServer,
                                           make_kiosk: KioskFactory, url_path: str,
                                           body: bytes) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    repo_server.overrides[url_path] = send_bytes(body, content_type="text/html")

    result = kiosk.sync()

    _assert_rejected(result, Category.INVALID_METADATA, kiosk, 1)


def test_signed_invalid_bundle_rejected(tmp_path: Path, keys_dir: Path,
                                               repo_server: RepositoryServer,
                                               make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    # A faulty publisher that signs whatever it is given.
    data = b'{"schema_version": 1, "version": 2}'
    target = bundle_target_file(data, 2)
    signers = {role: load_signer(keys_dir, role) for role in ONLINE_ROLES}
    state = read_state(repo_server.directory)
    install_files(repo_server.directory, [
        *target_file_entries({BUNDLE_TARGET: (target, data)}),
        *online_metadata(state, roles=ONLINE_ROLES, targets={BUNDLE_TARGET: target},
                         signers=signers, now=NOW, expiry=ExpiryPolicy())])

    result = kiosk.sync()

    _assert_rejected(result, Category.INVALID_CONTENT, kiosk, 1)


def test_missing_timestamp_is_network_error(tmp_path: Path, keys_dir: Path,
                                              repo_server: RepositoryServer,
                                              make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    (repo_server.directory / "metadata" / "timestamp.json").unlink()

    result = kiosk.sync()

    _assert_rejected(result, Category.NETWORK, kiosk, 1)
    assert "404" in _message(result)


def test_slow_retrieval_is_cut_off(tmp_path: Path, keys_dir: Path,
                                   repo_server: RepositoryServer,
                                   make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk(deadline_s=1.0, read_timeout_s=0.5)
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    repo_server.overrides["/metadata/timestamp.json"] = send_trickle()

    result = kiosk.sync()

    _assert_rejected(result, Category.NETWORK, kiosk, 1)
    assert "deadline" in _message(result)


def test_offline_kiosk_keeps_content(tmp_path: Path, keys_dir: Path,
                                                   repo_server: RepositoryServer,
                                                   make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    repo_server.stop()

    result = kiosk.sync()

    _assert_rejected(result, Category.NETWORK, kiosk, 1)
    assert describe_sync_result(result).count("1") >= 1


# --- keys, crashes, cache and clock -----------------------------------------------------------


def test_kiosk_follows_root_key_rotation(tmp_path: Path, keys_dir: Path,
                                         repo_server: RepositoryServer,
                                         make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    early = make_kiosk("early")
    assert early.sync().ok
    new_keys = tmp_path / "new-keys"
    init_keys(new_keys)

    rotate_root(repo_server.directory, keys_dir, new_keys, now=NOW)
    _publish(repo_server, new_keys, tmp_path, notice="Signed with the new keys")

    late = make_kiosk("late")
    for kiosk in (early, late):
        result = kiosk.sync()
        assert result.ok, result.failure
        assert result.installed is not None
        assert result.installed.notices[0].title["en"] == "Signed with the new keys"
        assert (ContentStore(kiosk.data_dir).metadata_dir / "root_history" / "2.root.json").exists()


def test_old_keys_rejected_after_rotation(tmp_path: Path, keys_dir: Path,
                                          repo_server: RepositoryServer,
                                          make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    new_keys = tmp_path / "new-keys"
    init_keys(new_keys)
    rotate_root(repo_server.directory, keys_dir, new_keys, now=NOW)
    assert kiosk.sync().ok
    # Someone holding the retired timestamp key signs a timestamp.
    timestamp_path = repo_server.directory / "metadata" / "timestamp.json"
    forged = Metadata.from_file(str(timestamp_path))
    forged.signed.version += 1
    forged.sign(load_signer(keys_dir, "timestamp"))
    timestamp_path.write_bytes(serialize(forged))

    result = kiosk.sync()

    _assert_rejected(result, Category.TAMPERED, kiosk, 1)


def test_lost_timestamp_key_is_replaced(tmp_path: Path, keys_dir: Path,
                                        repo_server: RepositoryServer,
                                        make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.move(key_path(keys_dir, "root"), key_path(offline, "root"))
    key_path(keys_dir, "timestamp").unlink()
    replacement = tmp_path / "replacement"
    init_keys(replacement, ["timestamp"])

    rotate_root(repo_server.directory, keys_dir, replacement, now=NOW, root_keys_dir=offline)
    shutil.copy(key_path(replacement, "timestamp"), key_path(keys_dir, "timestamp"))
    _publish(repo_server, keys_dir, tmp_path)

    result = kiosk.sync()
    assert result.ok, result.failure
    assert kiosk.version_in_force() == 2


def test_publish_repairs_interrupted_rotation(tmp_path: Path, keys_dir: Path,
                                             repo_server: RepositoryServer,
                                             make_kiosk: KioskFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    new_keys = tmp_path / "new-keys"
    init_keys(new_keys)
    real_move = publish_storage.move_into_place

    def crash_at_timestamp(source: Path, destination: Path) -> None:
        if destination.name == "timestamp.json":
            raise OSError(errno.EIO, "Input/output error")
        real_move(source, destination)

    monkeypatch.setattr(publish_storage, "move_into_place", crash_at_timestamp)
    with pytest.raises(RepositoryWriteError):
        rotate_root(repo_server.directory, keys_dir, new_keys, now=NOW)
    monkeypatch.undo()

    interrupted = kiosk.sync()
    _assert_rejected(interrupted, Category.TAMPERED, kiosk, 1)

    _publish(repo_server, new_keys, tmp_path)
    repaired = kiosk.sync()
    assert repaired.ok, repaired.failure
    assert repaired.installed is not None and repaired.installed.version == 2


def test_kiosk_recovers_after_root_renewal(tmp_path: Path, keys_dir: Path,
                                          repo_server: RepositoryServer,
                                          make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path, expires_in=timedelta(days=800))
    kiosk = make_kiosk()
    kiosk.sync()
    later = NOW + timedelta(days=400)

    expired = kiosk.sync(later)
    rotate_root(repo_server.directory, keys_dir, now=later)
    renew(repo_server.directory, keys_dir, now=later)
    recovered = kiosk.sync(later)

    _assert_rejected(expired, Category.EXPIRED, kiosk, 1)
    assert "root.json is expired" in _message(expired)
    assert recovered.ok, recovered.failure
    assert (ContentStore(kiosk.data_dir).metadata_dir / "root_history" / "2.root.json").exists()


@pytest.mark.parametrize("failing_file", ["snapshot.json", "timestamp.json"])
def test_crash_mid_publish_serves_previous_version(
        tmp_path: Path, keys_dir: Path, repo_server: RepositoryServer, make_kiosk: KioskFactory,
        monkeypatch: pytest.MonkeyPatch, failing_file: str) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    real_move = publish_storage.move_into_place

    def crash_at(source: Path, destination: Path) -> None:
        if destination.name.endswith(failing_file):
            raise OSError(errno.EIO, "Input/output error")
        real_move(source, destination)

    monkeypatch.setattr(publish_storage, "move_into_place", crash_at)
    with pytest.raises(RepositoryWriteError, match="previous version is still served"):
        _publish(repo_server, keys_dir, tmp_path, notice="Never visible")
    monkeypatch.undo()

    for synced in (kiosk, make_kiosk("fresh")):
        result = synced.sync()
        assert result.ok, result.failure
        assert result.current is not None and result.current.version == 1

    _publish(repo_server, keys_dir, tmp_path)
    assert kiosk.sync().ok
    assert kiosk.version_in_force() == 2


def test_wiped_metadata_cache_uses_installed_root(tmp_path: Path, keys_dir: Path,
                                                  repo_server: RepositoryServer,
                                                  make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    metadata_dir = ContentStore(kiosk.data_dir).metadata_dir
    shutil.rmtree(metadata_dir)
    _publish(repo_server, keys_dir, tmp_path)
    # A server that would hand out a root of its own choosing is never asked.
    forged_root = b'{"signed": {"_type": "root"}, "signatures": []}'
    for path in ("/metadata/root.json", "/metadata/1.root.json"):
        repo_server.overrides[path] = send_bytes(forged_root)
    repo_server.requests.clear()

    result = kiosk.sync()

    assert result.ok, result.failure
    assert kiosk.version_in_force() == 2
    seeded = (metadata_dir / "root_history" / "1.root.json").read_bytes()
    assert seeded == (tmp_path / "installed-root.json").read_bytes()
    assert "/metadata/root.json" not in repo_server.requests
    assert "/metadata/1.root.json" not in repo_server.requests


def test_corrupt_metadata_cache_recovers(tmp_path: Path, keys_dir: Path,
                                         repo_server: RepositoryServer,
                                         make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    metadata_dir = ContentStore(kiosk.data_dir).metadata_dir
    (metadata_dir / "timestamp.json").write_bytes(b"")
    (metadata_dir / "snapshot.json").write_bytes(b'{"signed": ')
    _publish(repo_server, keys_dir, tmp_path)

    result = kiosk.sync()

    assert result.ok, result.failure
    assert kiosk.version_in_force() == 2


def test_clock_far_in_future_keeps_content(tmp_path: Path, keys_dir: Path,
                                           repo_server: RepositoryServer,
                                           make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)

    wrong = kiosk.sync(NOW + timedelta(days=3650))

    _assert_rejected(wrong, Category.EXPIRED, kiosk, 1)
    # Once the clock is right again, nothing from the failed cycle is in the way.
    fixed = kiosk.sync(NOW)
    assert fixed.ok, fixed.failure
    assert kiosk.version_in_force() == 2


def test_clock_far_in_past_still_verifies(tmp_path: Path, keys_dir: Path,
                                          repo_server: RepositoryServer,
                                          make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    kiosk.sync()
    _publish(repo_server, keys_dir, tmp_path)
    past = NOW - timedelta(days=3650)

    result = kiosk.sync(past)

    # A clock that runs behind makes nothing look expired, so signatures and versions decide.
    assert result.ok, result.failure
    assert result.current is not None and result.current.verified_at == past
    assert kiosk.version_in_force() == 2


# --- the cache on disk ------------------------------------------------------------------------


def _corrupt_record_empty(store: ContentStore) -> None:
    store.record_path.write_bytes(b"")


def _corrupt_record_truncated(store: ContentStore) -> None:
    data = store.record_path.read_bytes()
    store.record_path.write_bytes(data[: len(data) // 2])


def _corrupt_record_field(store: ContentStore) -> None:
    _edit_json(store.record_path, lambda record: record.update(sha256="not a hash"))


def _bundle_file(store: ContentStore) -> Path:
    return next(store.bundles_dir.iterdir())


def _corrupt_bundle_empty(store: ContentStore) -> None:
    _bundle_file(store).write_bytes(b"")


def _corrupt_bundle_truncated(store: ContentStore) -> None:
    path = _bundle_file(store)
    path.write_bytes(path.read_bytes()[:-10])


def _corrupt_bundle_flipped(store: ContentStore) -> None:
    path = _bundle_file(store)
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01
    path.write_bytes(bytes(data))


def _corrupt_bundle_missing(store: ContentStore) -> None:
    _bundle_file(store).unlink()


@pytest.mark.parametrize("corrupt", [
    _corrupt_record_empty, _corrupt_record_truncated, _corrupt_record_field,
    _corrupt_bundle_empty, _corrupt_bundle_truncated, _corrupt_bundle_flipped,
    _corrupt_bundle_missing,
], ids=lambda function: function.__name__.removeprefix("_corrupt_"))
def test_corrupt_cache_is_ignored_and_repaired(tmp_path: Path, keys_dir: Path,
                                               repo_server: RepositoryServer,
                                               make_kiosk: KioskFactory,
                                               caplog: pytest.LogCaptureFixture,
                                               corrupt: Callable[[ContentStore], None]) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    make_kiosk().sync()
    store = ContentStore(tmp_path / "kiosk")
    corrupt(store)

    assert load_verified_bundle(tmp_path / "kiosk") is None
    assert "Ignoring the cached content" in caplog.text

    restarted = make_kiosk()
    result = restarted.sync()
    assert result.ok, result.failure
    assert result.changed
    assert load_verified_bundle(tmp_path / "kiosk") is not None


def test_empty_cache_has_no_bundle(tmp_path: Path) -> None:
    assert load_verified_bundle(tmp_path / "nothing") is None


def test_interrupted_download_is_cleaned_up(tmp_path: Path, keys_dir: Path,
                                            repo_server: RepositoryServer,
                                            make_kiosk: KioskFactory) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    kiosk = make_kiosk()
    store = ContentStore(kiosk.data_dir)
    store.incoming_dir.mkdir(parents=True)
    (store.incoming_dir / "left-over.part").write_bytes(b"half a bundle")

    assert kiosk.sync().ok

    assert list(store.incoming_dir.iterdir()) == []


# --- configuration ----------------------------------------------------------------------------


def test_missing_root_is_configuration_error(tmp_path: Path,
                                                       make_kiosk: KioskFactory) -> None:
    kiosk = make_kiosk(root=tmp_path / "absent-root.json")

    result = kiosk.sync()

    _assert_rejected(result, Category.CONFIGURATION, kiosk, None)


def test_invalid_root_is_configuration_error(tmp_path: Path,
                                                       make_kiosk: KioskFactory) -> None:
    root = tmp_path / "broken-root.json"
    root.write_bytes(b"<html></html>")
    kiosk = make_kiosk(root=root)

    result = kiosk.sync()

    _assert_rejected(result, Category.CONFIGURATION, kiosk, None)


def test_disallowed_url_is_configuration_error(tmp_path: Path, keys_dir: Path,
                                                            repo_server: RepositoryServer) -> None:
    _publish(repo_server, keys_dir, tmp_path)
    config = SyncConfig(repository_url="http://content.example.invalid/",
                        trusted_root=tmp_path / "installed-root.json")
    with HttpClient(config, USER_AGENT) as client:
        result = ContentUpdater(config, tmp_path / "kiosk", client).sync(NOW)

    assert result.failure is not None
    assert result.failure.category is Category.CONFIGURATION


def test_updater_requires_repository_settings(tmp_path: Path) -> None:
    config = SyncConfig()
    with HttpClient(config, USER_AGENT) as client, \
            pytest.raises(ValueError, match="repository_url is empty"):
        ContentUpdater(config, tmp_path, client)


def test_naive_now_is_rejected(tmp_path: Path, make_kiosk: KioskFactory) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        make_kiosk().sync(NOW.replace(tzinfo=None))


# --- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "category"), [
    (tuf_errors.UnsignedMetadataError("bad signature"), Category.TAMPERED),
    (tuf_errors.LengthOrHashMismatchError("hash"), Category.TAMPERED),
    (tuf_errors.RepositoryError("wrong type"), Category.TAMPERED),
    (tuf_errors.BadVersionNumberError("older"), Category.ROLLBACK),
    (tuf_errors.EqualVersionNumberError(), Category.ROLLBACK),
    (tuf_errors.ExpiredMetadataError("expired"), Category.EXPIRED),
    (DeserializationError("html"), Category.INVALID_METADATA),
    (tuf_errors.DownloadLengthMismatchError("endless"), Category.TOO_LARGE),
    (tuf_errors.SlowRetrievalError("slow"), Category.NETWORK),
    (tuf_errors.DownloadHTTPError("gone", 404), Category.NETWORK),
    (tuf_errors.DownloadError("reset"), Category.NETWORK),
    (DisallowedUrlError("not allowed"), Category.CONFIGURATION),
    (ContentError("bundle", "$", "invalid"), Category.INVALID_CONTENT),
    (ContentSyncError(Category.ROLLBACK, "older bundle"), Category.ROLLBACK),
    (OSError(errno.ENOSPC, "disk full"), Category.STORAGE),
], ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else value.value)
def test_classify_error(error: BaseException, category: SyncErrorCategory) -> None:
    assert classify_error(error) is category


def test_classify_error_rejects_unknown_error() -> None:
    with pytest.raises(TypeError, match="KeyError"):
        classify_error(KeyError("x"))


def test_fetcher_reports_http_status(tmp_path: Path, repo_server: RepositoryServer) -> None:
    config = SyncConfig(repository_url=repo_server.url)
    with HttpClient(config, USER_AGENT) as client:
        fetcher = HttpClientFetcher(client, max_bytes=1024)
        with pytest.raises(tuf_errors.DownloadHTTPError) as caught:
            fetcher.download_bytes(repo_server.url + "metadata/9.root.json", 1024)

    assert caught.value.status_code == 404


def test_fetcher_enforces_its_size_cap(tmp_path: Path, repo_server: RepositoryServer) -> None:
    (repo_server.directory / "big.bin").write_bytes(b"x" * 5000)
    config = SyncConfig(repository_url=repo_server.url)
    with HttpClient(config, USER_AGENT) as client:
        fetcher = HttpClientFetcher(client, max_bytes=1000)
        with pytest.raises(tuf_errors.DownloadLengthMismatchError):
            fetcher.download_bytes(repo_server.url + "big.bin", 10_000)
