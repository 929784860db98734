"""Fault soak benchmark: a simulated week of sync against a server that cycles through faults.

The real sync worker, content source, feed syncer and heartbeat sender run on
a simulated clock against the loopback FaultServer of ``tests/fault_server.py``.
Each fault mode (refused, stalled, trickling, reset, 503, captive portal,
wrong content type, redirect loop, oversized body, expired signed metadata)
lasts ``--fault-hours`` and is followed by healthy service. The cycle runs
twice in the simulated time and repeats until ``--days`` are over. After every step the soak checks backoff bounds,
the content in force, the per-source status and the heartbeat, and the script
stops at the first wrong value. The default test run covers one simulated day
(``tests/test_reliability_faults.py``); this script runs the whole week.

Run it from the repository root:

    .venv/bin/python tests/benchmarks/soak_sync_week.py

It exits with status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))

from fault_server import FAULT_MODES, Phase, Soak, SoakFailure, fault_cycle  # noqa: E402 (the tests folder is not a package)

from kiosk.publish import init_keys  # noqa: E402

DAY_S = 86400.0


def week_phases(days: float, fault_hours: float) -> list[Phase]:
    """Repeat the fault cycle until ``days`` of simulated time are covered."""
    fault_s = fault_hours * 3600.0
    cycle_s = days * DAY_S / 2  # two cycles a week by default
    healthy_s = (cycle_s - len(FAULT_MODES) * fault_s) / (len(FAULT_MODES) + 1)
    if healthy_s <= 0:
        raise SystemExit(f"--fault-hours {fault_hours} leaves no healthy time in {days} days")
    phases: list[Phase] = []
    while sum(phase.duration_s for phase in phases) < days * DAY_S - 1:
        phases += fault_cycle(fault_s, healthy_s)
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days (default 7)")
    parser.add_argument("--fault-hours", type=float, default=4.0,
                        help="simulated hours each fault mode lasts (default 4)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the backoff jitter")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost,::1")

    phases = week_phases(args.days, args.fault_hours)
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as folder:
        work = Path(folder)
        init_keys(work / "keys")
        started = time.monotonic()
        with Soak(work / "soak", work / "keys", start=datetime(2026, 11, 2, tzinfo=UTC),
                  seed=args.seed) as soak:
            try:
                report = soak.run(phases)
            except SoakFailure as failure:
                print(f"FAILED: {failure}")
                return 1
        elapsed = time.monotonic() - started

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"simulated: {report.simulated_s / DAY_S:.2f} days in {len(phases)} phases, "
          f"{report.steps} steps, real time {elapsed:.1f} s")
    print(f"bundle versions installed: {len(report.bundle_versions_installed)}, "
          f"heartbeats received: {report.heartbeats_received}")
    print(f"backoff after failures: {report.shortest_backoff_s:.0f} s to "
          f"{report.longest_backoff_s:.0f} s")
    longest = max(delay for _, delay in report.recoveries)
    print(f"recoveries: {len(report.recoveries)}, slowest {longest:.0f} s after the fault ended")
    print("attempts / failures per source and mode:")
    for source, mode in sorted(report.attempts):
        failures = report.failures.get((source, mode), 0)
        print(f"  {source:12} {mode:20} {report.attempts[(source, mode)]:5} / {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
