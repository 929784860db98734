"""Tests for writing the signed repository: layout, versions, rejections, renewal and rotation."""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_publish_support import NOW, sample_document
from tuf.api.metadata import Metadata, Root, Snapshot, Targets, Timestamp

from kiosk.publish import (
    BUNDLE_TARGET,
    BundleRejectedError,
    ExpiryPolicy,
    KeyFileError,
    KeyMismatchError,
    PublishError,
    RepositoryBusyError,
    RepositoryStateError,
    RepositoryWriteError,
    init_keys,
    publish,
    renew,
    rotate_root,
    storage,
)
from kiosk.publish.commands import register
from kiosk.publish.keys import key_path, load_signer
from kiosk.publish.storage import repository_lock

# The keys_dir fixture.
pytest_plugins = ["test_publish_support"]


def _metadata(repo: Path, name: str) -> Metadata[Any]:
    return Metadata.from_file(str(repo / "metadata" / name))


def _snapshot_of_files(repo: Path) -> dict[str, bytes]:
    return {str(path.relative_to(repo)): path.read_bytes()
            for path in sorted(repo.rglob("*")) if path.is_file()}


def test_first_publish_writes_consistent_snapshots(tmp_path: Path,
                                                              keys_dir: Path) -> None:
    repo = tmp_path / "repo"

    result = publish(sample_document(), repo, keys_dir, now=NOW)

    root = _metadata(repo, "1.root.json")
    assert root.signed.consistent_snapshot is True
    assert (repo / "metadata" / "root.json").read_bytes() == \
        (repo / "metadata" / "1.root.json").read_bytes()
    root.signed.verify_delegate("root", root.signed_bytes, root.signatures)
    assert load_signer(keys_dir, "root").public_key.keyid in root.signed.roles["root"].keyids

    timestamp = _metadata(repo, "timestamp.json")
    assert timestamp.signed.snapshot_meta.version == 1
    snapshot = _metadata(repo, "1.snapshot.json")
    targets = _metadata(repo, "1.targets.json")
    for role, metadata in (("timestamp", timestamp), ("snapshot", snapshot),
                           ("targets", targets)):
        root.signed.verify_delegate(role, metadata.signed_bytes, metadata.signatures)

    target = targets.signed.targets[BUNDLE_TARGET]
    data = result.bundle_path.read_bytes() if result.bundle_path else b""
    digest = hashlib.sha256(data).hexdigest()
    assert result.bundle_path == repo / "targets" / f"{digest}.bundle.json"
    assert target.hashes == {"sha256": digest}
    assert target.length == len(data)
    assert target.custom == {"bundle_version": 1}
    assert json.loads(data)["version"] == 1
    assert result.bundle_version == 1


def test_publish_versions_increase(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    document = sample_document()
    document["version"] = 99

    results = [publish(document, repo, keys_dir, now=NOW) for _ in range(3)]

    assert [result.bundle_version for result in results] == [1, 2, 3]
    assert [result.targets_version for result in results] == [1, 2, 3]
    assert [result.timestamp_version for result in results] == [1, 2, 3]
    bundle_paths = [result.bundle_path for result in results if result.bundle_path]
    assert [json.loads(path.read_bytes())["version"] for path in bundle_paths] == [1, 2, 3]
    assert document["version"] == 99
    # Every earlier version stays in place for kiosks still fetching it.
    assert (repo / "metadata" / "1.targets.json").exists()
    assert results[0].bundle_path is not None and results[0].bundle_path.exists()


def test_publish_from_file(tmp_path: Path, keys_dir: Path) -> None:
    source = tmp_path / "bundle.json"
    source.write_text(json.dumps(sample_document(), ensure_ascii=False), "utf-8")

    result = publish(source, tmp_path / "repo", keys_dir, now=NOW)

    assert result.bundle_version == 1
    assert json.loads(source.read_text("utf-8"))["version"] == 1


def test_publish_applies_expiry_policy(tmp_path: Path, keys_dir: Path) -> None:
    expiry = ExpiryPolicy(timestamp=timedelta(hours=6), snapshot=timedelta(days=2),
                          targets=timedelta(days=10), root=timedelta(days=100))

    result = publish(sample_document(), tmp_path / "repo", keys_dir, now=NOW, expiry=expiry)

    assert result.expires["timestamp"] == NOW + timedelta(hours=6)
    assert result.expires["snapshot"] == NOW + timedelta(days=2)
    assert result.expires["targets"] == NOW + timedelta(days=10)
    assert result.expires["root"] == NOW + timedelta(days=100)


def test_default_expiry_policy() -> None:
    policy = ExpiryPolicy()

    assert policy.timestamp == timedelta(days=1)
    assert policy.snapshot == timedelta(days=7)
    assert policy.targets == timedelta(days=30)
    assert policy.root == timedelta(days=365)


def test_expiry_policy_rejects_zero() -> None:
    with pytest.raises(ValueError, match="timestamp expiry must be positive"):
        ExpiryPolicy(timestamp=timedelta(0))


def test_publish_rejects_naive_time(tmp_path: Path, keys_dir: Path) -> None:
    with pytest.raises(ValueError, match="without a UTC offset"):
        publish(sample_document(), tmp_path / "repo", keys_dir, now=NOW.replace(tzinfo=None))


def test_invalid_bundle_leaves_repository_unchanged(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    before = _snapshot_of_files(repo)
    document = sample_document()
    document["notices"][0]["severity"] = "apocalyptic"

    with pytest.raises(BundleRejectedError, match=r"\$\.notices\[0\]\.severity"):
        publish(document, repo, keys_dir, now=NOW)

    assert _snapshot_of_files(repo) == before


def test_expired_bundle_is_rejected(tmp_path: Path, keys_dir: Path) -> None:
    document = sample_document(expires_in=timedelta(minutes=30))

    with pytest.raises(BundleRejectedError, match="already expired"):
        publish(document, tmp_path / "repo", keys_dir, now=NOW + timedelta(hours=1))

    assert not (tmp_path / "repo" / "metadata").exists()


@pytest.mark.parametrize("content", [
    b"",
    b'{"schema_version": 1, "version": 1, "published_at": "2026-',
    b"<!DOCTYPE html><html><body>Login required</body></html>",
    b"\xff\xfe\x00garbage",
    b"[" * 10_000,
], ids=["empty", "truncated", "html", "not-utf8", "deep-nesting"])
def test_malformed_bundle_file_is_rejected(tmp_path: Path, keys_dir: Path, content: bytes) -> None:
    source = tmp_path / "bundle.json"
    source.write_bytes(content)

    with pytest.raises(BundleRejectedError, match=str(source)):
        publish(source, tmp_path / "repo", keys_dir, now=NOW)

    assert not (tmp_path / "repo" / "metadata").exists()


def test_missing_bundle_file_is_rejected(tmp_path: Path, keys_dir: Path) -> None:
    with pytest.raises(BundleRejectedError, match="cannot read the bundle"):
        publish(tmp_path / "absent.json", tmp_path / "repo", keys_dir, now=NOW)


def test_later_publish_needs_no_root_key(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.move(key_path(keys_dir, "root"), offline / "root.pem")

    result = publish(sample_document(), repo, keys_dir, now=NOW)

    assert result.bundle_version == 2
    assert result.root_version == 1


def test_first_publish_needs_root_key(tmp_path: Path, keys_dir: Path) -> None:
    key_path(keys_dir, "root").unlink()

    with pytest.raises(KeyFileError, match="needs the root key"):
        publish(sample_document(), tmp_path / "repo", keys_dir, now=NOW)


def test_untrusted_online_key_rejected(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    before = _snapshot_of_files(repo)
    other = tmp_path / "other-keys"
    init_keys(other)

    with pytest.raises(KeyMismatchError, match="is not the targets key"):
        publish(sample_document(), repo, other, now=NOW)

    assert _snapshot_of_files(repo) == before


def test_extra_targets_are_published(tmp_path: Path, keys_dir: Path) -> None:
    media = tmp_path / "map.png"
    media.write_bytes(b"\x89PNG fake image")
    repo = tmp_path / "repo"

    publish(sample_document(), repo, keys_dir, now=NOW, extra_targets={"media/map.png": media})

    digest = hashlib.sha256(media.read_bytes()).hexdigest()
    assert (repo / "targets" / "media" / f"{digest}.map.png").read_bytes() == media.read_bytes()
    targets = _metadata(repo, "1.targets.json")
    assert targets.signed.targets["media/map.png"].length == len(media.read_bytes())


@pytest.mark.parametrize("name", ["../escape.png", "/etc/passwd", "media/../x", "a//b", "",
                                  BUNDLE_TARGET, "media/.hidden"])
def test_bad_target_path_is_rejected(tmp_path: Path, keys_dir: Path, name: str) -> None:
    media = tmp_path / "file.bin"
    media.write_bytes(b"data")

    with pytest.raises(PublishError, match="target path"):
        publish(sample_document(), tmp_path / "repo", keys_dir, now=NOW,
                extra_targets={name: media})

    assert not (tmp_path / "repo" / "metadata").exists()


def test_renew_fresh_repository_signs_timestamp_only(tmp_path: Path,
                                                             keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)

    result = renew(repo, keys_dir, now=NOW + timedelta(hours=12))

    assert result.timestamp_version == 2
    assert result.snapshot_version == 1
    assert result.targets_version == 1
    assert result.bundle_version == 1
    assert result.expires["timestamp"] == NOW + timedelta(hours=12) + timedelta(days=1)


def test_renew_resigns_targets_past_half_life(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    later = NOW + timedelta(days=16)

    result = renew(repo, keys_dir, now=later)

    assert result.targets_version == 2
    assert result.snapshot_version == 2
    assert result.timestamp_version == 2
    assert result.expires["targets"] == later + timedelta(days=30)
    targets = _metadata(repo, "2.targets.json")
    assert targets.signed.targets[BUNDLE_TARGET].custom == {"bundle_version": 1}


def test_renew_of_empty_repository_fails(tmp_path: Path, keys_dir: Path) -> None:
    with pytest.raises(RepositoryStateError, match="nothing published"):
        renew(tmp_path / "repo", keys_dir, now=NOW)


def test_expired_root_blocks_publish(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(expires_in=timedelta(days=900)), repo, keys_dir, now=NOW)

    with pytest.raises(RepositoryStateError, match="root metadata v1 expired"):
        publish(sample_document(expires_in=timedelta(days=900)), repo, keys_dir,
                now=NOW + timedelta(days=400))


def test_rotated_root_signed_by_both_keys(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    new_keys = tmp_path / "new-keys"
    init_keys(new_keys)

    result = rotate_root(repo, keys_dir, new_keys, now=NOW)

    assert result.root_version == 2
    assert result.replaced_roles == ("root", "targets", "snapshot", "timestamp")
    old_root = _metadata(repo, "1.root.json").signed
    new_root = _metadata(repo, "2.root.json")
    old_root.verify_delegate("root", new_root.signed_bytes, new_root.signatures)
    new_root.signed.verify_delegate("root", new_root.signed_bytes, new_root.signatures)
    assert new_root.signed.roles["timestamp"].keyids == \
        [load_signer(new_keys, "timestamp").public_key.keyid]
    # Online metadata is re-signed with the new keys, for the same bundle.
    timestamp = _metadata(repo, "timestamp.json")
    new_root.signed.verify_delegate("timestamp", timestamp.signed_bytes, timestamp.signatures)
    assert result.bundle_version == 1
    assert result.targets_version == 2


def test_rotate_without_new_keys_extends_root(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    later = NOW + timedelta(days=300)

    result = rotate_root(repo, keys_dir, now=later)

    assert result.root_version == 2
    assert result.replaced_roles == ()
    assert result.expires["root"] == later + timedelta(days=365)
    assert result.timestamp_version == 1
    assert Metadata[Root].from_file(str(repo / "metadata" / "root.json")).signed.version == 2


def test_rotate_with_wrong_root_key_fails(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    impostor = tmp_path / "impostor"
    init_keys(impostor)

    with pytest.raises(KeyMismatchError, match="is not the root key"):
        rotate_root(repo, impostor, impostor, now=NOW)

    assert not (repo / "metadata" / "2.root.json").exists()


def test_rotate_with_empty_new_keys_folder_fails(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    (tmp_path / "empty").mkdir()

    with pytest.raises(KeyFileError, match="no key files found"):
        rotate_root(repo, keys_dir, tmp_path / "empty", now=NOW)


def _fail_when_installing(monkeypatch: pytest.MonkeyPatch, name_part: str) -> list[Path]:
    moved: list[Path] = []
    real_move = storage.move_into_place

    def move(source: Path, destination: Path) -> None:
        if name_part in destination.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_move(source, destination)
        moved.append(destination)

    monkeypatch.setattr(storage, "move_into_place", move)
    return moved


@pytest.mark.parametrize("failing_file", ["snapshot.json", "timestamp.json"])
def test_crash_mid_publish_keeps_previous_version(tmp_path: Path, keys_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  failing_file: str) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    timestamp_before = (repo / "metadata" / "timestamp.json").read_bytes()
    moved = _fail_when_installing(monkeypatch, failing_file)

    with pytest.raises(RepositoryWriteError, match="previous version is still served"):
        publish(sample_document(), repo, keys_dir, now=NOW)

    assert any(path.parent.name == "targets" for path in moved)
    assert (repo / "metadata" / "timestamp.json").read_bytes() == timestamp_before
    assert not list(tmp_path.glob(".repo.staging-*"))
    monkeypatch.undo()
    result = publish(sample_document(), repo, keys_dir, now=NOW)
    assert result.bundle_version == 2


def test_stale_staging_folder_is_removed(tmp_path: Path, keys_dir: Path) -> None:
    leftover = tmp_path / ".repo.staging-crashed"
    leftover.mkdir()
    (leftover / "timestamp.json").write_bytes(b"half written")

    publish(sample_document(), tmp_path / "repo", keys_dir, now=NOW)

    assert not leftover.exists()


def test_concurrent_publish_is_rejected(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"

    with repository_lock(repo), pytest.raises(RepositoryBusyError, match="another publish"):
        publish(sample_document(), repo, keys_dir, now=NOW)


def test_metadata_hashes_match_served_bytes(tmp_path: Path, keys_dir: Path) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    publish(sample_document(), repo, keys_dir, now=NOW)

    timestamp = Metadata[Timestamp].from_file(str(repo / "metadata" / "timestamp.json"))
    snapshot_bytes = (repo / "metadata" / "2.snapshot.json").read_bytes()
    timestamp.signed.snapshot_meta.verify_length_and_hashes(snapshot_bytes)
    snapshot = Metadata[Snapshot].from_bytes(snapshot_bytes)
    targets_bytes = (repo / "metadata" / "2.targets.json").read_bytes()
    snapshot.signed.meta["targets.json"].verify_length_and_hashes(targets_bytes)
    assert Metadata[Targets].from_bytes(targets_bytes).signed.version == 2


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


def test_publish_command_prints_version(tmp_path: Path, keys_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bundle.json"
    source.write_text(json.dumps(sample_document(), ensure_ascii=False), "utf-8")
    repo = tmp_path / "repo"

    code = _run(["publish", str(source), "--repo", str(repo), "--keys", str(keys_dir),
                 "--expiry-timestamp-days", "0.5"])

    assert code == 0
    assert "1" in capsys.readouterr().out
    timestamp = Metadata[Timestamp].from_file(str(repo / "metadata" / "timestamp.json"))
    lifetime = timestamp.signed.expires - NOW
    assert timedelta(hours=11) < lifetime <= timedelta(hours=13)


def test_publish_command_reports_invalid_bundle(tmp_path: Path, keys_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bundle.json"
    source.write_bytes(b"<html>oops</html>")

    code = _run(["publish", str(source), "--repo", str(tmp_path / "repo"),
                 "--keys", str(keys_dir)])

    assert code == 1
    assert "invalid JSON" in capsys.readouterr().err


def test_publish_command_rejects_negative_expiry(tmp_path: Path, keys_dir: Path) -> None:
    with pytest.raises(SystemExit):
        _run(["publish", "x.json", "--repo", str(tmp_path), "--keys", str(keys_dir),
              "--expiry-root-days", "-1"])


def test_keys_rotate_and_renew_commands(tmp_path: Path, keys_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    publish(sample_document(), repo, keys_dir, now=NOW)
    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.move(key_path(keys_dir, "root"), key_path(offline, "root"))
    new_keys = tmp_path / "new"
    init_keys(new_keys, ["timestamp"])

    assert _run(["keys", "rotate", "--repo", str(repo), "--keys", str(keys_dir),
                 "--root-keys", str(offline), "--new-keys", str(new_keys)]) == 0
    assert str(key_path(new_keys, "timestamp")) in capsys.readouterr().out
    shutil.copy(key_path(new_keys, "timestamp"), key_path(keys_dir, "timestamp"))
    assert _run(["renew", "--repo", str(repo), "--keys", str(keys_dir)]) == 0
    assert (repo / "metadata" / "2.root.json").exists()
