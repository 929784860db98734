"""Security headers, CSRF protection and the read-only file views of the console."""

from __future__ import annotations

import os

import pytest
from console_support import PASSWORD
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

POLICY_PARTS = ("default-src 'self'", "img-src 'self' data:", "style-src 'self'",
                "frame-ancestors 'none'")


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/", "/admin/console/preview/",
                                  "/admin/console/publish/", "/admin/content/notice/",
                                  "/repository/metadata/missing.json"])
def test_every_page_has_content_security_policy(client, make_user, path):
    client.force_login(make_user("pat", "publisher"))

    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    for part in POLICY_PARTS:
        assert part in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_lockout_page_has_content_security_policy(client, make_user):
    make_user("alice", "editor", password=True)
    for _attempt in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "wrong password"})

    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_login_without_csrf_token_is_rejected(make_user):
    make_user("alice", "editor", password=True)
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_succeeds(make_user):
    make_user("alice", "editor", password=True)
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD,
                                             "csrfmiddlewaretoken": token})

    assert response.status_code == 302


def test_publish_without_csrf_token_is_rejected(make_user, minimal_content, console_dirs):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("pat", "publisher"))

    response = client.post("/admin/console/publish/", {"note": "no token"})

    assert response.status_code == 403
    assert not (console_dirs["repo"] / "metadata").exists()


def test_notice_change_without_csrf_token_is_rejected(make_user, minimal_content):
    from kiosk.admin.content.models import Notice

    notice = Notice.objects.get(bundle_id="notice-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("eddie", "editor"))

    response = client.post(f"/admin/content/notice/{notice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Notice.objects.filter(pk=notice.pk).exists()


@pytest.fixture
def repository(settings, tmp_path):
    repo = tmp_path / "repository"
    (repo / "metadata").mkdir(parents=True)
    (repo / "targets").mkdir()
    (repo / "metadata" / "timestamp.json").write_text('{"signed": {}}')
    (repo / "metadata" / "1.root.json").write_text('{"signed": {}}')
    (repo / "targets" / "abc.bundle.json").write_text("{}")
    (repo / "metadata" / ".hidden.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", repo / "metadata" / "link.json")
    settings.KIOSK_REPOSITORY_DIR = repo
    return repo


def test_repository_file_is_served_as_json(client, repository):
    response = client.get("/repository/metadata/timestamp.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-cache"
    assert b"".join(response.streaming_content) == b'{"signed": {}}'


@pytest.mark.parametrize("path", ["metadata/1.root.json", "targets/abc.bundle.json"])
def test_versioned_repository_files_are_immutable(client, repository, path):
    response = client.get(f"/repository/{path}")

    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]


@pytest.mark.parametrize("path", [
    "../secret.txt",
    "metadata/../../secret.txt",
    "%2e%2e/secret.txt",
    "metadata/%2e%2e/%2e%2e/secret.txt",
    "metadata/.hidden.json",
    "metadata/link.json",
    "metadata",
    "metadata/",
    "metadata//timestamp.json",
    "metadata\\..\\..\\secret.txt",
    "/etc/passwd",
])
def test_repository_view_stays_inside_its_folder(client, repository, path):
    response = client.get(f"/repository/{path}")

    assert response.status_code == 404


def test_repository_view_accepts_only_reads(client, repository):
    response = client.post("/repository/metadata/timestamp.json")

    assert response.status_code == 405


def test_static_files_are_served_with_their_type(client, settings, tmp_path):
    (tmp_path / "admin" / "css").mkdir(parents=True)
    (tmp_path / "admin" / "css" / "base.css").write_text("body {}")
    settings.STATIC_ROOT = tmp_path

    response = client.get("/static/admin/css/base.css")
    missing = client.get("/static/../secret_key")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert missing.status_code == 404
