"""Select what a kiosk shows for one moment, site and language.

This is the single selection function: the kiosk screens, the admin preview and
the tests all call ``select_content``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from kiosk.content.model import (
    Bundle,
    Hotline,
    Notice,
    RiskLevel,
    Severity,
    Site,
    SymptomGuidance,
    Targeting,
    TravelRule,
    Validity,
)

#: A wall clock this far past the bundle's publish time is treated as wrong.
#: Bundles are republished at least daily in normal operation, so a clock two
#: years ahead of the newest content is far more likely wrong than right.
MAX_PLAUSIBLE_CLOCK_LEAD = timedelta(days=730)


class ClockStatus(enum.Enum):
    """How far the kiosk trusts its wall clock."""

    OK = "ok"
    BEHIND = "behind"  # earlier than content already published: not yet set by NTP
    AHEAD = "ahead"  # implausibly far past the newest content


class _Targeted(Protocol):
    @property
    def validity(self) -> Validity: ...

    @property
    def targeting(self) -> Targeting: ...


T = TypeVar("T", bound=_Targeted)


@dataclass(frozen=True)
class Selection:
    """The items in force for one moment, site and language."""

    moment: datetime
    clock: ClockStatus
    language: str
    site: Site | None
    notices: tuple[Notice, ...]
    travel_rules: tuple[TravelRule, ...]
    symptoms: tuple[SymptomGuidance, ...]
    risk_levels: tuple[RiskLevel, ...]
    hotlines: tuple[Hotline, ...]
    #: True when the bundle is past its own expiry and may be out of date.
    stale: bool

    @property
    def urgent_notices(self) -> tuple[Notice, ...]:
        return tuple(notice for notice in self.notices if notice.severity is Severity.URGENT)

    @property
    def takeover_notice(self) -> Notice | None:
        """The first notice that must take over the whole screen, if any."""
        return next((n for n in self.notices if n.takes_over_screen), None)


def assess_clock(now: datetime, reference: datetime) -> tuple[ClockStatus, datetime]:
    """Judge the wall clock against the newest verified publish time.

    Returns the status and the moment selection should use: the reference time
    when the clock is wrong, so a kiosk booted in 1970 or years ahead neither
    hides all content as expired nor shows content early.
    """
    if now < reference:
        return ClockStatus.BEHIND, reference
    if now - reference > MAX_PLAUSIBLE_CLOCK_LEAD:
        return ClockStatus.AHEAD, reference
    return ClockStatus.OK, now


def targets_site(targeting: Targeting, site: Site | None) -> bool:
    """Return whether an item with ``targeting`` is meant for ``site``.

    An untargeted item is for every site; a targeted one never shows on a
    kiosk whose site is unknown.
    """
    if not (targeting.site_ids or targeting.site_types or targeting.regions):
        return True
    if site is None:
        return False
    if targeting.site_ids and site.id not in targeting.site_ids:
        return False
    if targeting.site_types and site.site_type not in targeting.site_types:
        return False
    return not targeting.regions or any(
        site.region == region or site.region.startswith(region + "-")
        for region in targeting.regions)


def _in_force(items: Iterable[T], moment: datetime, site: Site | None) -> tuple[T, ...]:
    return tuple(item for item in items
                 if item.validity.contains(moment) and targets_site(item.targeting, site))


def notice_sort_key(notice: Notice) -> tuple[int, float]:
    """Sort key putting the most severe first, then the newest."""
    published = notice.published_at or notice.validity.valid_from
    return (-int(notice.severity), -(published.timestamp() if published else 0.0))


def select_content(bundle: Bundle, now: datetime, site_id: str | None, language: str,
                   extra_notices: Iterable[Notice] = (),
                   clock_reference: datetime | None = None) -> Selection:
    """Return what the kiosk shows at ``now`` for ``site_id`` in ``language``.

    ``extra_notices`` are notices from official feeds, merged with the bundle's.
    ``clock_reference`` is the newest trusted time the kiosk has seen (the
    bundle's publish time when omitted); see ``assess_clock``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if clock_reference is not None and clock_reference.tzinfo is None:
        raise ValueError("clock_reference must be timezone-aware")
    reference = max(bundle.published_at, clock_reference or bundle.published_at)
    clock, moment = assess_clock(now, reference)
    site = bundle.site(site_id) if site_id else None

    notices = sorted(_in_force((*bundle.notices, *extra_notices), moment, site),
                     key=notice_sort_key)
    return Selection(
        moment=moment,
        clock=clock,
        language=language,
        site=site,
        notices=tuple(notices),
        travel_rules=_in_force(bundle.travel_rules, moment, site),
        symptoms=_in_force(bundle.symptoms, moment, site),
        risk_levels=bundle.risk_levels,
        hotlines=_in_force(bundle.hotlines, moment, site),
        stale=moment >= bundle.expires_at,
    )
