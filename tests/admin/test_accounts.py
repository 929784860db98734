"""Logging in to the console: username or mobile number, Argon2 hashes, throttled failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from console_support import PASSWORD
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kiosk.admin.accounts.mobile import normalize_mobile
from kiosk.admin.accounts.models import Profile

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def login(client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(LOGIN, {"username": username, "password": password,
                               "next": "/admin/"}, REMOTE_ADDR=address, **headers)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(("typed", "stored"), [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("+852 6123 4567", "+85261234567"),
])
def test_mobile_number_is_normalized(typed, stored):
    assert normalize_mobile(typed) == stored


@pytest.mark.parametrize("typed", ["", "alice", "12", "1380013800a", "+" + "1" * 20])
def test_text_that_is_no_mobile_number_is_rejected(typed):
    assert normalize_mobile(typed) is None


def test_login_by_mobile_number(client, make_user):
    user = make_user("alice", "editor", password=True, mobile="13800138000")

    response = login(client, "+86 138 0013 8000", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in_user_id(client) == str(user.pk)


def test_login_by_username(client, make_user):
    user = make_user("alice", "editor", password=True, mobile="13800138000")

    response = login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_wrong_password_is_rejected(client, make_user):
    make_user("alice", "editor", password=True, mobile="13800138000")

    response = login(client, "13800138000", "wrong password")

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert "用户名或手机号" in response.content.decode()


def test_password_is_stored_as_argon2_hash(make_user):
    user = make_user("alice", "editor", password=True)

    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password


def test_mobile_numbers_are_unique(make_user):
    make_user("alice", "editor", mobile="13800138000")
    bob = make_user("bob", "editor")
    profile = Profile.objects.get(user=bob)
    profile.mobile = "+86 138 0013 8000"

    with pytest.raises(ValidationError) as raised:
        profile.full_clean()

    assert "mobile" in raised.value.message_dict


def test_fifth_failure_locks_the_account_out(client, make_user):
    user = make_user("alice", "editor", password=True, mobile="13800138000")
    for _attempt in range(4):
        assert login(client, "alice", "wrong password").status_code == 200
    fifth = login(client, "alice", "wrong password")

    response = login(client, "alice", PASSWORD)

    assert fifth.status_code == 429
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    assert "15 分钟" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert AccessAttempt.objects.get(username=user.username).failures_since_start >= 5


def test_lockout_message_in_english(client, make_user):
    make_user("alice", "editor", password=True)
    for _attempt in range(5):
        login(client, "alice", "wrong password", HTTP_ACCEPT_LANGUAGE="en")

    response = login(client, "alice", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


def test_mobile_number_and_username_share_one_counter(client, make_user):
    make_user("alice", "editor", password=True, mobile="13800138000")
    for _attempt in range(3):
        login(client, "alice", "wrong password")
    for _attempt in range(2):
        login(client, "138 0013 8000", "wrong password")

    assert login(client, "13800138000", PASSWORD).status_code == 429
    assert login(client, "alice", PASSWORD).status_code == 429


def test_lockout_is_per_address(client, make_user):
    user = make_user("alice", "editor", password=True)
    for _attempt in range(5):
        login(client, "alice", "wrong password", address="10.0.0.1")

    response = login(client, "alice", PASSWORD, address="10.0.0.2")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_lockout_lasts_fifteen_minutes(client, make_user):
    user = make_user("alice", "editor", password=True)
    for _attempt in range(5):
        login(client, "alice", "wrong password")

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    still_locked = login(client, "alice", PASSWORD)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = login(client, "alice", PASSWORD)

    assert still_locked.status_code == 429
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(reverse("admin:console_publish"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_english_interface_has_no_chinese_fallback(client, make_user):
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})

    login_page = client.get("/admin/login/").content.decode()
    client.force_login(make_user("eddie", "editor"))
    index = client.get("/admin/").content.decode()

    assert "Username or mobile number" in login_page
    assert "用户名或手机号" not in login_page
    assert "Kiosk content console" in index
    assert "终端内容管理控制台" not in index
    assert "Translations" in index


def test_chinese_is_the_default_interface(client):
    page = client.get("/admin/login/").content.decode()

    assert '<html lang="zh-hans"' in page
    assert "终端内容管理控制台" in page


def test_lockout_behind_proxy_uses_forwarded_address(client, make_user, settings):
    settings.PROXY_COUNT = 1
    make_user("alice", "editor", password=True)
    for _attempt in range(5):
        login(client, "alice", "wrong password", address="127.0.0.1",
              HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")

    locked = login(client, "alice", PASSWORD, address="127.0.0.1",
                   HTTP_X_FORWARDED_FOR="203.0.113.5")
    other = login(client, "alice", PASSWORD, address="127.0.0.1",
                  HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert locked.status_code == 429
    assert other.status_code == 302
