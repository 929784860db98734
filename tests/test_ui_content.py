"""Signed content end to end: publish v1 and v2, the kiosk verifies each and shows it."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.config import SyncConfig
from kiosk.publish import init_keys
from kiosk.publish.repository import publish
from kiosk.sync.content_source import ContentSource
from kiosk.sync.http import USER_AGENT, HttpClient
from kiosk.sync.worker import SyncWorker

pytest_plugins = ["test_publish_support"]
pytestmark = pytest.mark.ui

NOW = datetime.fromisoformat("2026-12-04T09:30:00+08:00")


def bundle_with_notice(bundle_path: Path, title: str) -> dict[str, object]:
    document = json.loads(bundle_path.read_text("utf-8"))
    document["sample"] = False
    document["published_at"] = "2026-12-04T08:00:00+08:00"
    notice = document["notices"][0]
    notice["id"] = "signed-notice"
    notice["severity"] = "info"
    notice["title"] = {"zh_Hans": title, "en": title}
    return document


def test_published_versions_reach_the_screen(kiosk_home, repo_server, tmp_path, default_bundle_path):
    app = kiosk_home.app
    original = app.state.bundle
    keys = tmp_path / "keys"
    init_keys(keys)
    publish(bundle_with_notice(default_bundle_path, "签名内容第一版"), repo_server.directory, keys,
            now=NOW)
    root = tmp_path / "installed-root.json"
    shutil.copy(repo_server.directory / "metadata" / "root.json", root)

    config = SyncConfig(repository_url=repo_server.url, trusted_root=root,
                        allowed_hosts=("127.0.0.1",))
    data = tmp_path / "kiosk-data"
    try:
        with HttpClient(config, USER_AGENT) as client:
            worker = SyncWorker([ContentSource(config, data, client)], config,
                                app.deliver_sync, on_bundle=app.deliver_bundle,
                                now=kiosk_home.clock.now)
            status = worker.sync_once()
            kiosk_home.frames(3)
            assert status.failing == ()
            assert app.state.bundle.version == 1
            assert app.state.bundle.sample is False
            app.show("notices")
            kiosk_home.frames()
            assert "签名内容第一版" in kiosk_home.visible_texts()
            assert app.root.ids.banners.sample is False

            publish(bundle_with_notice(default_bundle_path, "签名内容第二版"), repo_server.directory,
                    keys, now=NOW)
            worker.sync_once()
            kiosk_home.frames(3)
            texts = kiosk_home.visible_texts()
            assert app.state.bundle.version == 2
            assert "签名内容第二版" in texts
            assert "签名内容第一版" not in texts
            footer = app.root.ids.footer.version_text
            assert "2" in footer
    finally:
        app.state.bundle = original
        app.state.sync_status = None
        kiosk_home.frames()


def test_tampered_bundle_leaves_screen_unchanged(kiosk_home, repo_server, tmp_path,
                                                 default_bundle_path):
    app = kiosk_home.app
    original = app.state.bundle
    keys = tmp_path / "keys"
    init_keys(keys)
    publish(bundle_with_notice(default_bundle_path, "原始内容"), repo_server.directory, keys, now=NOW)
    root = tmp_path / "installed-root.json"
    shutil.copy(repo_server.directory / "metadata" / "root.json", root)
    for target in (repo_server.directory / "targets").glob("*bundle.json"):
        target.write_bytes(target.read_bytes().replace("原始内容".encode(), "伪造内容".encode()))

    config = SyncConfig(repository_url=repo_server.url, trusted_root=root,
                        allowed_hosts=("127.0.0.1",))
    try:
        with HttpClient(config, USER_AGENT) as client:
            worker = SyncWorker([ContentSource(config, tmp_path / "data", client)], config,
                                app.deliver_sync, on_bundle=app.deliver_bundle,
                                now=kiosk_home.clock.now)
            status = worker.sync_once()
        kiosk_home.frames(3)
        assert status.failing, "a tampered bundle must fail verification"
        assert app.state.bundle is original
        assert "伪造内容" not in "\n".join(kiosk_home.visible_texts())
        app.show("maintenance")
        kiosk_home.frames()
        assert status.failing[0].last_error in "\n".join(kiosk_home.visible_texts())
    finally:
        app.state.sync_status = None
        kiosk_home.frames()


def test_remote_settings_reach_the_kiosk(kiosk_home, repo_server, tmp_path, default_bundle_path):
    from dataclasses import replace as replace_config

    from kiosk.ui.maintenance import hash_pin

    app = kiosk_home.app
    original_config, original_bundle = app.kiosk_config, app.state.bundle
    settings_file = tmp_path / "kiosk-settings.json"
    settings_file.write_text(json.dumps({"schema_version": 1, "kiosks": [
        {"kiosk_id": "other", "site_id": "x", "languages": ["en"], "default_language": "en",
         "idle_timeout_s": 30, "maintenance_pin_hash": ""},
        {"kiosk_id": "kiosk-7", "site_id": "sample-railway-south", "languages": ["en", "zh_Hans"],
         "default_language": "en", "idle_timeout_s": 90, "maintenance_pin_hash": hash_pin("8642")},
    ]}), encoding="utf-8")
    keys = tmp_path / "keys"
    init_keys(keys)
    publish(bundle_with_notice(default_bundle_path, "站点设置测试"), repo_server.directory, keys,
            now=NOW, extra_targets={"kiosk-settings.json": settings_file})
    root = tmp_path / "installed-root.json"
    shutil.copy(repo_server.directory / "metadata" / "root.json", root)
    config = SyncConfig(repository_url=repo_server.url, trusted_root=root,
                        allowed_hosts=("127.0.0.1",))
    app.kiosk_config = replace_config(app.kiosk_config, kiosk_id="kiosk-7")
    try:
        with HttpClient(config, USER_AGENT) as client:
            worker = SyncWorker([ContentSource(config, tmp_path / "data", client, "kiosk-7")], config,
                                app.deliver_sync, on_bundle=app.deliver_bundle,
                                on_settings=app.deliver_settings, now=kiosk_home.clock.now)
            assert worker.sync_once().failing == ()
        kiosk_home.frames(3)
        assert app.kiosk_config.languages == ("en", "zh_Hans")
        assert app.kiosk_config.default_language == "en"
        assert app.idle.timeout_s == 90
        assert app.pin_gate.check("8642") is True
        assert app.state.selection.site.id == "sample-railway-south"
        # The new default language applies from the next idle reset on.
        app.reset_to_home()
        kiosk_home.frames()
        assert app.tr.language == "en"
        language_bar = app.root.ids.header.ids.languages
        assert language_bar.languages == ["en", "zh_Hans"]
        assert (tmp_path / "data" / "content" / "kiosk-settings.json").exists()
    finally:
        app.kiosk_config = original_config
        app.state.bundle = original_bundle
        app.state.set_site(original_config.site_id)
        app.idle.timeout_s = original_config.idle_timeout_s
        app.root.ids.header.ids.languages.languages = list(original_config.languages)
        app.tr.language = original_config.default_language
        app.state.sync_status = None
        kiosk_home.frames()
