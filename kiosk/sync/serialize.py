"""Notices to JSON-ready values and back, for the feed cache.

Every field of :class:`Notice` and :class:`AlertInfo` survives the round trip.
Datetimes are written in ISO 8601 and keep their UTC offset. A named zone such
as Asia/Shanghai comes back as its fixed offset at that moment, and a naive
datetime stays naive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from kiosk.content.model import AlertInfo, Notice, Severity, Targeting, Validity


class SerializeError(ValueError):
    """A stored notice does not have the expected shape; the message names the field."""


def notice_to_json(notice: Notice) -> dict[str, Any]:
    """Return ``notice`` as a dict of JSON types."""
    return {
        "id": notice.id,
        "title": dict(notice.title),
        "body": dict(notice.body),
        "severity": notice.severity.name.lower(),
        "issuer": dict(notice.issuer),
        "source_url": notice.source_url,
        "published_at": _datetime_to_json(notice.published_at),
        "validity": {
            "valid_from": _datetime_to_json(notice.validity.valid_from),
            "valid_until": _datetime_to_json(notice.validity.valid_until),
        },
        "targeting": {
            "site_ids": sorted(notice.targeting.site_ids),
            "site_types": sorted(notice.targeting.site_types),
            "regions": sorted(notice.targeting.regions),
        },
        "instruction": dict(notice.instruction),
        "origin": notice.origin,
        "alert": None if notice.alert is None else _alert_to_json(notice.alert),
    }


def notice_from_json(value: object, where: str = "notice") -> Notice:
    """Build a :class:`Notice` from :func:`notice_to_json` output; raise :class:`SerializeError`."""
    data = _mapping(value, where)
    validity = _mapping(data.get("validity"), f"{where}.validity")
    targeting = _mapping(data.get("targeting"), f"{where}.targeting")
    alert = data.get("alert")
    return Notice(
        id=_string(data.get("id"), f"{where}.id"),
        title=_text(data.get("title"), f"{where}.title"),
        body=_text(data.get("body"), f"{where}.body"),
        severity=_severity(data.get("severity"), f"{where}.severity"),
        issuer=_text(data.get("issuer"), f"{where}.issuer"),
        source_url=_optional_string(data.get("source_url"), f"{where}.source_url"),
        published_at=_datetime(data.get("published_at"), f"{where}.published_at"),
        validity=Validity(
            valid_from=_datetime(validity.get("valid_from"), f"{where}.validity.valid_from"),
            valid_until=_datetime(validity.get("valid_until"), f"{where}.validity.valid_until"),
        ),
        targeting=Targeting(
            site_ids=_string_set(targeting.get("site_ids"), f"{where}.targeting.site_ids"),
            site_types=_string_set(targeting.get("site_types"), f"{where}.targeting.site_types"),
            regions=_string_set(targeting.get("regions"), f"{where}.targeting.regions"),
        ),
        instruction=_text(data.get("instruction"), f"{where}.instruction"),
        origin=_string(data.get("origin"), f"{where}.origin"),
        alert=None if alert is None else _alert_from_json(alert, f"{where}.alert"),
    )


def notices_to_json(notices: Sequence[Notice]) -> list[dict[str, Any]]:
    return [notice_to_json(notice) for notice in notices]


def notices_from_json(value: object, where: str = "notices") -> tuple[Notice, ...]:
    if not isinstance(value, list):
        raise SerializeError(f"{where}: expected a list, got {type(value).__name__}")
    return tuple(notice_from_json(item, f"{where}[{index}]") for index, item in enumerate(value))


def _alert_to_json(alert: AlertInfo) -> dict[str, Any]:
    return {
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": _datetime_to_json(alert.sent),
        "severity": alert.severity,
        "urgency": alert.urgency,
        "certainty": alert.certainty,
        "event": dict(alert.event),
        "area": dict(alert.area),
        "msg_type": alert.msg_type,
        "references": [list(reference) for reference in alert.references],
    }


def _alert_from_json(value: object, where: str) -> AlertInfo:
    data = _mapping(value, where)
    references = data.get("references")
    if not isinstance(references, list):
        raise SerializeError(f"{where}.references: expected a list")
    triples: list[tuple[str, str, str]] = []
    for index, reference in enumerate(references):
        if (not isinstance(reference, list) or len(reference) != 3
                or not all(isinstance(part, str) for part in reference)):
            raise SerializeError(f"{where}.references[{index}]: expected three strings")
        triples.append((reference[0], reference[1], reference[2]))
    return AlertInfo(
        identifier=_string(data.get("identifier"), f"{where}.identifier"),
        sender=_string(data.get("sender"), f"{where}.sender"),
        sent=_datetime(data.get("sent"), f"{where}.sent"),
        severity=_string(data.get("severity"), f"{where}.severity"),
        urgency=_string(data.get("urgency"), f"{where}.urgency"),
        certainty=_string(data.get("certainty"), f"{where}.certainty"),
        event=_text(data.get("event"), f"{where}.event"),
        area=_text(data.get("area"), f"{where}.area"),
        msg_type=_string(data.get("msg_type"), f"{where}.msg_type"),
        references=tuple(triples),
    )


def _datetime_to_json(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SerializeError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise SerializeError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _optional_string(value: object, where: str) -> str | None:
    return None if value is None else _string(value, where)


def _text(value: object, where: str) -> dict[str, str]:
    data = _mapping(value, where)
    for language, text in data.items():
        if not isinstance(text, str):
            raise SerializeError(f"{where}.{language}: expected a string")
    return dict(data)


def _string_set(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SerializeError(f"{where}: expected a list of strings")
    return frozenset(value)


def _severity(value: object, where: str) -> Severity:
    name = _string(value, where)
    try:
        return Severity[name.upper()]
    except KeyError as error:
        raise SerializeError(
            f"{where}: unknown severity {name!r}; expected info, warning or urgent") from error


def _datetime(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    text = _string(value, where)
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise SerializeError(f"{where}: invalid ISO 8601 datetime {text!r}") from error
