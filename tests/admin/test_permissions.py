"""Roles: editors write drafts, publishers approve and publish, viewers see only the fleet."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group

from kiosk.admin.content.models import Notice, Status
from kiosk.admin.content.roles import ROLES

pytestmark = pytest.mark.django_db

NOTICE_ADD = "/admin/content/notice/add/"


def notice_form(**values):
    data = {
        "title_zh_Hans": "暴雨预警", "title_en": "Rainstorm warning",
        "body_zh_Hans": "请注意出行安全。", "body_en": "Travel with care.",
        "severity": "warning", "target_regions": "", "bundle_id": "notice-rain",
        "status": "approved",
    }
    data.update(values)
    return data


def test_role_groups_exist_with_their_permissions():
    groups = {group.name: group for group in Group.objects.all()}

    assert set(ROLES) <= set(groups)
    editor = {p.codename for p in groups["editor"].permissions.all()}
    publisher = {p.codename for p in groups["publisher"].permissions.all()}
    viewer = {f"{p.content_type.app_label}.{p.codename}"
              for p in groups["viewer"].permissions.all()}
    assert {"add_notice", "change_notice", "view_notice"} <= editor
    assert "approve_content" not in editor
    assert "publish_bundle" not in editor
    assert {"approve_content", "publish_bundle", "send_broadcast", "view_logentry"} <= publisher
    assert "fleet.view_kiosk" in viewer
    assert all(name.startswith("fleet.view_") for name in viewer)


def test_editor_save_stays_draft(client, make_user):
    client.force_login(make_user("eddie", "editor"))

    response = client.post(NOTICE_ADD, notice_form())

    assert response.status_code == 302
    notice = Notice.objects.get(bundle_id="notice-rain")
    assert notice.status == Status.DRAFT
    assert notice.title == {"zh_Hans": "暴雨预警", "en": "Rainstorm warning"}
    assert notice.approved_by is None


def test_editor_change_returns_approved_item_to_draft(client, make_user, minimal_content):
    notice = Notice.objects.get(bundle_id="notice-1")
    assert notice.status == Status.APPROVED
    editor = make_user("eddie", "editor")
    client.force_login(editor)

    response = client.post(f"/admin/content/notice/{notice.pk}/change/", notice_form(
        bundle_id="notice-1", title_zh_Hans="通知一（更新）", severity="info"))

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == Status.DRAFT
    assert notice.title["zh_Hans"] == "通知一（更新）"
    entry = LogEntry.objects.get(object_id=str(notice.pk), action_flag=CHANGE)
    assert entry.user == editor
    assert entry.action_time is not None


def test_publisher_saves_approved_item(client, make_user):
    publisher = make_user("pat", "publisher")
    client.force_login(publisher)

    client.post(NOTICE_ADD, notice_form())

    notice = Notice.objects.get(bundle_id="notice-rain")
    assert notice.status == Status.APPROVED
    assert notice.approved_by == publisher
    assert notice.approved_at is not None


def test_publisher_approves_drafts_in_bulk(client, make_user, minimal_content):
    Notice.objects.update(status=Status.DRAFT)
    publisher = make_user("pat", "publisher")
    client.force_login(publisher)

    response = client.post("/admin/content/notice/", {
        "action": "approve_selected",
        "_selected_action": [str(pk) for pk in Notice.objects.values_list("pk", flat=True)]})

    assert response.status_code == 302
    assert set(Notice.objects.values_list("status", flat=True)) == {Status.APPROVED}
    assert LogEntry.objects.filter(user=publisher, action_flag=CHANGE).count() == 2


def test_editor_has_no_approve_action(client, make_user, minimal_content):
    Notice.objects.update(status=Status.DRAFT)
    client.force_login(make_user("eddie", "editor"))

    page = client.get("/admin/content/notice/")
    client.post("/admin/content/notice/", {
        "action": "approve_selected",
        "_selected_action": [str(pk) for pk in Notice.objects.values_list("pk", flat=True)]})

    assert page.status_code == 200
    assert "approve_selected" not in page.content.decode()
    assert set(Notice.objects.values_list("status", flat=True)) == {Status.DRAFT}


def test_editor_cannot_publish(client, make_user, minimal_content, console_dirs):
    client.force_login(make_user("eddie", "editor"))

    page = client.get("/admin/console/publish/")
    response = client.post("/admin/console/publish/", {"note": ""})

    assert page.status_code == 200
    assert 'id="publish-button"' not in page.content.decode()
    assert response.status_code == 403
    assert not (console_dirs["repo"] / "metadata").exists()


def test_editor_cannot_send_broadcast(client, make_user):
    client.force_login(make_user("eddie", "editor"))

    assert client.get("/admin/console/broadcast/").status_code == 403


@pytest.mark.parametrize("path", ["/admin/content/notice/", "/admin/console/preview/",
                                  "/admin/console/translations/", "/admin/console/publish/",
                                  "/admin/content/notice/add/"])
def test_viewer_cannot_see_content(client, make_user, path):
    client.force_login(make_user("vera", "viewer"))

    assert client.get(path).status_code == 403


def test_viewer_sees_fleet_only(client, make_user):
    viewer = make_user("vera", "viewer")
    client.force_login(viewer)

    index = client.get("/admin/").content.decode()

    assert viewer.has_perm("fleet.view_kiosk")
    assert not viewer.has_perm("content.view_notice")
    assert "/admin/content/notice/" not in index
    assert "/admin/console/publish/" not in index


def test_console_links_follow_permissions(client, make_user):
    client.force_login(make_user("eddie", "editor"))
    editor_index = client.get("/admin/").content.decode()
    client.force_login(make_user("pat", "publisher"))
    publisher_index = client.get("/admin/").content.decode()

    assert "/admin/console/preview/" in editor_index
    assert "/admin/console/broadcast/" not in editor_index
    assert "/admin/console/broadcast/" in publisher_index


def test_change_history_lists_every_change(client, make_user, minimal_content):
    editor = make_user("eddie", "editor")
    client.force_login(editor)
    notice = Notice.objects.get(bundle_id="notice-2")
    client.post(f"/admin/content/notice/{notice.pk}/change/", notice_form(bundle_id="notice-2"))
    client.force_login(make_user("pat", "publisher"))

    history = client.get("/admin/admin/logentry/")

    assert history.status_code == 200
    assert "eddie" in history.content.decode()


def test_notice_search_finds_chinese_text(client, make_user, minimal_content):
    client.force_login(make_user("eddie", "editor"))

    found = client.get("/admin/content/notice/", {"q": "通知一"}).content.decode()
    missing = client.get("/admin/content/notice/", {"q": "不存在的通知"}).content.decode()

    assert "通知一" in found
    assert "通知二" not in found
    assert "通知一" not in missing
