"""The signed content repository as a source of the sync worker."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from kiosk.config import SyncConfig
from kiosk.remote_settings import RemoteSettings, RemoteSettingsError, parse_remote_settings
from kiosk.sync.cache import atomic_write
from kiosk.sync.content import ContentUpdater
from kiosk.sync.http import HttpClient
from kiosk.sync.status import SourceResult
from kiosk.sync.store import load_verified_bundle

logger = logging.getLogger(__name__)


class ContentSource:
    """Keeps the verified content bundle and this kiosk's remote settings current.

    It contributes a bundle and settings, not notices. The last verified
    settings file is kept in the data folder, so remote settings survive a
    restart without network.
    """

    kind = "content"
    name = "content"

    def __init__(self, config: SyncConfig, data_dir: Path, client: HttpClient,
                 kiosk_id: str = "") -> None:
        self._config = config
        self._data_dir = data_dir
        self._kiosk_id = kiosk_id
        self._updater = ContentUpdater(config, data_dir, client)
        self._settings_path = self._updater.store.root / "kiosk-settings.json"
        self._settings_bytes: bytes | None = None

    @property
    def url(self) -> str:
        return self._config.repository_url

    def restore(self, now: datetime) -> SourceResult | None:
        bundle = load_verified_bundle(self._data_dir)
        settings = self._restore_settings()
        if bundle is None and settings is None:
            return None
        record = self._updater.store.read_record()
        verified = record.verified_at if record is not None else None
        return SourceResult(self.name, ok=True, notices=(), confirmed_at=verified, bundle=bundle,
                            settings=settings)

    def sync(self, now: datetime) -> SourceResult:
        result = self._updater.sync(now)
        if result.failure is not None:
            last = result.current.verified_at if result.current else None
            return SourceResult(self.name, ok=False, notices=(), error=result.failure.message,
                                confirmed_at=last)
        settings = None
        if result.settings is not None and result.settings != self._settings_bytes:
            try:
                settings = self._settings_for_kiosk(result.settings)
            except RemoteSettingsError as error:
                logger.warning("Ignoring the published kiosk settings: %s", error)
                return SourceResult(self.name, ok=False, notices=(),
                                    error=f"invalid kiosk settings: {error}", confirmed_at=now,
                                    bundle=result.installed)
            self._settings_bytes = result.settings
            try:
                atomic_write(self._settings_path, result.settings)
            except OSError as error:
                logger.warning("Cannot keep the kiosk settings in %s: %s", self._settings_path, error)
        return SourceResult(self.name, ok=True, notices=(), confirmed_at=now,
                            bundle=result.installed, settings=settings)

    def _settings_for_kiosk(self, data: bytes) -> RemoteSettings | None:
        if not self._kiosk_id:
            return None
        settings = parse_remote_settings(data, self._kiosk_id)
        if settings is None:
            logger.info("The published kiosk settings have no entry for kiosk %s", self._kiosk_id)
        return settings

    def _restore_settings(self) -> RemoteSettings | None:
        try:
            data = self._settings_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            logger.warning("Cannot read the kept kiosk settings %s: %s", self._settings_path, error)
            return None
        try:
            settings = self._settings_for_kiosk(data)
        except RemoteSettingsError as error:
            logger.warning("Ignoring the kept kiosk settings %s: %s", self._settings_path, error)
            return None
        self._settings_bytes = data
        return settings
