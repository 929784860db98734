"""Power loss while the kiosk writes its caches: the last good content must survive.

A writer process (``power_loss_writer.py``) alternates versions A and B of
every cache through the kiosk's own write code and is killed with SIGKILL at
random moments. After each kill the kiosk's start-up loaders must find A or B,
whole, and the next writer run on the same folder must work.

SIGKILL stops the process but keeps the kernel's page cache, so those tests
show which states the write sequence can leave, not what reaches the disk.
The fsync tests cover the disk: they trace every fsync, rename and unlink of
a write. Each file must be fsynced before it is renamed into place, and each
rename must be fsynced before the next step depends on it.

Damage tests put a zero-byte and a half-length file at every cache location
and check that start-up logs it, falls back and that the next write repairs it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from power_loss_writer import (
    DEFAULT_BUNDLE,
    FEED_ID,
    FEEDS_DIR,
    Variant,
    build_variants,
    find_problems,
    kill_writer_at_random,
    read_state,
    run_writer_rounds,
    write_round,
)
from test_publish_support import NOW, RepositoryServer, sample_document

from kiosk.config import KioskConfig, SyncConfig
from kiosk.content.loader import load_bundle
from kiosk.publish import publish
from kiosk.sync.cache import FeedCache
from kiosk.sync.content import ContentSyncResult, ContentUpdater
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.store import ContentStore
from kiosk.ui.launch import load_start_bundle

# The keys_dir and repo_server fixtures.
pytest_plugins = ["test_publish_support"]

#: Writer runs killed in the default test run; the benchmark runs 200.
KILLS = 20
SEED = 20261204
VERIFIED_AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def variants() -> tuple[Variant, Variant]:
    return build_variants()


# --- killing the writer -----------------------------------------------------------------------


def test_killed_writer_leaves_whole_version(tmp_path: Path,
                                           variants: tuple[Variant, Variant]) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(SEED)  # noqa: S311 (seeded so the test repeats)
    loaded_before: set[str] = set()
    cache_names: set[str] = set()

    for index in range(KILLS):
        kill = kill_writer_at_random(data_dir, rng, index)

        # Any other status means the writer failed on what an earlier kill left.
        assert kill.returncode == -signal.SIGKILL, f"kill {index}: {kill.describe()}: {kill.stderr}"
        state = read_state(data_dir, variants)
        problems = find_problems(state, loaded_before)
        assert problems == [], f"kill {index}: {kill.describe()}"
        cache_names = set(state.caches())
        loaded_before.update(name for name, found in state.caches().items() if found is not None)

    assert loaded_before == cache_names, "no writer completed a round before it was killed"

    # A writer run to its end on what the kills left: rounds a, b, a.
    returncode, stderr = run_writer_rounds(data_dir, "a", rounds=3)

    assert returncode == 0, stderr
    final = read_state(data_dir, variants)
    assert set(final.caches().values()) == {"a"}
    assert final.incoming_files == 0
    assert final.bundle_files == 1


def test_leftovers_do_not_block_writer(tmp_path: Path, variants: tuple[Variant, Variant]) -> None:
    first, second = variants
    data_dir = tmp_path / "data"
    write_round(data_dir, first, VERIFIED_AT)
    store = ContentStore(data_dir)
    feeds = data_dir / FEEDS_DIR
    # What kills at the worst moments leave: a partial download, an extra
    # bundle file that no record names yet, and temporary files of atomic writes.
    (store.incoming_dir / "tmpk2j4x1.part").write_bytes(second.bundle_data[:1000])
    store.bundle_path(second.sha256).write_bytes(second.bundle_data)
    (store.root / ".verified.json.x8f2.tmp").write_bytes(b"")
    (feeds / f".feed-{FEED_ID}.json.q0z1.tmp").write_bytes(b'{"schema": 1, "fe')
    (store.metadata_dir / ".timestamp.json.p3c9.tmp").write_bytes(b"{")

    assert read_state(data_dir, variants).caches() == {
        "content": "a", "feed": "a", "root.json": "a", "timestamp.json": "a"}

    returncode, stderr = run_writer_rounds(data_dir, "b", rounds=1)

    assert returncode == 0, stderr
    state = read_state(data_dir, variants)
    assert set(state.caches().values()) == {"b"}
    assert state.incoming_files == 0
    assert state.bundle_files == 1
    # Temporary files left by interrupted atomic writes are removed when the
    # caches are opened again.
    assert len(state.temp_files) == 0


# --- fsync order ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOperation:
    """One traced call: ``fsync`` of a file or folder, ``replace`` or ``unlink``."""

    kind: str
    path: str
    target: str = ""


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


def _trace_file_operations(monkeypatch: pytest.MonkeyPatch) -> list[FileOperation]:
    """Record every os.fsync, os.replace and os.unlink from now on, with real paths."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("naming the file of a descriptor needs /proc/self/fd (Linux)")
    operations: list[FileOperation] = []
    fsync, replace, unlink = os.fsync, os.replace, os.unlink

    def traced_fsync(descriptor: int) -> None:
        operations.append(FileOperation("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        fsync(descriptor)

    def traced_replace(source: str | os.PathLike[str], target: str | os.PathLike[str],
                       **kwargs: object) -> None:
        operations.append(FileOperation("replace", _real(source), _real(target)))
        replace(source, target, **kwargs)  # type: ignore[arg-type]

    def traced_unlink(path: str | os.PathLike[str], **kwargs: object) -> None:
        operations.append(FileOperation("unlink", _real(path)))
        unlink(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", traced_fsync)
    monkeypatch.setattr(os, "replace", traced_replace)
    monkeypatch.setattr(os, "unlink", traced_unlink)
    return operations


def _ordering_problems(operations: list[FileOperation]) -> list[str]:
    """List each step that a power cut could undo or reorder.

    A renamed file must have been fsynced first, or the new name can point at
    lost data. A rename must be followed by an fsync of its folder before the
    next rename or unlink and before the write returns, or a power cut can
    keep the later step and lose the rename.
    """
    problems = []
    synced: set[str] = set()
    unsynced_folder: str | None = None
    for operation in operations:
        if operation.kind == "fsync":
            synced.add(operation.path)
            if operation.path == unsynced_folder:
                unsynced_folder = None
            continue
        if unsynced_folder is not None:
            problems.append(f"{operation.kind} {operation.path} before the rename in "
                            f"{unsynced_folder} was fsynced")
        if operation.kind == "replace":
            if operation.path not in synced:
                problems.append(f"{operation.path} renamed to {operation.target} before fsync")
            unsynced_folder = os.path.dirname(operation.target)
    if unsynced_folder is not None:
        problems.append(f"returned before the rename in {unsynced_folder} was fsynced")
    return problems


def test_bundle_install_fsyncs_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         variants: tuple[Variant, Variant]) -> None:
    first, second = variants
    data_dir = tmp_path / "data"
    write_round(data_dir, first, VERIFIED_AT)
    store = ContentStore(data_dir)
    incoming = store.new_incoming()
    incoming.write_bytes(second.bundle_data)
    operations = _trace_file_operations(monkeypatch)

    store.install(incoming, second.record(VERIFIED_AT))

    monkeypatch.undo()
    assert _ordering_problems(operations) == []
    steps = [(operation.kind, Path(operation.target or operation.path).name)
             for operation in operations if operation.kind != "fsync"]
    # The new bundle is in place before the record names it, and the old one
    # goes only after the record no longer does.
    assert steps == [("replace", f"{second.sha256}.json"), ("replace", "verified.json"),
                     ("unlink", f"{first.sha256}.json")]


def test_feed_save_fsyncs_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    variants: tuple[Variant, Variant]) -> None:
    first, second = variants
    cache = FeedCache(tmp_path / FEEDS_DIR)
    cache.save(first.feed_entry)
    operations = _trace_file_operations(monkeypatch)

    cache.save(second.feed_entry)

    monkeypatch.undo()
    assert _ordering_problems(operations) == []
    assert [operation.kind for operation in operations].count("replace") == 1


def test_ordering_check_catches_missing_fsync() -> None:
    # The check above must be able to fail: a rename with no fsync at all.
    operations = [FileOperation("replace", "/d/.x.tmp", "/d/x"),
                  FileOperation("unlink", "/d/old")]

    assert _ordering_problems(operations) == [
        "/d/.x.tmp renamed to /d/x before fsync",
        "unlink /d/old before the rename in /d was fsynced",
        "returned before the rename in /d was fsynced",
    ]


# --- damaged files at start-up ----------------------------------------------------------------


def _zero_bytes(data: bytes) -> bytes:
    return b""


def _first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


Damage = Callable[[bytes], bytes]
DAMAGES = [pytest.param(_zero_bytes, id="zero_bytes"), pytest.param(_first_half, id="half")]


def _damage(path: Path, damage: Damage) -> bytes:
    """Replace the file at ``path`` (or the link there) by a damaged copy; return the good bytes."""
    good = path.read_bytes()
    path.unlink()
    path.write_bytes(damage(good))
    return good


def _record_path(data_dir: Path, variant: Variant) -> Path:
    return ContentStore(data_dir).record_path


def _bundle_path(data_dir: Path, variant: Variant) -> Path:
    return ContentStore(data_dir).bundle_path(variant.sha256)


def _feed_path(data_dir: Path, variant: Variant) -> Path:
    return FeedCache(data_dir / FEEDS_DIR).path(FEED_ID)


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize(("locate", "cache"), [
    pytest.param(_record_path, "content", id="record"),
    pytest.param(_bundle_path, "content", id="bundle"),
    pytest.param(_feed_path, "feed", id="feed"),
])
def test_damaged_cache_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                  variants: tuple[Variant, Variant],
                                  locate: Callable[[Path, Variant], Path], cache: str,
                                  damage: Damage) -> None:
    first, _ = variants
    data_dir = tmp_path / "data"
    write_round(data_dir, first, VERIFIED_AT)
    path = locate(data_dir, first)
    good = _damage(path, damage)

    with caplog.at_level(logging.WARNING):
        state = read_state(data_dir, variants)
        start_bundle = load_start_bundle(KioskConfig(data_dir=data_dir))

    assert state.caches()[cache] is None
    assert {name for name, found in state.caches().items() if found == "a"} == \
        set(state.caches()) - {cache}
    warnings = [record.getMessage() for record in caplog.records
                if record.levelno == logging.WARNING]
    assert any(str(path) in message for message in warnings), warnings
    expected_start = load_bundle(DEFAULT_BUNDLE) if cache == "content" else first.bundle
    assert start_bundle == expected_start

    write_round(data_dir, first, VERIFIED_AT)

    assert set(read_state(data_dir, variants).caches().values()) == {"a"}
    assert path.read_bytes() == good


@dataclass
class SyncedKiosk:
    """A kiosk data folder after one successful sync from a loopback repository."""

    data_dir: Path
    config: SyncConfig

    def sync(self) -> ContentSyncResult:
        """Sync as a restarted kiosk does: a new HTTP client and updater."""
        with HttpClient(self.config, USER_AGENT) as client:
            return ContentUpdater(self.config, self.data_dir, client).sync(NOW)


@pytest.fixture
def synced_kiosk(tmp_path: Path, keys_dir: Path,
                 repo_server: RepositoryServer) -> Iterator[SyncedKiosk]:
    publish(sample_document(NOW), repo_server.directory, keys_dir, now=NOW)
    root = tmp_path / "installed-root.json"
    shutil.copy(repo_server.directory / "metadata" / "root.json", root)
    config = SyncConfig(repository_url=repo_server.url, trusted_root=root,
                        connect_timeout_s=2.0, read_timeout_s=5.0, deadline_s=10.0)
    kiosk = SyncedKiosk(tmp_path / "kiosk", config)
    first = kiosk.sync()
    assert first.ok, first.failure
    yield kiosk


TUF_FILES = ["timestamp.json", "snapshot.json", "targets.json", "root_history/1.root.json",
             "root.json"]


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", TUF_FILES)
def test_damaged_tuf_metadata_is_repaired(synced_kiosk: SyncedKiosk, name: str,
                                          damage: Damage) -> None:
    path = ContentStore(synced_kiosk.data_dir).metadata_dir / name
    good = _damage(path, damage)

    result = synced_kiosk.sync()

    assert result.ok, result.failure
    assert not result.changed
    assert result.current is not None
    assert result.current.version == 1
    assert path.read_bytes() == good


def _garbage(data: bytes) -> bytes:
    return b"\x00\xff not metadata \xfe" * 8


def _targets_in_its_place(data: bytes) -> bytes:
    # Well-formed metadata of another role, as if a file had been written to the wrong name.
    return json.dumps({"signed": {"_type": "targets", "spec_version": "1.0.31", "version": 1,
                                  "expires": "2030-01-01T00:00:00Z", "targets": {}},
                       "signatures": []}).encode()


#: Damage to a cached metadata file, and the words that the warning must contain for it.
LOGGED_DAMAGES = [
    pytest.param(_zero_bytes, "empty file", id="zero_bytes"),
    pytest.param(_first_half, "not valid TUF metadata", id="half"),
    pytest.param(_garbage, "not valid TUF metadata", id="garbage"),
    pytest.param(_targets_in_its_place, "contains targets metadata", id="other_role"),
]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


@pytest.mark.parametrize(("damage", "problem"), LOGGED_DAMAGES)
@pytest.mark.parametrize("name", ["timestamp.json", "snapshot.json", "root_history/1.root.json"])
def test_damaged_tuf_metadata_is_logged(synced_kiosk: SyncedKiosk,
                                        caplog: pytest.LogCaptureFixture,
                                        name: str, damage: Damage, problem: str) -> None:
    path = ContentStore(synced_kiosk.data_dir).metadata_dir / name
    _damage(path, damage)

    with caplog.at_level(logging.WARNING):
        result = synced_kiosk.sync()

    assert result.ok, result.failure
    about_file = [message for message in _warnings(caplog) if str(path) in message]
    assert len(about_file) == 1, _warnings(caplog)
    assert problem in about_file[0]


def test_intact_tuf_metadata_logs_no_warning(synced_kiosk: SyncedKiosk,
                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = synced_kiosk.sync()

    assert result.ok, result.failure
    assert _warnings(caplog) == []


def test_damaged_tuf_metadata_is_logged_once_per_updater(tmp_path: Path, keys_dir: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    # The repository is not served, so every cycle fails and the file stays damaged.
    publish(sample_document(NOW), tmp_path / "repo", keys_dir, now=NOW)
    root = tmp_path / "repo" / "metadata" / "root.json"
    config = SyncConfig(repository_url="http://127.0.0.1:9/", trusted_root=root,
                        connect_timeout_s=0.5, read_timeout_s=0.5, deadline_s=2.0)
    data_dir = tmp_path / "kiosk"
    metadata_dir = ContentStore(data_dir).metadata_dir
    metadata_dir.mkdir(parents=True)
    damaged = metadata_dir / "timestamp.json"
    damaged.write_bytes(b"")

    with caplog.at_level(logging.WARNING), HttpClient(config, USER_AGENT) as client:
        updater = ContentUpdater(config, data_dir, client)
        first = updater.sync(NOW)
        second = updater.sync(NOW)

    assert not first.ok
    assert not second.ok
    about_file = [message for message in _warnings(caplog) if str(damaged) in message]
    assert len(about_file) == 1, _warnings(caplog)
