"""Power-loss benchmark: kill the cache writer 200 times and check what start-up finds each time.

Each run starts ``tests/power_loss_writer.py`` on one data folder. The writer
alternates versions A and B of every kiosk cache (verified content, feed
cache, simulated TUF metadata) through the kiosk's write code. The script
kills it with SIGKILL at a seeded random moment: at once, as soon as it is
ready, or 5 ms to 150 ms later. After each kill the kiosk's start-up loaders must find
A or B in every cache, and nothing once loaded may be gone. After the last
kill one more writer run must complete on the same folder.

Run it from the repository root:

    .venv/bin/python tests/benchmarks/bench_power_loss.py

SIGKILL keeps the kernel's page cache, so this shows which states the write
sequence can leave, not what survives a real power cut; the fsync tests in
``tests/test_reliability_power_loss.py`` cover the order of fsync and rename.
The script exits with status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))

from power_loss_writer import (  # noqa: E402 (the tests folder is not a package)
    CacheState,
    build_variants,
    find_problems,
    kill_writer_at_random,
    read_state,
    run_writer_rounds,
)


@dataclass
class Summary:
    """Counts gathered over all kills."""

    kills: int = 0
    content: Counter[str] = field(default_factory=Counter)
    feed: Counter[str] = field(default_factory=Counter)
    kill_times: Counter[str] = field(default_factory=Counter)
    #: Kills that left a temporary file, a partial download or a bundle no record names.
    interrupted_writes: int = 0
    max_new_temp_files: int = 0
    max_incoming_files: int = 0
    max_bundle_files: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, index: int, state: CacheState, previous: CacheState | None,
            problems: list[str]) -> None:
        self.kills += 1
        self.content[str(state.content)] += 1
        self.feed[str(state.feed)] += 1
        new_temp_files = len(state.temp_files - previous.temp_files) if previous else \
            len(state.temp_files)
        self.max_new_temp_files = max(self.max_new_temp_files, new_temp_files)
        self.max_incoming_files = max(self.max_incoming_files, state.incoming_files)
        self.max_bundle_files = max(self.max_bundle_files, state.bundle_files)
        if new_temp_files or state.incoming_files or state.bundle_files > 1:
            self.interrupted_writes += 1
        self.problems.extend(f"kill {index}: {problem}" for problem in problems)


def mount_of(path: Path) -> str:
    """Describe the file system holding ``path`` from /proc/mounts, or ``unknown``."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    best = ("", "unknown")
    resolved = str(path.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point, fs_type = parts[1], parts[2]
        prefix = mount_point.rstrip("/") + "/"
        if (resolved == mount_point or resolved.startswith(prefix)) and \
                len(mount_point) > len(best[0]):
            best = (mount_point, f"{fs_type} on {mount_point}")
    return best[1]


def run(iterations: int, seed: int, data_dir: Path) -> int:
    variants = build_variants()
    rng = random.Random(seed)  # noqa: S311 (seeded so a run can be repeated)
    summary = Summary()
    loaded_before: set[str] = set()
    previous: CacheState | None = None
    started = time.monotonic()

    for index in range(iterations):
        kill = kill_writer_at_random(data_dir, rng, index)
        if kill.delay_s is None:
            summary.kill_times["right after start"] += 1
        elif kill.delay_s == 0.0:
            summary.kill_times["right after ready"] += 1
        else:
            summary.kill_times["5-150 ms after ready"] += 1
        problems = []
        if kill.returncode != -signal.SIGKILL:
            problems.append(f"writer exited with status {kill.returncode} before the kill: "
                            f"{kill.stderr.strip()}")
        state = read_state(data_dir, variants)
        problems.extend(find_problems(state, loaded_before))
        summary.add(index, state, previous, problems)
        loaded_before.update(name for name, found in state.caches().items() if found is not None)
        previous = state

    kill_seconds = time.monotonic() - started
    returncode, stderr = run_writer_rounds(data_dir, "a", rounds=3)
    final = read_state(data_dir, variants)
    if returncode != 0:
        summary.problems.append(f"final writer run exited with status {returncode}: {stderr}")
    if set(final.caches().values()) != {"a"}:
        summary.problems.append(f"final writer run left {final.caches()}, expected A everywhere")

    print(f"machine: {platform.machine()}, {platform.platform()}, Python {platform.python_version()}")
    print(f"data folder: {data_dir} ({mount_of(data_dir)})")
    print(f"seed: {seed}")
    print(f"kills: {summary.kills}")
    print(f"kill times: {dict(summary.kill_times)}")
    print(f"content after a kill: A {summary.content['a']}, B {summary.content['b']}, "
          f"none {summary.content['None']}")
    print(f"feed cache after a kill: A {summary.feed['a']}, B {summary.feed['b']}, "
          f"none {summary.feed['None']}")
    print(f"kills that interrupted a write: {summary.interrupted_writes}")
    print(f"max new temporary files after one kill: {summary.max_new_temp_files}")
    print(f"temporary files left at the end: {len(final.temp_files)}")
    print(f"max partial downloads after one kill: {summary.max_incoming_files}")
    print(f"max bundle files after one kill: {summary.max_bundle_files}")
    print(f"final writer run: status {returncode}, caches {final.caches()}")
    print(f"time: {kill_seconds:.1f} s for the kills, "
          f"{kill_seconds / max(summary.kills, 1) * 1000:.0f} ms per kill")
    print(f"problems: {len(summary.problems)}")
    for problem in summary.problems:
        print(f"  {problem}")
    return 1 if summary.problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200,
                        help="writer runs to kill (default: 200)")
    parser.add_argument("--seed", type=int, default=20261204,
                        help="seed of the kill times and start variants (default: 20261204)")
    parser.add_argument("--data-dir", type=Path,
                        help="data folder to write into; default: a new temporary folder, "
                             "removed at the end")
    args = parser.parse_args()
    if args.iterations < 1:
        parser.error(f"--iterations must be at least 1, got {args.iterations}")
    if args.data_dir is not None:
        return run(args.iterations, args.seed, args.data_dir)
    folder = Path(tempfile.mkdtemp(prefix="kiosk-power-loss-"))
    try:
        return run(args.iterations, args.seed, folder / "data")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
