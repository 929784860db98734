"""Read, validate and build bundles: the one way every part of the system reads content."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.content.decoding import MAX_BUNDLE_BYTES, MAX_JSON_DEPTH, decode_document
from kiosk.content.errors import ContentError
from kiosk.content.model import (
    Bundle,
    Hotline,
    LocalizedText,
    Notice,
    RiskColour,
    RiskLevel,
    SelfCheck,
    SelfCheckQuestion,
    SelfCheckRule,
    Severity,
    Site,
    SymptomGuidance,
    Targeting,
    TravelRule,
    Validity,
)
from kiosk.content.validation import bundle_schema, parse_time, validate_document

__all__ = ["MAX_BUNDLE_BYTES", "MAX_JSON_DEPTH", "build_bundle", "bundle_schema",
           "decode_document", "load_bundle", "parse_bundle", "validate_document"]

logger = logging.getLogger(__name__)


def load_bundle(path: Path) -> Bundle:
    """Read and validate the bundle file at ``path``.

    Raises ContentError naming the file for a missing, oversized or invalid file.
    """
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BUNDLE_BYTES + 1)
    except OSError as error:
        raise ContentError(source, "$", f"cannot read file: {error.strerror or error}") from error
    return parse_bundle(data, source)


def parse_bundle(data: bytes, source: str) -> Bundle:
    """Decode, validate and build a bundle from the raw bytes of a bundle file.

    ``source`` names the file or download in error messages. Raises ContentError
    and no other exception for bad input.
    """
    with _cycle_collection_paused():
        document = decode_document(data, source)
        validate_document(document, source)
        bundle = build_bundle(document)
    logger.debug("Loaded bundle version %s from %s", bundle.version, source)
    return bundle


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    # Decoding and building create millions of objects but no reference
    # cycles. While they are created, the cycle collector keeps scanning all
    # of them again, which made a bundle of 10,000 notices load about 30 %
    # slower per notice than one of 1,000. Pausing it affects every thread,
    # so it is only re-enabled here if it was enabled on entry.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _optional_time(mapping: Mapping[str, Any], key: str) -> datetime | None:
    return parse_time(mapping[key]) if key in mapping else None


def _text(value: Mapping[str, str] | None) -> LocalizedText:
    return dict(value or {})


def _validity(item: Mapping[str, Any]) -> Validity:
    window = item.get("validity", {})
    return Validity(_optional_time(window, "from"), _optional_time(window, "until"))


def _targeting(item: Mapping[str, Any]) -> Targeting:
    target = item.get("targeting", {})
    return Targeting(frozenset(target.get("site_ids", ())), frozenset(target.get("site_types", ())),
                     frozenset(target.get("regions", ())))


def build_bundle(document: Mapping[str, Any]) -> Bundle:
    """Build the content model from a document that passed ``validate_document``."""
    return Bundle(
        # The schema accepts 1.0 as an integer, so convert it.
        version=int(document["version"]),
        published_at=parse_time(document["published_at"]),
        expires_at=parse_time(document["expires_at"]),
        default_language=document["default_language"],
        issuer=_text(document["issuer"]),
        sample=document.get("sample", False),
        sites=tuple(Site(s["id"], _text(s["name"]), s["site_type"], s["region"])
                    for s in document["sites"]),
        notices=tuple(_notice(item) for item in document["notices"]),
        travel_rules=tuple(
            TravelRule(r["id"], _text(r["title"]), _text(r["body"]), r.get("source_url"),
                       _validity(r), _targeting(r))
            for r in document["travel_rules"]),
        symptoms=tuple(
            SymptomGuidance(s["id"], _text(s["title"]), _text(s["body"]),
                            tuple(s.get("hotline_ids", ())), _validity(s), _targeting(s))
            for s in document["symptoms"]),
        risk_levels=tuple(
            RiskLevel(RiskColour(r["colour"]), _text(r["label"]), _text(r["criteria"]),
                      _text(r["advice"]), tuple(r.get("hotline_ids", ())))
            for r in sorted(document["risk_levels"],
                            key=lambda r: [c.value for c in RiskColour].index(r["colour"]))),
        hotlines=tuple(
            Hotline(h["id"], _text(h["name"]), h["number"], _text(h["hours"]), _text(h["scope"]),
                    _validity(h), _targeting(h))
            for h in document["hotlines"]),
        self_check=_self_check(document.get("self_check")),
    )


def _notice(item: Mapping[str, Any]) -> Notice:
    return Notice(
        id=item["id"],
        title=_text(item["title"]),
        body=_text(item["body"]),
        severity=Severity[item["severity"].upper()],
        issuer=_text(item["issuer"]),
        source_url=item.get("source_url"),
        published_at=_optional_time(item, "published_at"),
        validity=_validity(item),
        targeting=_targeting(item),
        instruction=_text(item.get("instruction")),
        takeover=item.get("takeover", False),
    )


def _self_check(section: Mapping[str, Any] | None) -> SelfCheck | None:
    if section is None:
        return None
    return SelfCheck(
        questions=tuple(SelfCheckQuestion(q["id"], _text(q["text"])) for q in section["questions"]),
        rules=tuple(SelfCheckRule(tuple(r["any_yes"]), RiskColour(r["colour"]))
                    for r in section["rules"]),
        guidance_url=section.get("guidance_url"),
    )
