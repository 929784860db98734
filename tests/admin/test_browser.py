"""A content admin's day in a real Chromium: write, check translations, preview, publish, sync.

Runs Debian's /usr/bin/chromium through Playwright against the console on a
live server on 127.0.0.1; Playwright never downloads a browser here. Set
``KIOSK_TEST_SCREENSHOTS`` to a folder to keep the screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import MINIMAL_BUNDLE, PASSWORD, load_bundle_file
from django.db import connections

from kiosk.admin.content.models import Notice, Publication
from kiosk.sync.content import sync_content_once
from kiosk.sync.store import load_verified_bundle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's Chromium at /usr/bin/chromium "
                              "(apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("KIOSK_TEST_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("console-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page with a Chinese Accept-Language, and the console messages it logs."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, and Django rejects
    # database queries from a thread with a running loop unless this is set.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000},
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(15_000)
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        try:
            yield page, messages
        finally:
            context.close()
            browser.close()
            # A query made while Playwright's sync API runs leaves a connection that
            # pytest-django does not close, and PostgreSQL then refuses to drop the
            # test database, so close it here.
            connections.close_all()


def test_admin_writes_previews_and_publishes_to_a_kiosk(live_server, make_user, console_dirs,
                                                       browser_page, screenshots, tmp_path):
    load_bundle_file(MINIMAL_BUNDLE)
    make_user("pat", "publisher", password=True, mobile="13800138000")
    page, console_messages = browser_page
    base = live_server.url

    page.goto(f"{base}/admin/login/")
    assert page.locator("label[for=id_username]").inner_text().startswith("用户名或手机号")
    page.fill("#id_username", "13800138000")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    assert "终端内容管理控制台" in page.inner_text("#site-name")
    page.screenshot(path=str(screenshots / "console-index-zh_Hans.png"), full_page=True)

    page.goto(f"{base}/admin/content/notice/add/")
    page.fill("#id_title_zh_Hans", "南站临时封闭")
    page.fill("#id_title_en", "South station closed today")
    page.fill("#id_body_zh_Hans", "今天南站进站口临时封闭。\n\n请从北口进站。")
    page.fill("#id_body_en", "The south entrance is closed today.\n\nPlease use the north "
                             "entrance.")
    page.select_option("#id_severity", "warning")
    page.select_option("#id_status", "approved")
    page.screenshot(path=str(screenshots / "console-notice-form-zh_Hans.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r".*/admin/content/notice/$"))
    notice = Notice.objects.get(title__en="South station closed today")
    assert notice.status == "approved"

    page.goto(f"{base}/admin/console/translations/")
    japanese = page.locator("#language-ja")
    assert japanese.locator(f"a[href='/admin/content/notice/{notice.pk}/change/']").count() == 1
    assert page.locator("#language-en .translation-gaps").count() == 0
    page.screenshot(path=str(screenshots / "console-translations-zh_Hans.png"), full_page=True)

    page.goto(f"{base}/admin/console/preview/?site=airport-1&language=ja")
    screen = page.locator("#kiosk-screen")
    assert screen.get_attribute("lang") == "ja"
    assert "南站临时封闭" in screen.inner_text()
    assert screen.locator(".fallback-mark").count() > 0
    page.screenshot(path=str(screenshots / "console-preview-ja.png"), full_page=True)
    page.goto(f"{base}/admin/console/preview/?site=airport-1&language=ar")
    assert page.locator("#kiosk-screen").get_attribute("dir") == "rtl"
    page.screenshot(path=str(screenshots / "console-preview-ar.png"), full_page=True)

    page.goto(f"{base}/admin/console/publish/")
    page.fill("#id_note", "南站封闭通知")
    page.click("#publish-button")
    page.wait_for_selector(".messagelist .success")
    assert "已发布版本 1" in page.inner_text(".messagelist")
    page.screenshot(path=str(screenshots / "console-published-zh_Hans.png"), full_page=True)
    assert Publication.objects.get().published_by.username == "pat"

    root = tmp_path / "installed-root.json"
    shutil.copy(console_dirs["repo"] / "metadata" / "root.json", root)
    result = sync_content_once(f"{base}/repository/", root, tmp_path / "kiosk")
    assert result.ok, result.failure
    assert result.current is not None and result.current.version == 1
    bundle = load_verified_bundle(tmp_path / "kiosk")
    assert bundle is not None
    synced = next(item for item in bundle.notices if item.id == notice.bundle_id)
    assert synced.title == {"zh_Hans": "南站临时封闭", "en": "South station closed today"}

    # The kiosk, started on the data folder the sync filled, shows the notice.
    if os.environ.get("DISPLAY"):
        import subprocess
        import sys

        config = tmp_path / "kiosk.toml"
        config.write_text(f"data_dir = '{tmp_path / 'kiosk'}'\n[display]\nfullscreen = false\n",
                          encoding="utf-8")
        shot = screenshots / "kiosk-after-console-publish.png"
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "kiosk.cli", "screenshot", "--config", str(config),
             "--screen", "notice", "--notice", notice.bundle_id, "--lang", "zh_Hans",
             "--out", str(shot)],
            env=dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"), LANGUAGE="en"),
            capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "Starting on verified content version 1" in run.stderr
        assert shot.stat().st_size > 10_000

    violations = [text for text in console_messages if "Content Security Policy" in text]
    assert violations == []
