"""Turn a Common Alerting Protocol (CAP 1.1 or 1.2) alert element into a notice.

One alert gives at most one notice: its ``<info>`` blocks become the
languages of that notice. Only alerts with status Actual and scope Public
reach passengers; the others give no notice and are logged.
"""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from kiosk.content.model import AlertInfo, LocalizedText, Notice, Severity, Validity
from kiosk.feeds.errors import FeedError
from kiosk.feeds.language import CAP_DEFAULT_LANGUAGE_TAG, DEFAULT_FEED_LANGUAGE, kiosk_language
from kiosk.feeds.text import clean_line, plain_text
from kiosk.i18n.languages import KIOSK_LANGUAGES

logger = logging.getLogger(__name__)

#: CAP namespaces this parser reads, with their versions.
CAP_NAMESPACES = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
}

#: The namespace of CAP 1.0 (2004), which this parser does not read.
CAP_1_0_NAMESPACE = "http://www.incident.com/cap/1.0"

#: Upper limit on ``<info>`` blocks in one alert. Real alerts have one or a
#: few per language, so more than this means a broken or hostile document.
MAX_INFO_BLOCKS = 100

# CAP code values, most important first; the position gives the rank.
_SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
_URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
_CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
_STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
_MESSAGE_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
_SCOPES = ("Public", "Restricted", "Private")

_NOTICE_SEVERITY = {"Extreme": Severity.URGENT, "Severe": Severity.URGENT,
                    "Moderate": Severity.WARNING}


def alert_notice_id(sender: str, identifier: str) -> str:
    """Return the notice id of a CAP alert, stable across feeds and fetches."""
    digest = hashlib.sha256(f"{sender}\n{identifier}".encode()).hexdigest()
    return f"cap-{digest[:24]}"


def parse_cap_time(value: str, *, element: str, alert: str) -> datetime:
    """Parse a CAP date and time into an aware UTC datetime.

    Accepts the CAP form ``2024-05-01T08:00:00+08:00`` including ``-00:00``,
    and a ``Z`` suffix. A value without an offset is taken as UTC with a
    warning naming the alert. Anything else raises FeedError.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise FeedError(f"CAP alert {alert}: <{element}> value {text[:60]!r} is not a date and "
                        "time such as 2024-05-01T08:00:00+08:00") from error
    if moment.tzinfo is None:
        logger.warning("CAP alert %s: <%s> value %r has no UTC offset; taking it as UTC",
                       alert, element, text)
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise FeedError(f"CAP alert {alert}: <{element}> value {text[:60]!r} is out of the "
                        "supported range of years 1 to 9999 in UTC") from error


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, namespace: str, name: str) -> list[ElementTree.Element]:
    return element.findall(f"{{{namespace}}}{name}" if namespace else name)


def _child_text(element: ElementTree.Element, namespace: str, name: str) -> str:
    """Return the text of the first ``name`` child of ``element``, or an empty string."""
    child = element.find(f"{{{namespace}}}{name}" if namespace else name)
    if child is None:
        return ""
    return "".join(child.itertext()).strip()


def _code_value(value: str, allowed: tuple[str, ...], *, element: str, alert: str) -> str:
    """Match a CAP code value case-insensitively; an unknown value becomes ``Unknown``."""
    for candidate in allowed:
        if value.lower() == candidate.lower():
            return candidate
    if value.lower() == "very likely" and "Likely" in allowed:
        # CAP 1.0 and 1.1 had "Very Likely", which CAP 1.2 folds into "Likely".
        return "Likely"
    if value:
        logger.warning("CAP alert %s: unknown <%s> value %r, using Unknown", alert, element, value)
    return "Unknown"


def _http_url(value: str) -> str | None:
    """Return ``value`` when it is an absolute http or https URL, otherwise None."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() in {"http", "https"} and parts.netloc:
        return value
    return None


@dataclass
class _InfoBlock:
    """The fields of one ``<info>`` block that a notice uses."""

    language: str
    headline: str
    description: str
    instruction: str
    sender_name: str
    event: str
    areas: list[str]
    web: str | None
    severity: str
    urgency: str
    certainty: str
    effective: datetime | None
    expires: datetime | None

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key that puts the most severe, urgent and certain block last."""
        return (-_SEVERITIES.index(self.severity), -_URGENCIES.index(self.urgency),
                -_CERTAINTIES.index(self.certainty))


@dataclass
class _TextsByLanguage:
    """Distinct values of one text field, per kiosk language, in document order."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def add(self, language: str, value: str) -> None:
        if value and value not in self.values.setdefault(language, []):
            self.values[language].append(value)

    def first(self) -> dict[str, str]:
        return {language: found[0] for language, found in self.values.items() if found}

    def joined(self, separator: str) -> dict[str, str]:
        return {language: separator.join(found) for language, found in self.values.items()
                if found}


def _read_info(info: ElementTree.Element, namespace: str, alert: str) -> _InfoBlock:
    tag = _child_text(info, namespace, "language") or CAP_DEFAULT_LANGUAGE_TAG
    language = kiosk_language(tag)
    if language is None:
        logger.warning("CAP alert %s: <language> %r is not a language tag; taking it as %s",
                       alert, tag, DEFAULT_FEED_LANGUAGE)
        language = DEFAULT_FEED_LANGUAGE

    def time_of(element: str) -> datetime | None:
        value = _child_text(info, namespace, element)
        return parse_cap_time(value, element=element, alert=alert) if value else None

    areas = [clean_line(_child_text(area, namespace, "areaDesc"))
             for area in _children(info, namespace, "area")]
    return _InfoBlock(
        language=language,
        headline=clean_line(plain_text(_child_text(info, namespace, "headline"))),
        description=plain_text(_child_text(info, namespace, "description")),
        instruction=plain_text(_child_text(info, namespace, "instruction")),
        sender_name=clean_line(_child_text(info, namespace, "senderName")),
        event=clean_line(_child_text(info, namespace, "event")),
        areas=[area for area in areas if area],
        web=_http_url(_child_text(info, namespace, "web")),
        severity=_code_value(_child_text(info, namespace, "severity"), _SEVERITIES,
                             element="severity", alert=alert),
        urgency=_code_value(_child_text(info, namespace, "urgency"), _URGENCIES,
                            element="urgency", alert=alert),
        certainty=_code_value(_child_text(info, namespace, "certainty"), _CERTAINTIES,
                              element="certainty", alert=alert),
        effective=time_of("effective"),
        expires=time_of("expires"),
    )


def _parse_references(text: str, alert: str) -> tuple[tuple[str, str, str], ...]:
    """Split CAP ``<references>``: whitespace-separated ``sender,identifier,sent`` triples."""
    references: list[tuple[str, str, str]] = []
    for token in text.split():
        parts = token.split(",")
        if len(parts) != 3 or not all(parts):
            logger.warning("CAP alert %s: ignoring malformed reference %r; expected "
                           "sender,identifier,sent", alert, token[:120])
            continue
        triple = (parts[0], parts[1], parts[2])
        if triple not in references:
            references.append(triple)
    return tuple(references)


def _required(root: ElementTree.Element, namespace: str, name: str, alert: str) -> str:
    value = _child_text(root, namespace, name)
    if not value:
        raise FeedError(f"CAP alert {alert}: missing required element <{name}>")
    return value


def _preferred_url(blocks: Iterable[_InfoBlock]) -> str | None:
    """Return the ``<web>`` link of the block in the kiosk's most preferred language."""
    links = [(block.language, block.web) for block in blocks if block.web]
    if not links:
        return None

    def preference(item: tuple[str, str | None]) -> int:
        language = item[0]
        return KIOSK_LANGUAGES.index(language) if language in KIOSK_LANGUAGES else len(
            KIOSK_LANGUAGES)

    return min(links, key=preference)[1]


def parse_cap_alert(root: ElementTree.Element, *, feed_id: str) -> tuple[Notice, ...]:
    """Return the notice of one CAP alert element, or no notice when it is not for passengers.

    Raises FeedError when a required element is missing or a value is invalid.
    """
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    identifier = _child_text(root, namespace, "identifier")
    sender = _child_text(root, namespace, "sender")
    # The label names the alert in messages, shortened in case the values are huge.
    alert = f"{identifier[:80] or '(no identifier)'!r} from {sender[:80] or '(no sender)'!r}"
    identifier = _required(root, namespace, "identifier", alert)
    sender = _required(root, namespace, "sender", alert)
    sent = parse_cap_time(_required(root, namespace, "sent", alert), element="sent", alert=alert)
    status = _required(root, namespace, "status", alert)
    message_type = _required(root, namespace, "msgType", alert)
    scope = _required(root, namespace, "scope", alert)

    canonical_type = next((known for known in _MESSAGE_TYPES
                           if known.lower() == message_type.lower()), None)
    if canonical_type is None:
        raise FeedError(f"CAP alert {alert}: unknown <msgType> {message_type!r}; expected one "
                        f"of {', '.join(_MESSAGE_TYPES)}")
    if status.lower() != "actual":
        logger.info("CAP alert %s in feed %s has status %s, not Actual; not shown",
                    alert, feed_id, status)
        return ()
    if scope.lower() != "public":
        logger.info("CAP alert %s in feed %s has scope %s, not Public; not shown",
                    alert, feed_id, scope)
        return ()
    if canonical_type in {"Ack", "Error"}:
        logger.info("CAP alert %s in feed %s is an %s message; not shown",
                    alert, feed_id, canonical_type)
        return ()

    info_elements = _children(root, namespace, "info")
    if len(info_elements) > MAX_INFO_BLOCKS:
        raise FeedError(f"CAP alert {alert} has {len(info_elements)} <info> blocks, more than "
                        f"the limit of {MAX_INFO_BLOCKS}")
    blocks = [_read_info(info, namespace, alert) for info in info_elements]
    if not blocks and canonical_type == "Alert":
        logger.warning("CAP alert %s in feed %s has no <info> block; nothing to show",
                       alert, feed_id)
        return ()
    references = _parse_references(_child_text(root, namespace, "references"), alert)
    return (_build_notice(blocks, feed_id=feed_id, identifier=identifier, sender=sender,
                          sent=sent, message_type=canonical_type, references=references,
                          alert=alert),)


def _build_notice(blocks: list[_InfoBlock], *, feed_id: str, identifier: str, sender: str,
                  sent: datetime, message_type: str,
                  references: tuple[tuple[str, str, str], ...], alert: str) -> Notice:
    headlines, descriptions, instructions = (_TextsByLanguage(), _TextsByLanguage(),
                                             _TextsByLanguage())
    sender_names, events, areas = _TextsByLanguage(), _TextsByLanguage(), _TextsByLanguage()
    for block in blocks:
        headlines.add(block.language, block.headline)
        descriptions.add(block.language, block.description)
        instructions.add(block.language, block.instruction)
        sender_names.add(block.language, block.sender_name)
        events.add(block.language, block.event)
        for area in block.areas:
            areas.add(block.language, area)

    # A block without a headline is titled by its event, as CAP readers commonly do.
    title: dict[str, str] = {**events.first(), **headlines.first()}
    issuer: LocalizedText = sender_names.first() or {
        blocks[0].language if blocks else DEFAULT_FEED_LANGUAGE: sender}

    dominant = max(blocks, key=lambda block: block.rank) if blocks else None
    severity = dominant.severity if dominant else "Unknown"
    # The CAP standard takes a missing <effective> to be the <sent> time. The
    # <onset> is when the event itself begins, and a warning must show before
    # that, so it is not used as a start.
    starts = [block.effective or sent for block in blocks] or [sent]
    ends = [block.expires for block in blocks if block.expires is not None]
    validity = Validity(valid_from=min(starts), valid_until=max(ends) if ends else None)
    if validity.valid_until is not None and validity.valid_from is not None \
            and validity.valid_until < validity.valid_from:
        logger.warning("CAP alert %s expires at %s, before it takes effect at %s",
                       alert, validity.valid_until.isoformat(), validity.valid_from.isoformat())

    return Notice(
        id=alert_notice_id(sender, identifier),
        title=title,
        body=descriptions.joined("\n\n"),
        severity=_NOTICE_SEVERITY.get(severity, Severity.INFO),
        issuer=issuer,
        source_url=_preferred_url(blocks),
        published_at=sent,
        validity=validity,
        instruction=instructions.joined("\n\n"),
        origin=feed_id,
        alert=AlertInfo(
            identifier=identifier,
            sender=sender,
            sent=sent,
            severity=severity,
            urgency=dominant.urgency if dominant else "Unknown",
            certainty=dominant.certainty if dominant else "Unknown",
            event=events.first(),
            area=areas.joined("; "),
            msg_type=message_type,
            references=references,
        ),
    )
