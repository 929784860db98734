"""The translation completeness view lists, per language, each item that lacks text."""

from __future__ import annotations

import re

import pytest

from kiosk.admin.content.models import Notice, Status

pytestmark = pytest.mark.django_db

TRANSLATIONS = "/admin/console/translations/"


def language_section(page: str, language: str) -> str:
    match = re.search(rf'<section class="translation-language" id="language-{language}">'
                      r"(.*?)</section>", page, re.S)
    assert match, f"no section for {language}"
    return match.group(1)


def test_gaps_are_listed_per_language_with_links(client, make_user, minimal_content):
    client.force_login(make_user("eddie", "editor"))
    notice = Notice.objects.get(bundle_id="notice-1")
    notice.title = {**notice.title, "ja": "お知らせ一"}
    notice.status = Status.DRAFT
    notice.save()

    page = client.get(TRANSLATIONS).content.decode()

    japanese = language_section(page, "ja")
    english = language_section(page, "en")
    chinese = language_section(page, "zh_Hans")
    assert f"/admin/content/notice/{notice.pk}/change/" in japanese
    assert "draft-mark" in japanese
    assert "translation-gaps" not in english
    assert "translation-gaps" not in chinese
    link = re.search(rf'href="/admin/content/notice/{notice.pk}/change/">[^<]*</a>'
                     r'(?:\s*<span class="draft-mark">[^<]*</span>)?: ([^<]*)</li>', japanese)
    assert link, japanese
    assert "title" not in link.group(1)
    assert "标题" not in link.group(1)


def test_missing_chinese_is_flagged_as_blocking(client, make_user, minimal_content):
    client.force_login(make_user("eddie", "editor"))
    Notice.objects.filter(bundle_id="notice-2").update(body={"en": "Body two"})

    chinese = language_section(client.get(TRANSLATIONS).content.decode(), "zh_Hans")

    assert "errornote" in chinese
    notice = Notice.objects.get(bundle_id="notice-2")
    assert f"/admin/content/notice/{notice.pk}/change/" in chinese


def test_counts_per_language(client, make_user, minimal_content):
    client.force_login(make_user("eddie", "editor"))

    page = client.get(TRANSLATIONS).content.decode()
    rows = dict(re.findall(r'href="#language-(\w+)"[^>]*>[^<]*</a></th><td>(\d+) / \d+</td>',
                           page))

    assert set(rows) == {"zh_Hans", "en", "zh_Hant", "ja", "ko", "ru", "ar"}
    assert rows["zh_Hans"] == rows["en"]
    assert int(rows["ja"]) == 0
