"""Load a bundle file into the console, as approved items, to start from existing content.

Items are matched by id: an item already in the console is overwritten, and
items the bundle does not mention are kept. The self-check is replaced as a
whole, because its decision table only makes sense complete.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import models, transaction

from kiosk.admin.content.fields import LANGUAGES
from kiosk.admin.content.models import (
    BundleSettings,
    Hotline,
    Notice,
    RiskLevel,
    SelfCheckQuestion,
    SelfCheckRule,
    Site,
    Status,
    SymptomGuidance,
    TravelRule,
)
from kiosk.content import ContentError, validate_document
from kiosk.content.completeness import text_fields
from kiosk.content.validation import parse_time

logger = logging.getLogger(__name__)


class BundleImportError(ValueError):
    """The bundle cannot be loaded into the console; the message names the location and problem."""


def import_bundle_document(document: Any, *, source: str, now: datetime,
                           user: models.Model | None = None) -> dict[str, int]:
    """Validate a decoded bundle and store its items; return how many of each were stored.

    Raises BundleImportError for an invalid bundle or one with texts in a
    language the console does not edit, before anything is stored.
    """
    try:
        validate_document(document, source)
    except ContentError as error:
        raise BundleImportError(str(error)) from error
    for path, text in text_fields(document):
        for language in text:
            if language not in LANGUAGES:
                raise BundleImportError(
                    f"{source}: {path}: language {language} is not one the console edits; "
                    f"expected one of {', '.join(LANGUAGES)}")

    with transaction.atomic():
        importer = _Importer(now, user)
        counts = importer.run(document)
    logger.info("Imported bundle %s: %s", source, counts)
    return counts


def _link_hotlines(links: Any, lines: list[Hotline]) -> None:
    """Replace an item's hotlines, keeping the bundle's order."""
    links.all().delete()
    for position, line in enumerate(lines):
        links.create(hotline=line, position=position)


class _Importer:
    def __init__(self, now: datetime, user: models.Model | None) -> None:
        self.now = now
        self.user = user

    def run(self, document: Mapping[str, Any]) -> dict[str, int]:
        row = BundleSettings.load()
        BundleSettings.objects.filter(pk=row.pk).update(
            issuer=dict(document["issuer"]), sample=bool(document.get("sample", False)),
            self_check_guidance_url=document.get("self_check", {}).get("guidance_url", ""))

        for entry in document["sites"]:
            Site.objects.update_or_create(bundle_id=entry["id"], defaults={
                "name": entry["name"], "site_type": entry["site_type"],
                "region": entry["region"]})
        hotlines = {}
        for position, entry in enumerate(document["hotlines"]):
            hotlines[entry["id"]] = self._item(Hotline, entry, position=position, values={
                "name": entry["name"], "number": entry["number"], "hours": entry["hours"],
                "scope": entry["scope"]})
        for entry in document["notices"]:
            published = entry.get("published_at")
            self._item(Notice, entry, values={
                "title": entry["title"], "body": entry["body"],
                "instruction": entry.get("instruction", {}), "severity": entry["severity"],
                "issuer": entry["issuer"], "source_url": entry.get("source_url", ""),
                "published_at": parse_time(published) if published else None,
                "takeover": entry.get("takeover", False)})
        for position, entry in enumerate(document["travel_rules"]):
            self._item(TravelRule, entry, position=position, values={
                "title": entry["title"], "body": entry["body"],
                "source_url": entry.get("source_url", "")})
        for position, entry in enumerate(document["symptoms"]):
            symptom = self._item(SymptomGuidance, entry, position=position, values={
                "title": entry["title"], "body": entry["body"]})
            _link_hotlines(symptom.hotline_links, [hotlines[line]
                                                   for line in entry.get("hotline_ids", [])])
        for entry in document["risk_levels"]:
            level, _created = RiskLevel.objects.update_or_create(colour=entry["colour"], defaults={
                "label": entry["label"], "criteria": entry["criteria"],
                "advice": entry["advice"]})
            _link_hotlines(level.hotline_links, [hotlines[line]
                                                 for line in entry.get("hotline_ids", [])])
        questions = self._self_check(document.get("self_check"))

        return {"sites": len(document["sites"]), "notices": len(document["notices"]),
                "travel_rules": len(document["travel_rules"]),
                "symptoms": len(document["symptoms"]),
                "risk_levels": len(document["risk_levels"]),
                "hotlines": len(document["hotlines"]), "self_check_questions": questions}

    def _item(self, model: type[Any], entry: Mapping[str, Any], *, values: dict[str, Any],
              position: int | None = None) -> Any:
        window = entry.get("validity", {})
        target = entry.get("targeting", {})
        values = {
            **values,
            "valid_from": parse_time(window["from"]) if "from" in window else None,
            "valid_until": parse_time(window["until"]) if "until" in window else None,
            "target_site_types": list(target.get("site_types", [])),
            "target_regions": list(target.get("regions", [])),
            "status": Status.APPROVED,
            "approved_by": self.user,
            "approved_at": self.now,
        }
        if position is not None:
            values["position"] = position
        item, _created = model.objects.update_or_create(bundle_id=entry["id"], defaults=values)
        item.target_sites.set(Site.objects.filter(bundle_id__in=target.get("site_ids", [])))
        return item

    def _self_check(self, section: Mapping[str, Any] | None) -> int:
        if section is None:
            return 0
        SelfCheckRule.objects.all().delete()
        SelfCheckQuestion.objects.all().delete()
        questions = {}
        for position, entry in enumerate(section["questions"]):
            questions[entry["id"]] = SelfCheckQuestion.objects.create(
                bundle_id=entry["id"], text=entry["text"], position=position)
        for position, entry in enumerate(section["rules"]):
            rule = SelfCheckRule.objects.create(position=position, colour=entry["colour"])
            rule.any_yes.set([questions[question] for question in entry["any_yes"]])
        return len(questions)
