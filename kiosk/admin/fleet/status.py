"""Whether a kiosk is online, late or silent, judged from its last heartbeat.

A kiosk is online while its last heartbeat is at most ``late_after_s`` old,
late until it is ``silent_after_s`` old, and silent after that. The settings
``KIOSK_FLEET_HEARTBEAT_INTERVAL_S`` (default 60), ``KIOSK_FLEET_LATE_AFTER_S``
(default two intervals) and ``KIOSK_FLEET_SILENT_AFTER_S`` (default 900) set
the thresholds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy

DEFAULT_INTERVAL_S = 60.0
DEFAULT_SILENT_AFTER_S = 15 * 60.0


class KioskState(enum.Enum):
    ONLINE = "online"
    LATE = "late"
    SILENT = "silent"
    #: No heartbeat has ever arrived.
    NEVER = "never"

    @property
    def label(self) -> str:
        return str(_STATE_LABELS[self])


_STATE_LABELS = {
    KioskState.ONLINE: gettext_lazy("online"),
    KioskState.LATE: gettext_lazy("late"),
    KioskState.SILENT: gettext_lazy("silent"),
    KioskState.NEVER: gettext_lazy("never reported"),
}


@dataclass(frozen=True)
class Thresholds:
    """Ages of the last heartbeat, in seconds, at which a kiosk counts as late or silent."""

    interval_s: float
    late_after_s: float
    silent_after_s: float

    def __post_init__(self) -> None:
        if not 0 < self.interval_s:
            raise ImproperlyConfigured(
                f"KIOSK_FLEET_HEARTBEAT_INTERVAL_S is {self.interval_s}; expected more than 0")
        if not 0 < self.late_after_s < self.silent_after_s:
            raise ImproperlyConfigured(
                f"KIOSK_FLEET_LATE_AFTER_S ({self.late_after_s}) must be more than 0 and less "
                f"than KIOSK_FLEET_SILENT_AFTER_S ({self.silent_after_s})")

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        interval = float(getattr(settings, "KIOSK_FLEET_HEARTBEAT_INTERVAL_S", DEFAULT_INTERVAL_S))
        return cls(
            interval_s=interval,
            late_after_s=float(getattr(settings, "KIOSK_FLEET_LATE_AFTER_S", 2 * interval)),
            silent_after_s=float(getattr(settings, "KIOSK_FLEET_SILENT_AFTER_S",
                                         DEFAULT_SILENT_AFTER_S)),
        )


def classify(last_heartbeat: datetime | None, now: datetime, thresholds: Thresholds) -> KioskState:
    """Return the state of a kiosk whose last heartbeat arrived at ``last_heartbeat``."""
    if last_heartbeat is None:
        return KioskState.NEVER
    age = (now - last_heartbeat).total_seconds()
    if age <= thresholds.late_after_s:
        return KioskState.ONLINE
    if age <= thresholds.silent_after_s:
        return KioskState.LATE
    return KioskState.SILENT


def state_filter(state: KioskState, now: datetime, thresholds: Thresholds) -> Q:
    """Return the database filter for kiosks in ``state``, with the bounds of :func:`classify`."""
    late_since = now - timedelta(seconds=thresholds.late_after_s)
    silent_since = now - timedelta(seconds=thresholds.silent_after_s)
    if state is KioskState.NEVER:
        return Q(last_heartbeat_at__isnull=True)
    if state is KioskState.ONLINE:
        return Q(last_heartbeat_at__gte=late_since)
    if state is KioskState.LATE:
        return Q(last_heartbeat_at__lt=late_since, last_heartbeat_at__gte=silent_since)
    return Q(last_heartbeat_at__lt=silent_since)
