"""The content a kiosk shows for one site, language and moment, as values for the preview page.

Selection is ``kiosk.content.select_content``, the function the kiosk
screens call. Labels come from the kiosk's own catalogs in the passenger's
language, and every text records whether it fell back to another language,
so admins see each fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from kiosk.content import select_content
from kiosk.content.model import Bundle, Hotline, RiskLevel, Severity
from kiosk.content.selection import ClockStatus
from kiosk.i18n.catalogs import translations
from kiosk.i18n.formatting import format_clock, format_long_date, format_timestamp
from kiosk.i18n.languages import resolve_text, text_direction


@dataclass(frozen=True)
class Text:
    """One text as shown, with the language it is really in."""

    text: str
    language: str
    fallback: bool

    @property
    def html_lang(self) -> str:
        return self.language.replace("_", "-")

    @property
    def direction(self) -> str:
        return text_direction(self.language) if self.text else "ltr"


@dataclass(frozen=True)
class NoticeCard:
    title: Text
    body: Text
    instruction: Text | None
    issuer: Text
    urgent: bool
    severity: str
    published: str | None
    valid_until: str | None
    source_url: str | None


@dataclass(frozen=True)
class Card:
    """A travel rule or symptom guidance: title, body and the hotlines to call."""

    title: Text
    body: Text
    calls: tuple[str, ...]


@dataclass(frozen=True)
class RiskCard:
    colour: str
    label: Text
    criteria: Text
    advice: Text
    calls: tuple[str, ...]


@dataclass(frozen=True)
class HotlineCard:
    heading: str
    hours: str
    scope: Text


@dataclass(frozen=True)
class KioskScreen:
    """Everything the preview page shows, in the passenger's language."""

    language: str
    html_lang: str
    direction: str
    #: Passenger-facing labels from the kiosk's catalog, by the names in ``_LABELS``.
    labels: Mapping[str, str]
    place: Text
    date: str
    clock: str
    clock_status: str
    stale: bool
    sample: bool
    urgent: tuple[NoticeCard, ...]
    notices: tuple[NoticeCard, ...]
    travel_rules: tuple[Card, ...]
    symptoms: tuple[Card, ...]
    risk_levels: tuple[RiskCard, ...]
    hotlines: tuple[HotlineCard, ...]
    issued_by: str
    version_line: str
    fallback_count: int


#: Kiosk catalog messages the preview shows as they are, by the template's name for them.
_LABELS = {
    "notices": "Notices",
    "rules": "Travel rules",
    "symptoms": "Symptoms",
    "risk": "Risk levels",
    "hotlines": "Hotlines",
    "empty": "Nothing to show here at the moment.",
    "applies": "Applies when",
    "todo": "What to do",
    "stale": "This information may be out of date. Please check with staff.",
    "sample": "Sample content: not official information",
    "reference": "For reference only. Follow the instructions of staff on site.",
}


class _Screen:
    def __init__(self, bundle: Bundle, language: str, zone: tzinfo) -> None:
        self.bundle = bundle
        self.language = language
        self.zone = zone
        self.catalog = translations(language)
        self.fallbacks = 0

    def text(self, value: Mapping[str, str]) -> Text:
        resolved = resolve_text(value, self.language, self.bundle.default_language)
        fallback = bool(resolved.text) and resolved.is_fallback
        if fallback:
            self.fallbacks += 1
        return Text(resolved.text, resolved.language, fallback)

    def message(self, msgid: str, **values: object) -> str:
        translated: str = self.catalog.gettext(msgid)
        return translated.format(**values) if values else translated

    def when(self, moment: datetime | None) -> str | None:
        return format_timestamp(moment, self.language, self.zone) if moment else None

    def calls(self, hotline_ids: tuple[str, ...]) -> tuple[str, ...]:
        lines = [self.bundle.hotline(hotline_id) for hotline_id in hotline_ids]
        return tuple(self.message("Call {number}: {name}", number=line.number,
                                  name=self.text(line.name).text)
                     for line in lines if line is not None)

    def hotline(self, line: Hotline) -> HotlineCard:
        return HotlineCard(
            heading=self.message("{number} · {name}", number=line.number,
                                 name=self.text(line.name).text),
            hours=self.message("Hours: {hours}", hours=self.text(line.hours).text),
            scope=self.text(line.scope))

    def risk(self, level: RiskLevel) -> RiskCard:
        return RiskCard(level.colour.value, self.text(level.label), self.text(level.criteria),
                        self.text(level.advice), self.calls(level.hotline_ids))


def build_screen(bundle: Bundle, *, now: datetime, site_id: str | None, language: str,
                 zone: tzinfo) -> KioskScreen:
    """Select the content in force and turn it into the values of the preview page."""
    selection = select_content(bundle, now, site_id, language)
    screen = _Screen(bundle, language, zone)

    notices = []
    for notice in selection.notices:
        title = screen.text(notice.title)
        urgent = notice.severity is Severity.URGENT
        notices.append(NoticeCard(
            title=Text(screen.message("Urgent: {title}", title=title.text), title.language,
                       title.fallback) if urgent else title,
            body=screen.text(notice.body),
            instruction=screen.text(notice.instruction) if notice.instruction else None,
            issuer=screen.text(notice.issuer),
            urgent=urgent,
            severity=notice.severity.name.lower(),
            published=screen.when(notice.published_at),
            valid_until=screen.when(notice.validity.valid_until),
            source_url=notice.source_url))

    place = screen.text(selection.site.name) if selection.site else Text(
        screen.message("Passenger information"), language, False)
    return KioskScreen(
        language=language,
        html_lang=language.replace("_", "-"),
        direction=text_direction(language),
        labels={key: screen.message(msgid) for key, msgid in _LABELS.items()},
        place=place,
        date=format_long_date(selection.moment, language, zone),
        clock=format_clock(selection.moment, language, zone),
        clock_status=selection.clock.value if selection.clock is not ClockStatus.OK else "",
        stale=selection.stale,
        sample=bundle.sample,
        urgent=tuple(card for card in notices if card.urgent),
        notices=tuple(notices),
        travel_rules=tuple(Card(screen.text(rule.title), screen.text(rule.body), ())
                           for rule in selection.travel_rules),
        symptoms=tuple(Card(screen.text(symptom.title), screen.text(symptom.body),
                            screen.calls(symptom.hotline_ids))
                       for symptom in selection.symptoms),
        risk_levels=tuple(screen.risk(level) for level in selection.risk_levels),
        hotlines=tuple(screen.hotline(line) for line in selection.hotlines),
        issued_by=screen.message("Issued by {issuer}", issuer=screen.text(bundle.issuer).text),
        version_line=screen.message("Content version {version}, updated {time}",
                                    version=bundle.version,
                                    time=format_timestamp(bundle.published_at, language, zone)),
        fallback_count=screen.fallbacks,
    )
