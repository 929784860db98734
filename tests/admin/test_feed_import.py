"""Importing official feeds as notices, from a real HTTP server on loopback."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from console_support import FEED_FIXTURES
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import ValidationError
from loopback import Fault, Route, loopback_server_fixture  # noqa: F401

from kiosk.admin.content.feeds import import_feed
from kiosk.admin.content.models import FeedSource, Notice, Status

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MEASLES_NOW = datetime(2024, 3, 11, 9, 0, tzinfo=SHANGHAI)
RAIL_NOW = datetime(2024, 7, 1, 9, 0, tzinfo=SHANGHAI)
CAP = "application/cap+xml"


def fixture_bytes(name: str) -> bytes:
    return (FEED_FIXTURES / name).read_bytes()


def feed_source(server, path: str, route: Route, **values) -> FeedSource:
    url = server.add(path, route)
    return FeedSource.objects.create(name="Health alerts", url=url, **values)


def notice_rows():
    return list(Notice.objects.order_by("pk").values())


def test_cap_alert_becomes_draft_notice(loopback_server, make_user):
    user = make_user("eddie", "editor")
    source = feed_source(loopback_server, "/cap.xml",
                         Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                               content_type=CAP))

    result = import_feed(source, now=MEASLES_NOW, user=user)

    assert result.ok, result.error
    assert len(result.created) == 1
    notice = Notice.objects.get()
    assert notice.status == Status.DRAFT
    assert notice.cap_identifier == "HEALTH-2024-0042"
    assert notice.cap_sender == "alerts@health.example.org"
    assert notice.feed_source == source
    assert notice.title["en"] == "Measles exposure at Central Station"
    assert notice.title["zh_Hans"] == "中央车站发现麻疹暴露"
    assert "zh_Hant" in notice.title
    assert notice.valid_until == datetime(2024, 3, 24, 9, 0, tzinfo=SHANGHAI)
    source.refresh_from_db()
    assert source.last_import_ok is True
    assert "1" in source.last_message
    assert LogEntry.objects.filter(user=user, action_flag=ADDITION,
                                   object_id=str(notice.pk)).exists()


def test_unchanged_alert_keeps_its_approval(loopback_server):
    source = feed_source(loopback_server, "/cap.xml",
                         Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                               content_type=CAP))
    import_feed(source, now=MEASLES_NOW)
    notice = Notice.objects.get()
    notice.approve(None, MEASLES_NOW)
    notice.save()

    result = import_feed(source, now=MEASLES_NOW)

    assert result.unchanged == 1
    assert result.created == []
    assert result.updated == []
    notice.refresh_from_db()
    assert notice.status == Status.APPROVED


def test_changed_alert_returns_to_draft(loopback_server):
    body = fixture_bytes("cap12_multilingual_station_measles.xml")
    source = feed_source(loopback_server, "/cap.xml", Route(body=body, content_type=CAP))
    import_feed(source, now=MEASLES_NOW)
    Notice.objects.update(status=Status.APPROVED)
    changed = body.replace(b"Measles exposure at Central Station",
                           b"Measles exposure at Central Station and East Station")
    loopback_server.add("/cap.xml", Route(body=changed, content_type=CAP))

    result = import_feed(source, now=MEASLES_NOW)

    assert len(result.updated) == 1
    notice = Notice.objects.get()
    assert notice.title["en"] == "Measles exposure at Central Station and East Station"
    assert notice.status == Status.DRAFT


def test_auto_approved_source_approves_its_notices(loopback_server):
    source = feed_source(loopback_server, "/cap.xml",
                         Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                               content_type=CAP), auto_approve=True, target_regions=["CN-SH"])

    import_feed(source, now=MEASLES_NOW)

    notice = Notice.objects.get()
    assert notice.status == Status.APPROVED
    assert notice.target_regions == ["CN-SH"]


def test_cap_cancel_ends_referenced_alert(loopback_server):
    source = feed_source(loopback_server, "/rail.xml",
                         Route(body=fixture_bytes("cap12_chain_3_update.xml"), content_type=CAP))
    import_feed(source, now=RAIL_NOW)
    assert Notice.objects.get().cap_identifier == "RAIL-2024-7-3"
    loopback_server.add("/rail.xml", Route(body=fixture_bytes("cap12_chain_4_cancel.xml"),
                                           content_type=CAP))

    result = import_feed(source, now=RAIL_NOW)

    assert result.ended == 1
    assert Notice.objects.count() == 1
    assert Notice.objects.get().valid_until == datetime(2024, 7, 1, 12, 0, tzinfo=SHANGHAI)


def test_rss_items_become_plain_text_notices(loopback_server):
    source = feed_source(loopback_server, "/rss.xml",
                         Route(body=fixture_bytes("rss_html_summaries_and_dates.xml"),
                               content_type="application/rss+xml"))

    result = import_feed(source, now=datetime(2024, 4, 5, tzinfo=SHANGHAI))

    assert result.ok, result.error
    assert len(result.created) == 5
    newest = Notice.objects.get(title__en="Newest notice & more")
    assert newest.source_url == loopback_server.url("/health/newest")
    older = Notice.objects.get(title__en="Older notice")
    assert older.source_url == "https://airport.example.org/health/older"
    assert "<" not in older.body["en"]
    assert "stolen" not in older.body["en"]
    javascript_link = Notice.objects.get(title__en="Item with a bad date")
    assert javascript_link.source_url == ""
    assert all(notice.status == Status.DRAFT for notice in Notice.objects.all())


@pytest.mark.parametrize(("route", "expected"), [
    (Route(body=fixture_bytes("attack_billion_laughs.xml")), "entity declarations"),
    (Route(body=fixture_bytes("attack_external_entity.xml")), "entity declarations"),
    (Route(body=fixture_bytes("attack_external_dtd.xml")), "external DTD"),
    (Route(body=fixture_bytes("attack_parameter_entity.xml")), "entity declarations"),
    (Route(body=fixture_bytes("captive_portal.html"), content_type="text/html"), "HTML"),
    (Route(body=b"<rss><channel><item><title>cut", content_type="application/rss+xml"),
     "not well-formed"),
    (Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
           fault=Fault.TRUNCATED), "truncated"),
    (Route(body=b"\x00\x01 binary junk"), "binary"),
    (Route(status=500, body=b"server error"), "500"),
])
def test_bad_feed_changes_nothing_and_is_reported(loopback_server, minimal_content, route,
                                                  expected):
    Notice.objects.filter(bundle_id="notice-1").update(status=Status.DRAFT)
    before = notice_rows()
    source = feed_source(loopback_server, "/bad.xml", route)

    result = import_feed(source, now=MEASLES_NOW)

    assert not result.ok
    assert expected.lower() in result.error.lower()
    assert notice_rows() == before
    source.refresh_from_db()
    assert source.last_import_ok is False
    assert result.error in source.last_message


def test_oversized_feed_is_rejected(loopback_server, settings):
    settings.KIOSK_FEED_MAX_BYTES = 1000
    source = feed_source(loopback_server, "/big.xml",
                         Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                               content_type=CAP))

    result = import_feed(source, now=MEASLES_NOW)

    assert not result.ok
    assert "1000" in result.error
    assert not Notice.objects.exists()


def test_unchanged_feed_is_not_downloaded_again(loopback_server):
    source = feed_source(loopback_server, "/cap.xml",
                         Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                               content_type=CAP, etag='"v1"'))
    import_feed(source, now=MEASLES_NOW)

    result = import_feed(source, now=MEASLES_NOW)

    assert result.ok and result.not_modified
    hits = loopback_server.hits("/cap.xml")
    assert hits[-1].headers.get("if-none-match") == '"v1"'
    assert hits[-1].status == 304


def test_plain_http_feed_on_another_host_is_refused():
    source = FeedSource(name="Alerts", url="http://alerts.example.org/cap.xml")

    with pytest.raises(ValidationError) as raised:
        source.full_clean()

    assert "url" in raised.value.message_dict
    FeedSource(name="Alerts", url="https://alerts.example.org/cap.xml").full_clean()


def test_import_action_reports_each_feed(client, make_user, loopback_server):
    client.force_login(make_user("eddie", "editor"))
    good = feed_source(loopback_server, "/cap.xml",
                       Route(body=fixture_bytes("cap12_multilingual_station_measles.xml"),
                             content_type=CAP))
    bad = feed_source(loopback_server, "/bad.xml",
                      Route(body=fixture_bytes("captive_portal.html"), content_type="text/html"))

    response = client.post("/admin/content/feedsource/", {
        "action": "import_selected", "_selected_action": [str(good.pk), str(bad.pk)]},
        follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="success"') == 1
    assert page.count('class="error"') == 1
