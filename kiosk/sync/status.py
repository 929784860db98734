"""Immutable results and status of sync sources, for the maintenance view and the heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.content.model import Bundle, Notice
from kiosk.remote_settings import RemoteSettings


@dataclass(frozen=True)
class SourceResult:
    """The outcome of one sync of one source.

    ``notices`` are what the source contributes to the screen now: the new ones
    after a success, the last good ones after a failure.
    """

    name: str
    ok: bool
    notices: tuple[Notice, ...]
    #: What failed, for the maintenance view; ``None`` after a clean success.
    error: str | None = None
    #: True when the server returned 304 and nothing was downloaded.
    not_modified: bool = False
    #: When the source's content was last confirmed current; ``None`` if never.
    confirmed_at: datetime | None = None
    #: A newly verified content bundle to show in place of the current one.
    bundle: Bundle | None = None
    #: This kiosk's verified remote settings, when the repository has an entry for it.
    settings: RemoteSettings | None = None


@dataclass(frozen=True)
class SourceStatus:
    """Sync status of one source: a configured feed or the signed content repository."""

    name: str
    #: ``feed`` or ``content``.
    kind: str
    url: str
    last_attempt: datetime | None = None
    #: Last time the source's content was confirmed current, by a download or a 304.
    last_success: datetime | None = None
    #: Text of the last failure; cleared by the next success.
    last_error: str | None = None
    item_count: int = 0
    consecutive_failures: int = 0
    next_attempt: datetime | None = None

    def is_stale(self, now: datetime, stale_after_s: float) -> bool:
        """Return True when the content was confirmed more than ``stale_after_s`` ago, or never.

        A last success later than ``now`` also counts as stale. It means the
        wall clock was stepped back since then (or was wrong then), so the age
        of the content is unknown until the next success is recorded.
        """
        if self.last_success is None:
            return True
        age = now - self.last_success
        return age < timedelta(0) or age > timedelta(seconds=stale_after_s)


@dataclass(frozen=True)
class SyncStatus:
    """Snapshot of every source's status at ``taken_at``."""

    taken_at: datetime
    sources: tuple[SourceStatus, ...] = ()

    def source(self, name: str) -> SourceStatus | None:
        return next((status for status in self.sources if status.name == name), None)

    @property
    def failing(self) -> tuple[SourceStatus, ...]:
        """Sources whose last attempt failed."""
        return tuple(status for status in self.sources if status.consecutive_failures > 0)

    @property
    def content_sources(self) -> tuple[SourceStatus, ...]:
        """Sources of what passengers see; the heartbeat to the console is not one."""
        return tuple(status for status in self.sources if status.kind != "heartbeat")

    @property
    def last_success(self) -> datetime | None:
        """The oldest of the content sources' last successes: the age of the least current content."""
        moments = [status.last_success for status in self.content_sources]
        if not moments or any(moment is None for moment in moments):
            return None
        return min(moment for moment in moments if moment is not None)

    def stale_sources(self, now: datetime, stale_after_s: float) -> tuple[SourceStatus, ...]:
        return tuple(status for status in self.content_sources
                     if status.is_stale(now, stale_after_s))
