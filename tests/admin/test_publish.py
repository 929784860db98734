"""Publishing from the console: refusals, the signed repository, kiosk settings, urgent broadcasts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from loopback import LoopbackServer, Route, loopback_server_fixture  # noqa: F401
from tuf.ngclient import Updater

from kiosk.admin.content.models import Notice, Publication, Severity, Status
from kiosk.admin.content.publishing import KIOSK_SETTINGS_TARGET
from kiosk.admin.fleet.models import Kiosk
from kiosk.sync.content import sync_content_once
from kiosk.sync.store import load_verified_bundle

pytestmark = pytest.mark.django_db

PUBLISH = "/admin/console/publish/"
BROADCAST = "/admin/console/broadcast/"


def serve_folder(server: LoopbackServer, folder: Path, prefix: str = "/repo/") -> str:
    """Serve every file under ``folder`` at ``prefix``; return the base URL."""
    for path in folder.rglob("*"):
        if path.is_file():
            server.add(prefix + path.relative_to(folder).as_posix(),
                       Route(body=path.read_bytes(), content_type="application/json"))
    return server.url(prefix)


@pytest.fixture
def publisher(client, make_user):
    user = make_user("pat", "publisher")
    client.force_login(user)
    return user


def test_publish_refuses_missing_chinese_text(client, publisher, minimal_content, console_dirs):
    notice = Notice.objects.get(bundle_id="notice-1")
    notice.title = {"en": "Notice one"}
    notice.save()

    response = client.post(PUBLISH, {"note": ""}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Notice one" in page
    assert f"/admin/content/notice/{notice.pk}/change/" in page
    assert not Publication.objects.exists()
    assert not (console_dirs["repo"] / "metadata").exists()


def test_publish_page_lists_drafts_left_out(client, publisher, minimal_content, console_dirs):
    Notice.objects.filter(bundle_id="notice-1").update(status=Status.DRAFT)

    page = client.get(PUBLISH).content.decode()

    assert 'id="drafts"' in page
    assert "通知一" in page
    assert 'id="publish-button"' in page


def test_publish_writes_repository_a_kiosk_verifies(client, publisher, minimal_content,
                                                    console_dirs, loopback_server, tmp_path):
    response = client.post(PUBLISH, {"note": "first publish"})

    assert response.status_code == 302
    publication = Publication.objects.get()
    assert publication.version == 1
    assert publication.published_by == publisher
    assert publication.note == "first publish"
    assert publication.counts["notices"] == 2
    bundle_files = list((console_dirs["repo"] / "targets").glob("*.bundle.json"))
    assert len(bundle_files) == 1
    assert publication.bundle_sha256 == hashlib.sha256(bundle_files[0].read_bytes()).hexdigest()
    assert LogEntry.objects.filter(user=publisher, action_flag=ADDITION,
                                   object_id=str(publication.pk)).exists()

    url = serve_folder(loopback_server, console_dirs["repo"])
    root = console_dirs["repo"] / "metadata" / "root.json"
    result = sync_content_once(url, root, tmp_path / "kiosk")

    assert result.ok, result.failure
    assert result.current is not None and result.current.version == 1
    bundle = load_verified_bundle(tmp_path / "kiosk")
    assert bundle is not None
    assert {notice.id for notice in bundle.notices} == {"notice-1", "notice-2"}


def test_second_publish_gets_next_version(client, publisher, minimal_content, console_dirs):
    client.post(PUBLISH, {"note": ""})
    Notice.objects.filter(bundle_id="notice-2").update(severity=Severity.WARNING)

    client.post(PUBLISH, {"note": ""})
    page = client.get(PUBLISH).content.decode()

    assert list(Publication.objects.values_list("version", flat=True)) == [2, 1]
    assert 'id="last-publication"' in page
    assert "2" in page.split('id="last-publication"')[1].split("</p>")[0]


def test_kiosk_settings_are_published_signed(client, publisher, minimal_content, console_dirs,
                                             loopback_server, tmp_path):
    Kiosk.objects.create(kiosk_id="pek-01", name="Gate 1", site_id="airport-1",
                         languages=["zh_Hans", "en", "ar"], default_language="zh_Hans",
                         idle_timeout_s=90, maintenance_pin_hash="$argon2id$v=19$m=65536,t=3,"
                         "p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")

    client.post(PUBLISH, {"note": ""})

    assert Publication.objects.get().kiosk_settings
    url = serve_folder(loopback_server, console_dirs["repo"])
    metadata = tmp_path / "metadata"
    metadata.mkdir()
    root = (console_dirs["repo"] / "metadata" / "root.json").read_bytes()
    updater = Updater(metadata_dir=str(metadata), metadata_base_url=url + "metadata/",
                      target_base_url=url + "targets/", target_dir=str(tmp_path),
                      bootstrap=root)
    updater.refresh()
    target = updater.get_targetinfo(KIOSK_SETTINGS_TARGET)
    assert target is not None
    document = json.loads(Path(updater.download_target(target)).read_text("utf-8"))
    assert document["kiosks"] == [{
        "kiosk_id": "pek-01", "site_id": "airport-1", "languages": ["zh_Hans", "en", "ar"],
        "default_language": "zh_Hans", "idle_timeout_s": 90,
        "maintenance_pin_hash": Kiosk.objects.get().maintenance_pin_hash}]


def test_kiosk_at_unknown_site_is_warned_about(client, publisher, minimal_content,
                                               console_dirs):
    Kiosk.objects.create(kiosk_id="pek-02", name="Gate 2", site_id="no-such-site")

    page = client.get(PUBLISH).content.decode()

    assert "no-such-site" in page


def test_publish_without_keys_fails_and_records_nothing(client, publisher, minimal_content,
                                                        settings, tmp_path):
    settings.KIOSK_REPOSITORY_DIR = tmp_path / "repository"
    settings.KIOSK_KEYS_DIR = tmp_path / "no-keys"

    response = client.post(PUBLISH, {"note": ""}, follow=True)

    assert "root.pem" in response.content.decode() or "targets.pem" in response.content.decode()
    assert not Publication.objects.exists()


def broadcast_form(**values):
    data = {"title_zh_Hans": "临时停运", "title_en": "Service suspended",
            "body_zh_Hans": "因大风，渡轮暂停运营。", "body_en": "Ferries are suspended due to wind.",
            "scope": "region", "site_type": "", "region": "cn-sh", "hours": "6"}
    data.update(values)
    return data


def test_urgent_broadcast_is_published_at_once(client, publisher, minimal_content,
                                               console_dirs):
    response = client.post(BROADCAST, broadcast_form())

    assert response.status_code == 302
    notice = Notice.objects.get(title__zh_Hans="临时停运")
    assert notice.severity == Severity.URGENT
    assert notice.status == Status.APPROVED
    assert notice.approved_by == publisher
    assert notice.target_regions == ["CN-SH"]
    assert notice.valid_until is not None and notice.valid_from is not None
    assert (notice.valid_until - notice.valid_from).total_seconds() == 6 * 3600
    publication = Publication.objects.get()
    assert "CN-SH" in publication.note
    bundle_file = next((console_dirs["repo"] / "targets").glob("*.bundle.json"))
    published = json.loads(bundle_file.read_text("utf-8"))
    entry = next(item for item in published["notices"] if item["id"] == notice.bundle_id)
    assert entry["severity"] == "urgent"
    assert entry["targeting"] == {"regions": ["CN-SH"]}
    assert entry["takeover"] is True
    assert notice.takeover is True


def test_broadcast_to_site_type(client, publisher, minimal_content, console_dirs):
    client.post(BROADCAST, broadcast_form(scope="site_type", site_type="ferry_terminal",
                                          region=""))

    notice = Notice.objects.get(severity=Severity.URGENT, title__zh_Hans="临时停运")
    assert notice.target_site_types == ["ferry_terminal"]
    assert notice.target_regions == []


def test_broadcast_needs_chinese_text(client, publisher, minimal_content, console_dirs):
    response = client.post(BROADCAST, broadcast_form(title_zh_Hans=""))

    assert response.status_code == 200
    assert not Notice.objects.filter(title__en="Service suspended").exists()
    assert not Publication.objects.exists()


def test_refused_broadcast_leaves_no_notice(client, publisher, minimal_content, console_dirs):
    Notice.objects.filter(bundle_id="notice-1").update(title={"en": "Notice one"})

    response = client.post(BROADCAST, broadcast_form())

    assert response.status_code == 200
    assert "Notice one" in response.content.decode()
    assert not Notice.objects.filter(title__en="Service suspended").exists()
    assert not Publication.objects.exists()

