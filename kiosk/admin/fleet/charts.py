"""Chart geometry for the fleet page: daily totals as SVG bars and per-screen or per-language rows.

The page draws the charts as inline SVG from these numbers, so it needs no
script and no external resource under the console's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

#: Size of the daily chart's drawing area, in SVG user units (CSS pixels).
DAY_CHART_WIDTH = 720
DAY_CHART_HEIGHT = 160
#: Room under the bars for the day labels.
DAY_LABEL_HEIGHT = 20
#: Length of the longest bar in a breakdown row, in CSS pixels.
ROW_BAR_WIDTH = 160


@dataclass(frozen=True)
class DayBar:
    """One day's column in the daily chart."""

    day: date
    value: int
    x: float
    y: float
    width: float
    height: float
    #: Centre of the column, for its label.
    label_x: float


@dataclass(frozen=True)
class DayChart:
    bars: tuple[DayBar, ...]
    maximum: int
    width: int
    height: int
    #: Top of the day labels.
    label_y: int


@dataclass(frozen=True)
class BreakdownRow:
    """Views of one screen or one language: per day, in total, and the total's bar length."""

    label: str
    per_day: tuple[int, ...]
    total: int
    bar_width: int


def day_chart(days: Sequence[date], totals: Mapping[date, int]) -> DayChart:
    """Lay out one column per day, scaled so the busiest day fills the height."""
    maximum = max((totals.get(day, 0) for day in days), default=0)
    slot = DAY_CHART_WIDTH / max(1, len(days))
    gap = min(8.0, slot * 0.2)
    bars = []
    for index, day in enumerate(days):
        value = totals.get(day, 0)
        height = DAY_CHART_HEIGHT * value / maximum if maximum else 0.0
        x = index * slot + gap / 2
        bars.append(DayBar(day=day, value=value, x=round(x, 1),
                           y=round(DAY_CHART_HEIGHT - height, 1), width=round(slot - gap, 1),
                           height=round(height, 1), label_x=round(x + (slot - gap) / 2, 1)))
    return DayChart(bars=tuple(bars), maximum=maximum, width=DAY_CHART_WIDTH,
                    height=DAY_CHART_HEIGHT + DAY_LABEL_HEIGHT, label_y=DAY_CHART_HEIGHT + 14)


def breakdown(days: Sequence[date], counts: Mapping[tuple[str, date], int]) -> tuple[BreakdownRow, ...]:
    """Return one row per label in ``counts`` (keyed by label and day), busiest first."""
    labels = sorted({label for label, _day in counts})
    rows = []
    for label in labels:
        per_day = tuple(counts.get((label, day), 0) for day in days)
        rows.append((label, per_day, sum(per_day)))
    maximum = max((total for _, _, total in rows), default=0)
    ordered = sorted(rows, key=lambda row: (-row[2], row[0]))
    return tuple(
        BreakdownRow(label=label, per_day=per_day, total=total,
                     bar_width=round(ROW_BAR_WIDTH * total / maximum) if maximum else 0)
        for label, per_day, total in ordered)
