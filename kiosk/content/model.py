"""Immutable content model: the items a kiosk shows, built from a validated bundle."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: Passenger-facing text: a mapping from a language identifier (``zh_Hans``,
#: ``en``, ...) to the text in that language.
LocalizedText = Mapping[str, str]


class Severity(enum.IntEnum):
    """How prominently a notice is shown; higher sorts first."""

    INFO = 0
    WARNING = 1
    URGENT = 2


class RiskColour(enum.Enum):
    """The four risk colours, from lowest to highest risk."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


@dataclass(frozen=True)
class Validity:
    """Window in which an item is shown; an open end is ``None``."""

    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


@dataclass(frozen=True)
class Targeting:
    """Sites an item is meant for; an empty set on every axis means all sites.

    A site matches when every non-empty axis matches it. Regions are ISO 3166-2
    style codes, and a target region also covers its sub-regions, so ``CN``
    covers ``CN-BJ``.
    """

    site_ids: frozenset[str] = frozenset()
    site_types: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Site:
    """A place where kiosks stand."""

    id: str
    name: LocalizedText
    site_type: str
    region: str


@dataclass(frozen=True)
class AlertInfo:
    """Common Alerting Protocol fields kept for notices that came from a CAP alert."""

    identifier: str
    sender: str
    sent: datetime | None
    severity: str
    urgency: str
    certainty: str
    event: LocalizedText = field(default_factory=dict)
    area: LocalizedText = field(default_factory=dict)
    #: CAP msgType: Alert, Update, Cancel, Ack or Error.
    msg_type: str = "Alert"
    #: Earlier alerts this one updates or cancels, as (sender, identifier, sent) triples.
    references: tuple[tuple[str, str, str], ...] = ()

    @property
    def takes_over_screen(self) -> bool:
        """True for an Extreme or Severe alert that needs Immediate action."""
        return self.severity in {"Extreme", "Severe"} and self.urgency == "Immediate"


@dataclass(frozen=True)
class Notice:
    """An official notice from the bundle or from a feed."""

    id: str
    title: LocalizedText
    body: LocalizedText
    severity: Severity
    issuer: LocalizedText
    source_url: str | None = None
    published_at: datetime | None = None
    validity: Validity = Validity()
    targeting: Targeting = Targeting()
    instruction: LocalizedText = field(default_factory=dict)
    #: Where the notice came from: ``bundle`` or the id of a configured feed.
    origin: str = "bundle"
    alert: AlertInfo | None = None
    #: Set by the authority (an urgent broadcast) to take over the whole screen.
    takeover: bool = False

    @property
    def takes_over_screen(self) -> bool:
        """True for a broadcast marked to take over, or a CAP alert that needs it."""
        return self.takeover or (self.alert is not None and self.alert.takes_over_screen)


@dataclass(frozen=True)
class TravelRule:
    """A rule in force for travellers at some sites."""

    id: str
    title: LocalizedText
    body: LocalizedText
    source_url: str | None = None
    validity: Validity = Validity()
    targeting: Targeting = Targeting()


@dataclass(frozen=True)
class SymptomGuidance:
    """Advice for one symptom: what to do, where to go, which number to call."""

    id: str
    title: LocalizedText
    body: LocalizedText
    hotline_ids: tuple[str, ...] = ()
    validity: Validity = Validity()
    targeting: Targeting = Targeting()


@dataclass(frozen=True)
class RiskLevel:
    """One of the four risk colours with its label, criteria and advice."""

    colour: RiskColour
    label: LocalizedText
    criteria: LocalizedText
    advice: LocalizedText
    hotline_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hotline:
    """A telephone number passengers can call."""

    id: str
    name: LocalizedText
    number: str
    hours: LocalizedText
    scope: LocalizedText
    validity: Validity = Validity()
    targeting: Targeting = Targeting()


@dataclass(frozen=True)
class SelfCheckQuestion:
    """A yes/no question a passenger answers about themselves."""

    id: str
    text: LocalizedText


@dataclass(frozen=True)
class SelfCheckRule:
    """A row of the self-check decision table.

    The row matches when any question in ``any_yes`` was answered yes; a row
    with an empty ``any_yes`` matches every set of answers. Rows are tried in
    order and the first match gives the risk colour.
    """

    any_yes: tuple[str, ...]
    colour: RiskColour


@dataclass(frozen=True)
class SelfCheck:
    """The anonymous self-check: questions and the decision table."""

    questions: tuple[SelfCheckQuestion, ...]
    rules: tuple[SelfCheckRule, ...]
    guidance_url: str | None = None


@dataclass(frozen=True)
class Bundle:
    """Everything a kiosk shows, as one versioned unit."""

    version: int
    published_at: datetime
    expires_at: datetime
    default_language: str
    issuer: LocalizedText
    sample: bool
    sites: tuple[Site, ...]
    notices: tuple[Notice, ...]
    travel_rules: tuple[TravelRule, ...]
    symptoms: tuple[SymptomGuidance, ...]
    risk_levels: tuple[RiskLevel, ...]
    hotlines: tuple[Hotline, ...]
    self_check: SelfCheck | None = None

    def site(self, site_id: str) -> Site | None:
        return next((site for site in self.sites if site.id == site_id), None)

    def hotline(self, hotline_id: str) -> Hotline | None:
        return next((line for line in self.hotlines if line.id == hotline_id), None)
