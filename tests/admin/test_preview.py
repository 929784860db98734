"""The preview shows what a kiosk would show, escaped, with fallbacks and right-to-left marked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.admin.content.models import Notice, RiskLevel, Severity, Status

pytestmark = pytest.mark.django_db

PREVIEW = "/admin/console/preview/"


@pytest.fixture
def editor_client(client, make_user):
    client.force_login(make_user("eddie", "editor"))
    return client


def screen_html(response) -> str:
    page = response.content.decode()
    assert 'id="kiosk-screen"' in page, page
    return page.split('id="kiosk-screen"', 1)[1]


def test_preview_shows_site_content_in_language(editor_client, minimal_content):
    response = editor_client.get(PREVIEW, {"site": "airport-1", "language": "en"})

    screen = screen_html(response)
    assert response.status_code == 200
    assert "Test airport" in screen
    assert "Notice one" in screen
    assert "Notice two" in screen
    assert "Rule" in screen
    assert "12320" in screen
    assert 'lang="en"' in screen


def test_targeted_notice_hidden_at_other_site(editor_client, minimal_content):
    response = editor_client.get(PREVIEW, {"site": "station-1", "language": "en"})

    screen = screen_html(response)
    assert "Notice one" in screen
    assert "Notice two" not in screen


def test_urgent_notice_gets_banner(editor_client, minimal_content):
    screen = screen_html(editor_client.get(PREVIEW, {"site": "airport-1", "language": "en"}))

    assert 'class="kiosk-urgent"' in screen
    assert "Urgent: Notice two" in screen


def test_arabic_preview_is_right_to_left(editor_client, minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(
        title={"zh_Hans": "通知一", "en": "Notice one", "ar": "إشعار واحد"})

    screen = screen_html(editor_client.get(PREVIEW, {"site": "airport-1", "language": "ar"}))

    assert screen.startswith(' lang="ar" dir="rtl"')
    assert '<span lang="ar" dir="rtl">إشعار واحد</span>' in screen


def test_fallback_text_is_marked(editor_client, minimal_content):
    screen = screen_html(editor_client.get(PREVIEW, {"site": "airport-1", "language": "ja"}))

    assert '<span lang="zh-Hans" dir="ltr" class="fallback">通知一</span>' in screen
    assert "zh_Hans" in screen.split('class="fallback-mark"', 1)[1][:200]


def test_hostile_text_is_escaped(editor_client, minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(
        title={"zh_Hans": "<script>alert(1)</script>"},
        body={"zh_Hans": "<img src=x onerror=alert(2)>\n\n第二段"})

    page = editor_client.get(PREVIEW, {"language": "zh_Hans"}).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<p>第二段</p>" in page


def test_drafts_shown_only_on_request(editor_client, minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(status=Status.DRAFT)

    without = screen_html(editor_client.get(PREVIEW, {"language": "en"}))
    with_drafts = screen_html(editor_client.get(PREVIEW, {"language": "en", "drafts": "on"}))

    assert "Notice one" not in without
    assert "Notice one" in with_drafts


def test_future_moment_shows_scheduled_notice(editor_client, minimal_content):
    start = timezone.localtime() + timedelta(days=3)
    Notice.objects.create(bundle_id="later", title={"zh_Hans": "下周通知", "en": "Next week"},
                          body={"zh_Hans": "正文"}, severity=Severity.INFO,
                          status=Status.APPROVED, valid_from=start)

    now_screen = screen_html(editor_client.get(PREVIEW, {"language": "en"}))
    later_screen = screen_html(editor_client.get(PREVIEW, {
        "language": "en", "moment": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}))

    assert "Next week" not in now_screen
    assert "Next week" in later_screen


def test_preview_reports_problem_instead_of_screen(editor_client, minimal_content):
    RiskLevel.objects.filter(colour="red").delete()

    page = editor_client.get(PREVIEW, {"language": "en"}).content.decode()

    assert 'id="kiosk-screen"' not in page
    assert "/admin/content/risklevel/" in page
