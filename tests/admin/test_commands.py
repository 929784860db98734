"""The ``kiosk admin`` commands: init, import-bundle, import-feeds and serve under gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from console_support import DEFAULT_BUNDLE, FEED_FIXTURES, PASSWORD
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from loopback import Route, loopback_server_fixture  # noqa: F401

from kiosk.admin.accounts.models import Profile
from kiosk.admin.commands import main
from kiosk.admin.content.models import FeedSource, Hotline, Notice
from kiosk.publish.keys import ROLES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def console_settings(settings, tmp_path):
    settings.KIOSK_KEYS_DIR = tmp_path / "keys"
    settings.STATIC_ROOT = tmp_path / "static"
    return settings


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.mark.django_db
def test_init_creates_administrator_keys_roles_and_static_files(console_settings, password_file,
                                                                capsys):
    code = main(["admin", "init", "--username", "root", "--password-file", str(password_file),
                 "--mobile", "139 0013 9000"])

    output = capsys.readouterr().out
    assert code == 0, output
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.is_staff
    assert user.check_password(PASSWORD)
    assert Profile.objects.get(user=user).mobile == "13900139000"
    for role in ROLES:
        key = console_settings.KIOSK_KEYS_DIR / f"{role}.pem"
        assert key.is_file()
        assert key.stat().st_mode & 0o077 == 0
    assert {"editor", "publisher", "viewer"} <= set(Group.objects.values_list("name", flat=True))
    assert (console_settings.STATIC_ROOT / "admin" / "css" / "base.css").is_file()
    assert (console_settings.STATIC_ROOT / "content" / "preview.css").is_file()
    assert str(console_settings.KIOSK_KEYS_DIR / "root.pem") in output


@pytest.mark.django_db
def test_init_again_keeps_administrator_and_keys(console_settings, password_file, capsys):
    main(["admin", "init", "--username", "root", "--password-file", str(password_file)])
    key = (console_settings.KIOSK_KEYS_DIR / "targets.pem").read_bytes()

    code = main(["admin", "init", "--username", "other", "--password-file",
                 str(password_file)])

    assert code == 0
    assert not get_user_model().objects.filter(username="other").exists()
    assert (console_settings.KIOSK_KEYS_DIR / "targets.pem").read_bytes() == key


@pytest.mark.django_db
def test_init_rejects_weak_password(console_settings, tmp_path, capsys):
    weak = tmp_path / "weak.txt"
    weak.write_text("12345678\n")

    code = main(["admin", "init", "--username", "root", "--password-file", str(weak)])

    assert code == 2
    assert not get_user_model().objects.exists()
    assert not (console_settings.KIOSK_KEYS_DIR / "root.pem").exists()
    assert capsys.readouterr().err


@pytest.mark.django_db
def test_init_without_terminal_needs_password_file(console_settings, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)

    code = main(["admin", "init", "--username", "root"])

    assert code == 2
    assert "--password-file" in capsys.readouterr().err
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_import_bundle_command_loads_approved_items(capsys):
    code = main(["admin", "import-bundle", str(DEFAULT_BUNDLE)])

    assert code == 0
    assert Notice.objects.count() == 4
    assert Hotline.objects.filter(number="12320").exists()
    assert set(Notice.objects.values_list("status", flat=True)) == {"approved"}


@pytest.mark.django_db
def test_import_bundle_command_rejects_invalid_bundle(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1}')

    code = main(["admin", "import-bundle", str(broken)])

    assert code == 1
    assert "broken.json" in capsys.readouterr().err
    assert not Notice.objects.exists()


@pytest.mark.django_db
def test_import_feeds_command_reports_failure(loopback_server, capsys):
    good = loopback_server.add("/cap.xml", Route(
        body=(FEED_FIXTURES / "cap12_multilingual_station_measles.xml").read_bytes()))
    bad = loopback_server.add("/bad.xml", Route(body=b"<html><body>login</body></html>",
                                                content_type="text/html"))
    FeedSource.objects.create(name="Good feed", url=good)
    FeedSource.objects.create(name="Bad feed", url=bad)
    FeedSource.objects.create(name="Disabled feed", url=bad, enabled=False)

    code = main(["admin", "import-feeds"])

    output = capsys.readouterr().out
    assert code == 1
    assert "Good feed" in output
    assert "Bad feed" in output
    assert "Disabled feed" not in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path,
              timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: "
                                 f"{log.read_text(errors='replace')}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


def test_serve_runs_console_under_gunicorn(tmp_path, password_file):
    environment = {**os.environ, "KIOSK_ADMIN_DATA": str(tmp_path / "data"),
                   "NO_PROXY": "127.0.0.1", "LANG": "C.UTF-8"}
    # The served console uses its own SQLite database, never the test database server.
    environment.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "kiosk.admin.commands", "admin"]
    init_command = [*command, "init", "--username", "root", "--password-file",
                    str(password_file)]
    init = subprocess.run(init_command, env=environment, cwd=REPO,  # noqa: S603
                          capture_output=True, timeout=60, check=False)
    assert init.returncode == 0, init.stderr.decode()

    port = _free_port()
    serve_command = [*command, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(serve_command, env=environment, cwd=REPO,  # noqa: S603
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/admin/login/", server, tmp_path / "serve.log")
        login = requests.get(base + "/admin/login/", timeout=5)
        css = requests.get(base + "/static/admin/css/base.css", timeout=5)
        missing = requests.get(base + "/repository/metadata/timestamp.json", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    assert login.status_code == 200
    assert "default-src 'self'" in login.headers["Content-Security-Policy"]
    assert 'name="username"' in login.text
    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert missing.status_code == 404


def test_serve_refuses_database_without_migrations(tmp_path):
    environment = {**os.environ, "KIOSK_ADMIN_DATA": str(tmp_path / "empty")}
    environment.pop("DATABASE_URL", None)

    result = subprocess.run([sys.executable, "-m", "kiosk.admin.commands",  # noqa: S603
                             "admin", "serve",
                             "--bind", f"127.0.0.1:{_free_port()}"], env=environment, cwd=REPO,
                            capture_output=True, timeout=60, check=False)

    assert result.returncode == 2
    assert b"kiosk admin init" in result.stderr
