"""The console builds bundles that kiosks accept, from exactly what is in its database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console_support import DEFAULT_BUNDLE, load_bundle_file

from kiosk.admin.content.export import (
    export_bundle,
    missing_default_language,
    publish_problems,
    validation_problems,
)
from kiosk.admin.content.models import (
    BundleSettings,
    Hotline,
    Notice,
    RiskLevel,
    Site,
    Status,
    SymptomGuidance,
)
from kiosk.content import build_bundle, parse_bundle, validate_document

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

pytestmark = pytest.mark.django_db


def test_console_export_validates_and_loads(minimal_content):
    export = export_bundle(now=NOW)

    validate_document(export.document, "console export")
    bundle = parse_bundle(json.dumps(export.document).encode(), "console export")

    assert export.problems == []
    assert {notice.id for notice in bundle.notices} == {"notice-1", "notice-2"}
    assert [level.colour.value for level in bundle.risk_levels] == ["green", "yellow", "orange",
                                                                   "red"]
    assert bundle.hotline("health").number == "12320"
    assert bundle.published_at == NOW
    assert bundle.expires_at == NOW + timedelta(days=BundleSettings.load().expiry_days)


def test_default_bundle_survives_import_and_export():
    original = json.loads(DEFAULT_BUNDLE.read_text("utf-8"))
    load_bundle_file(DEFAULT_BUNDLE)

    exported = export_bundle(now=NOW).document
    before = build_bundle(original)
    after = build_bundle(exported)

    assert after.issuer == before.issuer
    assert after.sample is True
    assert sorted(after.sites, key=lambda site: site.id) == sorted(before.sites,
                                                                   key=lambda site: site.id)
    assert after.notices == before.notices
    assert after.travel_rules == before.travel_rules
    assert after.symptoms == before.symptoms
    assert after.risk_levels == before.risk_levels
    assert after.hotlines == before.hotlines
    assert after.self_check == before.self_check


def test_drafts_stay_out_of_published_export(minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(status=Status.DRAFT)

    published = export_bundle(now=NOW)
    preview = export_bundle(now=NOW, include_drafts=True)

    assert [notice["id"] for notice in published.document["notices"]] == ["notice-2"]
    assert [str(item.bundle_id) for item in published.drafts] == ["notice-1"]
    assert {notice["id"] for notice in preview.document["notices"]} == {"notice-1", "notice-2"}


def test_ended_item_is_left_out(minimal_content):
    Notice.objects.filter(bundle_id="notice-2").update(valid_until=NOW - timedelta(minutes=1))

    export = export_bundle(now=NOW)

    assert [notice["id"] for notice in export.document["notices"]] == ["notice-1"]


def test_targeting_and_validity_are_exported(minimal_content):
    notice = Notice.objects.get(bundle_id="notice-1")
    notice.target_sites.set([Site.objects.get(bundle_id="airport-1")])
    notice.target_site_types = ["airport"]
    notice.target_regions = ["CN-BJ"]
    notice.valid_from = NOW - timedelta(hours=1)
    notice.valid_until = NOW + timedelta(days=2)
    notice.save()

    entry = next(item for item in export_bundle(now=NOW).document["notices"]
                 if item["id"] == "notice-1")

    assert entry["targeting"] == {"site_ids": ["airport-1"], "site_types": ["airport"],
                                  "regions": ["CN-BJ"]}
    assert entry["validity"] == {"from": "2026-12-04T07:00:00+08:00",
                                 "until": "2026-12-06T08:00:00+08:00"}


def test_empty_notice_issuer_uses_bundle_issuer(minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(issuer={})

    export = export_bundle(now=NOW)
    entry = next(item for item in export.document["notices"] if item["id"] == "notice-1")

    assert entry["issuer"] == BundleSettings.load().issuer
    index = export.document["notices"].index(entry)
    assert export.source_of(f"$.notices[{index}].issuer") == BundleSettings.load()


def test_reference_to_draft_hotline_is_a_problem(minimal_content):
    Hotline.objects.filter(bundle_id="health").update(status=Status.DRAFT)

    export = export_bundle(now=NOW)

    symptom = SymptomGuidance.objects.get(bundle_id="symptom-1")
    sources = [problem.source for problem in export.problems]
    assert symptom in sources
    assert RiskLevel.objects.get(colour="red") in sources
    assert "hotline_ids" not in export.document["symptoms"][0]
    validate_document(export.document, "export without the draft hotline")


def test_missing_risk_level_is_a_problem(minimal_content):
    RiskLevel.objects.filter(colour="orange").delete()

    export = export_bundle(now=NOW)
    problems = validation_problems(export)

    assert any(problem.source is RiskLevel for problem in export.problems)
    assert len(problems) == 1
    assert "$.risk_levels" in problems[0].message


def test_validation_problem_points_to_item(minimal_content):
    Notice.objects.filter(bundle_id="notice-2").update(source_url="ftp://example.gov.cn/x")

    export = export_bundle(now=NOW)
    problems = validation_problems(export)

    assert len(problems) == 1
    assert problems[0].source == Notice.objects.get(bundle_id="notice-2")
    assert "source_url" in problems[0].message


def test_missing_chinese_text_names_item_and_fields(minimal_content):
    Notice.objects.filter(bundle_id="notice-1").update(title={"en": "Notice one"},
                                                       body={"en": "Body one"})

    problems = missing_default_language(export_bundle(now=NOW))

    assert len(problems) == 1
    assert problems[0].source == Notice.objects.get(bundle_id="notice-1")
    assert "Notice one" in problems[0].message
    assert "title" in problems[0].message or "标题" in problems[0].message
    assert publish_problems(export_bundle(now=NOW)) == problems
