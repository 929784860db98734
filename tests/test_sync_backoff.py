"""Tests for kiosk.sync.backoff."""

from __future__ import annotations

import random

import pytest

from kiosk.sync.backoff import Backoff


def test_first_failure_waits_between_base_and_double() -> None:
    assert Backoff(10.0, 1800.0, rng=lambda: 0.0).failure() == 10.0
    assert Backoff(10.0, 1800.0, rng=lambda: 1.0).failure() == 20.0
    assert Backoff(10.0, 1800.0, rng=lambda: 0.5).failure() == 15.0


def test_ceiling_doubles_until_max() -> None:
    backoff = Backoff(10.0, 100.0, rng=lambda: 1.0)

    delays = [backoff.failure() for _ in range(6)]

    assert delays == [20.0, 40.0, 80.0, 100.0, 100.0, 100.0]
    assert backoff.failures == 6


def test_delays_stay_within_bounds() -> None:
    generator = random.Random(1234)  # noqa: S311 (seeded so the test repeats)
    backoff = Backoff(10.0, 1800.0, rng=generator.random)

    for failures in range(1, 200):
        delay = backoff.failure()
        assert 10.0 <= delay <= min(1800.0, 10.0 * 2 ** min(failures, 30))


def test_jitter_spreads_delays() -> None:
    generator = random.Random(99)  # noqa: S311 (seeded so the test repeats)
    delays = set()
    for _ in range(50):
        backoff = Backoff(10.0, 1800.0, rng=generator.random)
        backoff.failure()
        delays.add(round(backoff.failure(), 3))

    assert len(delays) > 40


def test_success_resets_failures() -> None:
    backoff = Backoff(10.0, 1800.0, rng=lambda: 1.0)
    for _ in range(5):
        backoff.failure()

    backoff.success()

    assert backoff.failures == 0
    assert backoff.failure() == 20.0


def test_rng_outside_unit_interval_is_clamped() -> None:
    assert Backoff(10.0, 1800.0, rng=lambda: 7.0).failure() == 20.0
    assert Backoff(10.0, 1800.0, rng=lambda: -1.0).failure() == 10.0


@pytest.mark.parametrize(("base_s", "max_s"), [(0.0, 10.0), (-1.0, 10.0), (20.0, 10.0)])
def test_invalid_bounds_are_rejected(base_s: float, max_s: float) -> None:
    with pytest.raises(ValueError, match="0 < base_s <= max_s"):
        Backoff(base_s, max_s)
