"""Write every cache the kiosk keeps, over and over, until the process is killed.

Run as a script, this is the child process of the power-loss tests::

    python tests/power_loss_writer.py DATA_DIR [--start a|b] [--rounds N]

Each round writes, through the kiosk's own code, one of two versions (A or B)
of every cache and alternates between them:

* the verified content: the bundle goes into an incoming file and
  ``ContentStore.install`` makes it the one in force, as ``ContentUpdater``
  does after verification;
* the feed cache: ``FeedCache.save`` of one of two notice lists;
* TUF metadata: python-tuf writes that cache with its own code, so the writer
  simulates it with ``atomic_write`` of a ``root.json`` and a ``timestamp.json``
  in the metadata folder.

The script prints ``ready`` once, when the next step is the first write, and
nothing per round. It stops after ``--rounds`` rounds, or after
``--max-seconds`` so that a writer whose test process died does not run on.

Imported, the module gives the test process the same two versions, a way to
start and kill the writer, and :func:`read_state`, which loads what a killed
writer left with the kiosk's start-up loaders.
"""

# The tests start only this script, with arguments they build themselves.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.content import parse_bundle
from kiosk.content.model import Bundle, Notice, Severity
from kiosk.sync.cache import FeedCache, FeedCacheEntry, atomic_write
from kiosk.sync.store import ContentStore, VerifiedRecord, load_verified_bundle

WRITER_SCRIPT = Path(__file__).resolve()
REPO = WRITER_SCRIPT.parents[1]
DEFAULT_BUNDLE = REPO / "assets" / "content" / "default-bundle.json"

#: Feed cache folder under the data folder, as ``create_sync_worker`` sets it.
FEEDS_DIR = "feeds"
FEED_ID = "power-loss-alerts"
#: The simulated python-tuf metadata files, in ``ContentStore.metadata_dir``.
METADATA_FILES = ("root.json", "timestamp.json")
#: Download and check time of both feed notice lists, fixed so that both processes build equal entries.
FEED_TIME = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

READY_LINE = b"ready\n"
#: Seconds the test process waits for the writer to import the kiosk and print ``ready``.
READY_TIMEOUT_S = 30.0
#: Seconds the test process waits for a killed writer to be reaped.
REAP_TIMEOUT_S = 10.0
#: Seconds a writer runs when it is not killed.
DEFAULT_MAX_SECONDS = 60.0


class WriterError(RuntimeError):
    """The writer could not write a round, or did not start."""


@dataclass(frozen=True)
class Variant:
    """One of the two versions (A or B) of every cache the writer alternates between."""

    name: str
    bundle: Bundle
    bundle_data: bytes
    sha256: str
    #: English title of the bundle's first notice; each variant has its own.
    notice_title: str
    feed_entry: FeedCacheEntry
    #: Bytes of each simulated metadata file, by file name.
    metadata: Mapping[str, bytes]

    def record(self, verified_at: datetime) -> VerifiedRecord:
        """Build the record ``ContentUpdater`` writes for this bundle after verifying it."""
        return VerifiedRecord(version=self.bundle.version, sha256=self.sha256,
                              length=len(self.bundle_data), verified_at=verified_at,
                              published_at=self.bundle.published_at,
                              expires_at=self.bundle.expires_at)


def build_variants(default_bundle: Path = DEFAULT_BUNDLE) -> tuple[Variant, Variant]:
    """Build versions A and B of every cache from the shipped default bundle.

    Bundle A has the default bundle's version plus one and B plus two, so
    neither can be confused with the default content. The result is the same
    in every process.
    """
    document = json.loads(default_bundle.read_bytes())
    base_version = int(document["version"])
    variants = []
    for offset, name in enumerate(("a", "b"), start=1):
        title = f"Power-loss test bundle {name.upper()}"
        edited = copy.deepcopy(document)
        edited["version"] = base_version + offset
        edited["notices"][0]["title"]["en"] = title
        data = json.dumps(edited, ensure_ascii=False, indent=1).encode("utf-8")
        variants.append(Variant(
            name=name,
            bundle=parse_bundle(data, f"power-loss bundle {name}"),
            bundle_data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            notice_title=title,
            feed_entry=_feed_entry(name, notice_count=offset),
            metadata={"root.json": _metadata_file("root", offset, key_count=24),
                      "timestamp.json": _metadata_file("timestamp", offset, key_count=0)},
        ))
    return variants[0], variants[1]


def _feed_entry(name: str, notice_count: int) -> FeedCacheEntry:
    notices = tuple(
        Notice(id=f"power-loss-{name}-{index}",
               title={"en": f"Feed list {name.upper()}, notice {index}",
                      "zh_Hans": f"通知列表 {name.upper()} 第 {index} 条"},
               body={"en": "Platform 3 is closed for cleaning."},
               severity=Severity.WARNING,
               issuer={"en": "Station office"},
               source_url=f"https://alerts.example.org/{name}/{index}",
               published_at=FEED_TIME,
               origin=FEED_ID)
        for index in range(1, notice_count + 1))
    return FeedCacheEntry(feed_id=FEED_ID, url="https://alerts.example.org/index.atom",
                          notices=notices, etag=f'"{name}"', last_modified=None,
                          fetched_at=FEED_TIME, checked_at=FEED_TIME)


def _metadata_file(role: str, version: int, key_count: int) -> bytes:
    # Shaped like TUF metadata; with 24 keys the root is about 4 KB, like a real one.
    keys = {hashlib.sha256(f"{role}-{index}".encode()).hexdigest():
            {"keytype": "ed25519", "scheme": "ed25519",
             "keyval": {"public": hashlib.sha256(f"public-{index}".encode()).hexdigest()}}
            for index in range(key_count)}
    document = {"signed": {"_type": role, "spec_version": "1.0.31", "version": version,
                           "expires": "2030-01-01T00:00:00Z", "keys": keys},
                "signatures": []}
    return json.dumps(document, indent=1, sort_keys=True).encode("utf-8")


# --- writing (the child process) --------------------------------------------------------------


def install_bundle(store: ContentStore, variant: Variant, verified_at: datetime) -> None:
    """Install ``variant``'s bundle by the steps ``ContentUpdater.sync`` takes after verification."""
    store.prepare()
    incoming = store.new_incoming()
    try:
        # python-tuf's download_target writes the verified target this way, without fsync.
        with incoming.open("wb") as stream:
            stream.write(variant.bundle_data)
        on_disk = hashlib.sha256(incoming.read_bytes()).hexdigest()
        if on_disk != variant.sha256:
            raise WriterError(f"{incoming}: sha256 {on_disk}, expected {variant.sha256}")
        store.install(incoming, variant.record(verified_at))
    finally:
        incoming.unlink(missing_ok=True)


def write_round(data_dir: Path, variant: Variant, verified_at: datetime) -> None:
    """Write ``variant`` into every cache under ``data_dir``."""
    store = ContentStore(data_dir)
    install_bundle(store, variant, verified_at)
    FeedCache(data_dir / FEEDS_DIR).save(variant.feed_entry)
    for name, data in variant.metadata.items():
        atomic_write(store.metadata_dir / name, data)


def run_writer(data_dir: Path, order: Sequence[Variant], rounds: int, max_seconds: float,
               verified_at: datetime) -> int:
    """Write rounds that cycle through ``order``; return how many were written.

    ``rounds`` of 0 means no limit. Writing stops after ``max_seconds`` either way.
    """
    deadline = time.monotonic() + max_seconds
    written = 0
    while (rounds == 0 or written < rounds) and time.monotonic() < deadline:
        write_round(data_dir, order[written % len(order)], verified_at)
        written += 1
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="kiosk data folder to write into")
    parser.add_argument("--start", choices=("a", "b"), default="a",
                        help="variant written first (default: a)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="rounds to write, 0 for no limit (default: 0)")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                        help=f"stop after this many seconds (default: {DEFAULT_MAX_SECONDS:g})")
    args = parser.parse_args(argv)
    if args.rounds < 0:
        parser.error(f"--rounds must be 0 or more, got {args.rounds}")

    first, second = build_variants()
    order = (first, second) if args.start == "a" else (second, first)
    verified_at = datetime.now(UTC)
    sys.stdout.buffer.write(READY_LINE)
    sys.stdout.flush()
    run_writer(args.data_dir, order, args.rounds, args.max_seconds, verified_at)
    return 0


# --- starting and killing the writer (the test process) ---------------------------------------


def start_writer(data_dir: Path, start: str, *, rounds: int = 0,
                 max_seconds: float = DEFAULT_MAX_SECONDS) -> subprocess.Popen[bytes]:
    """Start the writer on ``data_dir``; the caller must reap it, see :func:`writer_process`."""
    command = [sys.executable, str(WRITER_SCRIPT), str(data_dir), "--start", start,
               "--rounds", str(rounds), "--max-seconds", str(max_seconds)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


@contextmanager
def writer_process(data_dir: Path, start: str, *, rounds: int = 0,
                   max_seconds: float = DEFAULT_MAX_SECONDS,
                   ) -> Iterator[subprocess.Popen[bytes]]:
    """Run the writer for the ``with`` block; on leaving, kill it if it still runs and reap it."""
    process = start_writer(data_dir, start, rounds=rounds, max_seconds=max_seconds)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=REAP_TIMEOUT_S)
        finally:
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def wait_until_ready(process: subprocess.Popen[bytes], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Block until the writer prints ``ready``; raise WriterError if it exits or times out."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            raise WriterError(f"writer printed nothing within {timeout_s:g} s")
    line = process.stdout.readline()
    if line != READY_LINE:
        process.wait(timeout=REAP_TIMEOUT_S)
        raise WriterError(f"writer exited with status {process.returncode} before it was ready: "
                          f"{stderr_text(process)}")


def stderr_text(process: subprocess.Popen[bytes]) -> str:
    """Return what a finished writer wrote to stderr, for failure messages."""
    if process.stderr is None or process.poll() is None:
        return ""
    return process.stderr.read().decode("utf-8", "replace")


@dataclass(frozen=True)
class Kill:
    """One writer run ended by SIGKILL."""

    #: Variant the writer wrote first.
    start: str
    #: Seconds from ``ready`` to SIGKILL; ``None`` when killed right after it was started.
    delay_s: float | None
    returncode: int
    stderr: str

    def describe(self) -> str:
        when = ("right after start" if self.delay_s is None
                else f"{self.delay_s * 1000:.1f} ms after ready")
        return f"writer starting with {self.start} killed {when}"


def plan_kill_delay(rng: random.Random, index: int) -> float | None:
    """Pick when to kill run ``index``: seconds after ``ready``, or ``None`` for at once.

    One run in ten is killed as soon as it is started, and one in ten as soon
    as it is ready. The others are killed 5 ms to 150 ms after ready.
    """
    if index % 10 == 3:
        return None
    if index % 10 == 7:
        return 0.0
    return rng.uniform(0.005, 0.150)


def kill_writer_at_random(data_dir: Path, rng: random.Random, index: int) -> Kill:
    """Start the writer on ``data_dir`` and SIGKILL it at a time drawn from ``rng``."""
    start = rng.choice(("a", "b"))
    delay_s = plan_kill_delay(rng, index)
    with writer_process(data_dir, start) as process:
        if delay_s is not None:
            wait_until_ready(process)
            time.sleep(delay_s)
        process.kill()
        returncode = process.wait(timeout=REAP_TIMEOUT_S)
        stderr = stderr_text(process)
    return Kill(start=start, delay_s=delay_s, returncode=returncode, stderr=stderr)


def run_writer_rounds(data_dir: Path, start: str, rounds: int,
                      timeout_s: float = 60.0) -> tuple[int, str]:
    """Run the writer for ``rounds`` rounds to the end; return its exit status and stderr."""
    with writer_process(data_dir, start, rounds=rounds, max_seconds=timeout_s) as process:
        # The writer stops by itself after max_seconds; the margin covers its start-up.
        returncode = process.wait(timeout=timeout_s + READY_TIMEOUT_S)
        return returncode, stderr_text(process)


# --- what a killed writer left ----------------------------------------------------------------


@dataclass(frozen=True)
class CacheState:
    """What the kiosk's start-up loaders find in a data folder.

    Each cache is ``"a"`` or ``"b"`` when it loads whole as that variant. It
    is ``None`` when the loader returns nothing or the file is missing, and a
    description starting with ``"unexpected"`` for anything else.
    """

    content: str | None
    feed: str | None
    #: State of each simulated metadata file, by file name.
    metadata: Mapping[str, str | None]
    #: Temporary files left by interrupted atomic writes.
    temp_files: frozenset[Path]
    incoming_files: int
    bundle_files: int

    def caches(self) -> dict[str, str | None]:
        """Return the state of every cache by name: content, feed and each metadata file."""
        return {"content": self.content, "feed": self.feed, **self.metadata}


def read_state(data_dir: Path, variants: Sequence[Variant]) -> CacheState:
    """Load every cache under ``data_dir`` the way the kiosk does at start-up."""
    store = ContentStore(data_dir)
    return CacheState(
        content=_identify_bundle(load_verified_bundle(data_dir), variants),
        feed=_identify_feed(FeedCache(data_dir / FEEDS_DIR).load(FEED_ID), variants),
        metadata={name: _identify_metadata(store.metadata_dir / name, variants)
                  for name in METADATA_FILES},
        temp_files=frozenset(data_dir.rglob("*.tmp")),
        incoming_files=_count_files(store.incoming_dir),
        bundle_files=_count_files(store.bundles_dir),
    )


def find_problems(state: CacheState, loaded_before: set[str]) -> list[str]:
    """List every cache that is neither A nor B, or that is gone after it once loaded.

    ``loaded_before`` names the caches that loaded in an earlier state. A
    cache may be missing only if it never loaded.
    """
    problems = []
    for name, found in state.caches().items():
        if found is None:
            if name in loaded_before:
                problems.append(f"{name}: nothing loads, but it loaded before")
        elif found not in ("a", "b"):
            problems.append(f"{name}: {found}")
    return problems


def _identify_bundle(bundle: Bundle | None, variants: Sequence[Variant]) -> str | None:
    if bundle is None:
        return None
    title = bundle.notices[0].title.get("en") if bundle.notices else None
    for variant in variants:
        if (bundle.version == variant.bundle.version and title == variant.notice_title
                and bundle == variant.bundle):
            return variant.name
    return f"unexpected bundle: version {bundle.version}, first notice title {title!r}"


def _identify_feed(entry: FeedCacheEntry | None, variants: Sequence[Variant]) -> str | None:
    if entry is None:
        return None
    for variant in variants:
        if entry == variant.feed_entry:
            return variant.name
    return f"unexpected feed entry with notices {[notice.id for notice in entry.notices]}"


def _identify_metadata(path: Path, variants: Sequence[Variant]) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    for variant in variants:
        if data == variant.metadata[path.name]:
            return variant.name
    return f"unexpected {path}: {len(data)} bytes matching neither variant"


def _count_files(folder: Path) -> int:
    try:
        return sum(1 for _ in folder.iterdir())
    except FileNotFoundError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
