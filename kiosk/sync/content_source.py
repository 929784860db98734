"""The signed content repository as a source of the sync worker."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from kiosk.config import SyncConfig
from kiosk.sync.content import ContentUpdater, load_verified_bundle
from kiosk.sync.http import HttpClient
from kiosk.sync.status import SourceResult

logger = logging.getLogger(__name__)


class ContentSource:
    """Keeps the verified content bundle current; contributes a bundle, not notices.

    The status counts the bundle's version as its item count, so the
    maintenance view and the heartbeat show which version is in force.
    """

    kind = "content"
    name = "content"

    def __init__(self, config: SyncConfig, data_dir: Path, client: HttpClient) -> None:
        self._config = config
        self._data_dir = data_dir
        self._updater = ContentUpdater(config, data_dir, client)

    @property
    def url(self) -> str:
        return self._config.repository_url

    def restore(self, now: datetime) -> SourceResult | None:
        bundle = load_verified_bundle(self._data_dir)
        if bundle is None:
            return None
        record = self._updater.store.read_record()
        verified = record.verified_at if record is not None else None
        return SourceResult(self.name, ok=True, notices=(), confirmed_at=verified, bundle=bundle)

    def sync(self, now: datetime) -> SourceResult:
        result = self._updater.sync(now)
        if result.failure is not None:
            last = result.current.verified_at if result.current else None
            return SourceResult(self.name, ok=False, notices=(), error=result.failure.message,
                                confirmed_at=last)
        return SourceResult(self.name, ok=True, notices=(), confirmed_at=now,
                            bundle=result.installed)
