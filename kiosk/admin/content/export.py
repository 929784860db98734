"""Build the bundle document from the database, and find what keeps it from being published.

Preview, the translation completeness view and publishing all start from
``export_bundle``. Then ``validate_document`` and ``missing_translations``
from ``kiosk.content`` judge the document exactly as kiosks and the
``kiosk publish`` command do.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from django.db import models
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kiosk.admin.content.models import (
    COLOUR_ORDER,
    BundleSettings,
    Colour,
    Hotline,
    Notice,
    Publication,
    RiskLevel,
    SelfCheckQuestion,
    SelfCheckRule,
    Site,
    Status,
    SymptomGuidance,
    TravelRule,
)
from kiosk.content import ContentError, missing_translations, validate_document
from kiosk.i18n.languages import DEFAULT_LANGUAGE

logger = logging.getLogger(__name__)

#: Name of the document in validation messages.
DOCUMENT_NAME = "bundle"

#: Labels of the text fields of a bundle, by their key in the document.
FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "body": gettext_lazy("body"),
    "instruction": gettext_lazy("what to do"),
    "issuer": gettext_lazy("issuer"),
    "name": gettext_lazy("name"),
    "hours": gettext_lazy("hours"),
    "scope": gettext_lazy("what to call for"),
    "label": gettext_lazy("label"),
    "criteria": gettext_lazy("criteria"),
    "advice": gettext_lazy("advice"),
    "text": gettext_lazy("question"),
}

#: An object the console edits: a model instance, or a model class for a whole section.
#: Django ships no type hints, so to the type checker this is Any.
Source: TypeAlias = Any

_LAST_SEGMENT = re.compile(r"(\.[^.\[]+|\[[^\]]*\])$")


@dataclass(frozen=True)
class Problem:
    """Something that keeps the content from being published, and the object to fix."""

    message: str
    source: Source | None = None


@dataclass
class Export:
    """A bundle document and, for each part of it, the object the console edits it in."""

    document: dict[str, Any]
    #: JSON path (``$.notices[2]``, ``$.notices[2].issuer``) to its source object.
    sources: dict[str, Source]
    problems: list[Problem]
    counts: dict[str, int]
    #: Drafts left out because only approved items are published.
    drafts: list[models.Model] = field(default_factory=list)

    def source_of(self, path: str) -> Source | None:
        """Return the object for a JSON path, or for the nearest enclosing path that has one."""
        current = path
        while current:
            if current in self.sources:
                return self.sources[current]
            shorter = _LAST_SEGMENT.sub("", current)
            if shorter == current:
                break
            current = shorter
        return None


def timestamp(moment: datetime) -> str:
    """Format a moment as an RFC 3339 timestamp in the console's time zone."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def field_label(path: str) -> str:
    """Return the label of the text field at the end of a JSON path, e.g. 'title'."""
    match = _LAST_SEGMENT.search(path)
    key = match.group(1).lstrip(".") if match else path
    return str(FIELD_LABELS.get(key, key))


def next_version() -> int:
    """Return the version the next publish gets, from the console's record of publications."""
    last = Publication.objects.aggregate(last=Max("version"))["last"]
    return int(last or 0) + 1


def export_bundle(*, now: datetime, include_drafts: bool = False) -> Export:
    """Build the bundle document for a publish at ``now``.

    Only approved notices, travel rules, symptom guidance and hotlines are
    included, unless ``include_drafts`` is set for a preview. Items whose
    validity ended before ``now`` are left out. Problems found while building,
    such as a reference to a hotline that is not included, are listed in
    ``Export.problems``. The document itself is not validated here.
    """
    builder = _Builder(now, include_drafts)
    return builder.build()


class _Builder:
    def __init__(self, now: datetime, include_drafts: bool) -> None:
        self.now = now
        self.include_drafts = include_drafts
        self.settings = BundleSettings.load()
        self.sources: dict[str, Source] = {}
        self.problems: list[Problem] = []
        self.drafts: list[models.Model] = []

    def build(self) -> Export:
        issuer = dict(self.settings.issuer or {})
        document: dict[str, Any] = {
            "schema_version": 1,
            "version": next_version(),
            "published_at": timestamp(self.now),
            "expires_at": timestamp(self.now + timedelta(days=self.settings.expiry_days)),
            "default_language": DEFAULT_LANGUAGE,
        }
        if self.settings.sample:
            document["sample"] = True
        document["issuer"] = issuer
        for path in ("$.issuer", "$.expires_at", "$.sample"):
            self.sources[path] = self.settings

        document["sites"] = self._sites()
        hotlines = self._included(Hotline.objects.prefetch_related("target_sites"))
        hotline_ids = {line.bundle_id for line in hotlines}
        document["notices"] = self._notices(issuer)
        document["travel_rules"] = self._travel_rules()
        document["symptoms"] = self._symptoms(hotline_ids)
        document["risk_levels"] = self._risk_levels(hotline_ids)
        document["hotlines"] = [self._hotline(index, line) for index, line in enumerate(hotlines)]
        self_check = self._self_check()
        if self_check is not None:
            document["self_check"] = self_check

        counts = {section: len(document[section])
                  for section in ("sites", "notices", "travel_rules", "symptoms", "risk_levels",
                                  "hotlines")}
        counts["self_check_questions"] = len(self_check["questions"]) if self_check else 0
        return Export(document=document, sources=self.sources, problems=self.problems,
                      counts=counts, drafts=self.drafts)

    def _included(self, queryset: Any) -> list[Any]:
        """Return the items of ``queryset`` to export, noting the drafts among them."""
        items: list[Any] = []
        for item in queryset:
            if item.ended(self.now):
                continue
            if item.status != Status.APPROVED:
                self.drafts.append(item)
                if not self.include_drafts:
                    continue
            items.append(item)
        return items

    def _schedule(self, entry: dict[str, Any], item: Any) -> None:
        window: dict[str, str] = {}
        if item.valid_from:
            window["from"] = timestamp(item.valid_from)
        if item.valid_until:
            window["until"] = timestamp(item.valid_until)
        if window:
            entry["validity"] = window
        targeting: dict[str, list[str]] = {}
        site_ids = sorted(site.bundle_id for site in item.target_sites.all())
        if site_ids:
            targeting["site_ids"] = site_ids
        if item.target_site_types:
            targeting["site_types"] = list(item.target_site_types)
        if item.target_regions:
            targeting["regions"] = list(item.target_regions)
        if targeting:
            entry["targeting"] = targeting

    def _sites(self) -> list[dict[str, Any]]:
        self.sources["$.sites"] = Site
        sites = []
        for index, site in enumerate(Site.objects.all()):
            self.sources[f"$.sites[{index}]"] = site
            sites.append({"id": site.bundle_id, "name": dict(site.name),
                          "site_type": site.site_type, "region": site.region})
        return sites

    def _notices(self, issuer: dict[str, str]) -> list[dict[str, Any]]:
        self.sources["$.notices"] = Notice
        notices = []
        queryset = Notice.objects.prefetch_related("target_sites").order_by("pk")
        for index, notice in enumerate(self._included(queryset)):
            path = f"$.notices[{index}]"
            self.sources[path] = notice
            entry: dict[str, Any] = {"id": notice.bundle_id, "title": dict(notice.title),
                                     "body": dict(notice.body), "severity": notice.severity}
            if notice.instruction:
                entry["instruction"] = dict(notice.instruction)
            if notice.issuer:
                entry["issuer"] = dict(notice.issuer)
            else:
                entry["issuer"] = dict(issuer)
                self.sources[f"{path}.issuer"] = self.settings
            if notice.source_url:
                entry["source_url"] = notice.source_url
            if notice.published_at:
                entry["published_at"] = timestamp(notice.published_at)
            if notice.takeover:
                entry["takeover"] = True
            self._schedule(entry, notice)
            notices.append(entry)
        return notices

    def _travel_rules(self) -> list[dict[str, Any]]:
        self.sources["$.travel_rules"] = TravelRule
        rules = []
        queryset = TravelRule.objects.prefetch_related("target_sites")
        for index, rule in enumerate(self._included(queryset)):
            self.sources[f"$.travel_rules[{index}]"] = rule
            entry: dict[str, Any] = {"id": rule.bundle_id, "title": dict(rule.title),
                                     "body": dict(rule.body)}
            if rule.source_url:
                entry["source_url"] = rule.source_url
            self._schedule(entry, rule)
            rules.append(entry)
        return rules

    def _hotline_ids(self, item: Any, included: set[str]) -> list[str]:
        """Return the ids of an item's hotlines, reporting those left out of the bundle."""
        ids = []
        for line in (link.hotline for link in item.hotline_links.all()):
            if line.bundle_id in included:
                ids.append(line.bundle_id)
            else:
                self.problems.append(Problem(
                    str(gettext_lazy("“%(item)s” refers to the hotline “%(hotline)s”, which is a "
                                     "draft or no longer valid, so it is not published.")
                        % {"item": item, "hotline": line}), item))
        return ids

    def _symptoms(self, hotline_ids: set[str]) -> list[dict[str, Any]]:
        self.sources["$.symptoms"] = SymptomGuidance
        symptoms = []
        queryset = SymptomGuidance.objects.prefetch_related("target_sites",
                                                            "hotline_links__hotline")
        for index, symptom in enumerate(self._included(queryset)):
            self.sources[f"$.symptoms[{index}]"] = symptom
            entry: dict[str, Any] = {"id": symptom.bundle_id, "title": dict(symptom.title),
                                     "body": dict(symptom.body)}
            lines = self._hotline_ids(symptom, hotline_ids)
            if lines:
                entry["hotline_ids"] = lines
            self._schedule(entry, symptom)
            symptoms.append(entry)
        return symptoms

    def _risk_levels(self, hotline_ids: set[str]) -> list[dict[str, Any]]:
        self.sources["$.risk_levels"] = RiskLevel
        levels: list[dict[str, Any]] = []
        by_colour = {level.colour: level
                     for level in RiskLevel.objects.prefetch_related("hotline_links__hotline")}
        for colour in COLOUR_ORDER:
            level = by_colour.get(colour)
            if level is None:
                self.problems.append(Problem(
                    str(gettext_lazy("The %(colour)s risk level is missing; add it.")
                        % {"colour": dict(Colour.choices)[colour]}), RiskLevel))
                continue
            self.sources[f"$.risk_levels[{len(levels)}]"] = level
            entry: dict[str, Any] = {"colour": level.colour, "label": dict(level.label),
                                     "criteria": dict(level.criteria),
                                     "advice": dict(level.advice)}
            lines = self._hotline_ids(level, hotline_ids)
            if lines:
                entry["hotline_ids"] = lines
            levels.append(entry)
        return levels

    def _hotline(self, index: int, line: Hotline) -> dict[str, Any]:
        self.sources["$.hotlines"] = Hotline
        self.sources[f"$.hotlines[{index}]"] = line
        entry: dict[str, Any] = {"id": line.bundle_id, "name": dict(line.name),
                                 "number": line.number, "hours": dict(line.hours),
                                 "scope": dict(line.scope)}
        self._schedule(entry, line)
        return entry

    def _self_check(self) -> dict[str, Any] | None:
        questions = list(SelfCheckQuestion.objects.all())
        rules = list(SelfCheckRule.objects.prefetch_related("any_yes"))
        if not questions and not rules:
            return None
        self.sources["$.self_check"] = SelfCheckRule
        self.sources["$.self_check.questions"] = SelfCheckQuestion
        self.sources["$.self_check.guidance_url"] = self.settings
        for index, question in enumerate(questions):
            self.sources[f"$.self_check.questions[{index}]"] = question
        for index, rule in enumerate(rules):
            self.sources[f"$.self_check.rules[{index}]"] = rule
        section: dict[str, Any] = {
            "questions": [{"id": question.bundle_id, "text": dict(question.text)}
                          for question in questions],
            "rules": [{"any_yes": [question.bundle_id for question in rule.any_yes.all()],
                       "colour": rule.colour} for rule in rules],
        }
        if self.settings.self_check_guidance_url:
            section["guidance_url"] = self.settings.self_check_guidance_url
        return section


def validation_problems(export: Export) -> list[Problem]:
    """Validate the document as kiosks will, returning the first problem found, if any."""
    try:
        validate_document(export.document, DOCUMENT_NAME)
    except ContentError as error:
        return [Problem(str(error), export.source_of(error.location))]
    return []


def missing_text(export: Export, language: str) -> list[tuple[Source | None, list[str]]]:
    """Return the objects whose texts lack ``language``, each with the labels of those fields."""
    grouped: dict[int, tuple[Source | None, list[str]]] = {}
    order: list[int] = []
    for path in missing_translations(export.document, language):
        source = export.source_of(path)
        key = id(source)
        if key not in grouped:
            grouped[key] = (source, [])
            order.append(key)
        label = field_label(path)
        if label not in grouped[key][1]:
            grouped[key][1].append(label)
    return [grouped[key] for key in order]


def missing_default_language(export: Export) -> list[Problem]:
    """Return a problem for every object whose texts lack the default language (zh_Hans)."""
    problems = []
    for source, fields in missing_text(export, DEFAULT_LANGUAGE):
        problems.append(Problem(
            str(gettext_lazy("%(item)s has no Simplified Chinese text for: %(fields)s.")
                % {"item": describe(source), "fields": ", ".join(fields)}), source))
    return problems


def describe(source: Source | None) -> str:
    """Return a short name of a source object for messages."""
    if source is None:
        return str(gettext_lazy("bundle"))
    meta = source._meta
    if isinstance(source, type):
        return str(meta.verbose_name_plural)
    return f"{meta.verbose_name} “{source}”"


def publish_problems(export: Export) -> list[Problem]:
    """Return every reason to refuse publishing this export; empty when it may be published."""
    problems = list(export.problems)
    problems += missing_default_language(export)
    if not problems:
        problems += validation_problems(export)
    return problems
