"""Tests for select_content: validity windows, targeting, notice order, feeds and the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.content import load_bundle, select_content
from kiosk.content.model import (
    AlertInfo,
    Bundle,
    Hotline,
    Notice,
    RiskColour,
    RiskLevel,
    Severity,
    Site,
    SymptomGuidance,
    Targeting,
    TravelRule,
    Validity,
)
from kiosk.content.selection import MAX_PLAUSIBLE_CLOCK_LEAD, ClockStatus, targets_site

CHINA = timezone(timedelta(hours=8))
PUBLISHED = datetime(2026, 12, 1, 8, 0, tzinfo=CHINA)
EXPIRES = datetime(2027, 1, 1, 8, 0, tzinfo=CHINA)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=CHINA)
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "assets" / "content" / "default-bundle.json"

SITES = (
    Site("airport-bj", {"en": "Airport"}, "airport", "CN-BJ"),
    Site("airport-sh", {"en": "Airport"}, "airport", "CN-SH"),
    Site("station-sh", {"en": "Station"}, "railway_station", "CN-SH"),
    Site("coach-cnx", {"en": "Coach station"}, "coach_station", "CNX"),
    Site("coach-cn-b", {"en": "Coach station"}, "coach_station", "CN-B"),
)


ALWAYS = Validity()
EVERYWHERE = Targeting()


def notice(notice_id: str, severity: Severity = Severity.INFO,
           published_at: datetime | None = None, validity: Validity = ALWAYS,
           targeting: Targeting = EVERYWHERE, origin: str = "bundle",
           alert: AlertInfo | None = None) -> Notice:
    return Notice(id=notice_id, title={"en": notice_id}, body={"en": "Body"}, severity=severity,
                  issuer={"en": "Issuer"}, published_at=published_at, validity=validity,
                  targeting=targeting, origin=origin, alert=alert)


def make_bundle(notices: tuple[Notice, ...] = (), travel_rules: tuple[TravelRule, ...] = (),
                symptoms: tuple[SymptomGuidance, ...] = (),
                hotlines: tuple[Hotline, ...] = ()) -> Bundle:
    risk_levels = tuple(RiskLevel(colour, {"en": colour.value}, {"en": "c"}, {"en": "a"})
                        for colour in RiskColour)
    return Bundle(version=1, published_at=PUBLISHED, expires_at=EXPIRES,
                  default_language="zh_Hans", issuer={"en": "Issuer"}, sample=False, sites=SITES,
                  notices=notices, travel_rules=travel_rules, symptoms=symptoms,
                  risk_levels=risk_levels, hotlines=hotlines)


def shown_ids(bundle: Bundle, now: datetime = NOW, site_id: str | None = "airport-bj",
              extra: tuple[Notice, ...] = ()) -> list[str]:
    selection = select_content(bundle, now, site_id, "en", extra_notices=extra)
    return [item.id for item in selection.notices]


# Validity windows.

WINDOW = Validity(datetime(2026, 12, 3, tzinfo=CHINA), datetime(2026, 12, 10, tzinfo=CHINA))


@pytest.mark.parametrize(("moment", "shown"), [
    pytest.param(datetime(2026, 12, 2, 23, 59, 59, tzinfo=CHINA), False, id="before-from"),
    pytest.param(datetime(2026, 12, 3, tzinfo=CHINA), True, id="at-from"),
    pytest.param(datetime(2026, 12, 2, 16, 0, tzinfo=UTC), True,
                 id="at-from-in-utc"),
    pytest.param(datetime(2026, 12, 6, tzinfo=CHINA), True, id="inside"),
    pytest.param(datetime(2026, 12, 9, 23, 59, 59, 999999, tzinfo=CHINA), True,
                 id="just-before-until"),
    pytest.param(datetime(2026, 12, 10, tzinfo=CHINA), False, id="at-until"),
    pytest.param(datetime(2026, 12, 11, tzinfo=CHINA), False, id="after-until"),
])
def test_validity_window_boundaries(moment: datetime, shown: bool) -> None:
    bundle = make_bundle(notices=(notice("windowed", validity=WINDOW),))

    assert (shown_ids(bundle, moment) == ["windowed"]) is shown


def test_open_ended_windows() -> None:
    bundle = make_bundle(notices=(
        notice("from-only", validity=Validity(valid_from=NOW)),
        notice("until-only", validity=Validity(valid_until=NOW)),
        notice("always"),
    ))

    assert sorted(shown_ids(bundle, NOW - timedelta(seconds=1))) == ["always", "until-only"]
    assert sorted(shown_ids(bundle, NOW)) == ["always", "from-only"]


def test_validity_applies_to_every_section() -> None:
    expired = Validity(valid_until=NOW - timedelta(days=1))
    bundle = make_bundle(
        travel_rules=(TravelRule("old-rule", {"en": "t"}, {"en": "b"}, validity=expired),
                      TravelRule("rule", {"en": "t"}, {"en": "b"})),
        symptoms=(SymptomGuidance("old-symptom", {"en": "t"}, {"en": "b"}, validity=expired),
                  SymptomGuidance("symptom", {"en": "t"}, {"en": "b"})),
        hotlines=(Hotline("old-line", {"en": "n"}, "12345", {"en": "h"}, {"en": "s"},
                          validity=expired),
                  Hotline("line", {"en": "n"}, "12320", {"en": "h"}, {"en": "s"})),
    )

    selection = select_content(bundle, NOW, "airport-bj", "en")

    assert [rule.id for rule in selection.travel_rules] == ["rule"]
    assert [symptom.id for symptom in selection.symptoms] == ["symptom"]
    assert [line.id for line in selection.hotlines] == ["line"]


# Targeting.

@pytest.mark.parametrize(("targeting", "site_id", "shown"), [
    pytest.param(Targeting(site_ids=frozenset({"airport-bj"})), "airport-bj", True,
                 id="site-id-match"),
    pytest.param(Targeting(site_ids=frozenset({"airport-bj"})), "airport-sh", False,
                 id="site-id-other"),
    pytest.param(Targeting(site_types=frozenset({"airport"})), "airport-sh", True,
                 id="site-type-match"),
    pytest.param(Targeting(site_types=frozenset({"airport"})), "station-sh", False,
                 id="site-type-other"),
    pytest.param(Targeting(regions=frozenset({"CN-SH"})), "station-sh", True,
                 id="region-exact"),
    pytest.param(Targeting(regions=frozenset({"CN-SH"})), "airport-bj", False,
                 id="region-other"),
    pytest.param(Targeting(regions=frozenset({"CN"})), "airport-bj", True,
                 id="region-prefix-covers-subregion"),
    pytest.param(Targeting(regions=frozenset({"CN"})), "coach-cnx", False,
                 id="region-prefix-not-a-longer-code"),
    pytest.param(Targeting(regions=frozenset({"CN-B"})), "airport-bj", False,
                 id="region-partial-subdivision"),
    pytest.param(Targeting(regions=frozenset({"CN-B"})), "coach-cn-b", True,
                 id="region-short-subdivision"),
    pytest.param(Targeting(regions=frozenset({"CN-BJ", "CN-SH"})), "airport-sh", True,
                 id="region-any-of-several"),
    pytest.param(Targeting(site_types=frozenset({"airport"}), regions=frozenset({"CN-SH"})),
                 "airport-bj", False, id="every-axis-must-match"),
    pytest.param(Targeting(site_types=frozenset({"airport"}), regions=frozenset({"CN-SH"})),
                 "airport-sh", True, id="all-axes-match"),
    pytest.param(Targeting(site_ids=frozenset({"airport-bj"}),
                           site_types=frozenset({"railway_station"})),
                 "airport-bj", False, id="site-id-and-wrong-type"),
])
def test_targeting(targeting: Targeting, site_id: str, shown: bool) -> None:
    bundle = make_bundle(notices=(notice("targeted", targeting=targeting),))

    assert (shown_ids(bundle, site_id=site_id) == ["targeted"]) is shown


@pytest.mark.parametrize("site_id", ["no-such-site", None, ""])
def test_unknown_site_shows_only_untargeted_items(site_id: str | None) -> None:
    bundle = make_bundle(
        notices=(notice("everywhere"),
                 notice("airports", targeting=Targeting(site_types=frozenset({"airport"}))),
                 notice("china", targeting=Targeting(regions=frozenset({"CN"})))),
        travel_rules=(TravelRule("general", {"en": "t"}, {"en": "b"}),
                      TravelRule("airport-rule", {"en": "t"}, {"en": "b"},
                                 targeting=Targeting(site_types=frozenset({"airport"})))),
    )

    selection = select_content(bundle, NOW, site_id, "en")

    assert selection.site is None
    assert [item.id for item in selection.notices] == ["everywhere"]
    assert [rule.id for rule in selection.travel_rules] == ["general"]


def test_untargeted_item_matches_unknown_site() -> None:
    assert targets_site(Targeting(), None) is True
    assert targets_site(Targeting(regions=frozenset({"CN"})), None) is False


# Notice order.

def test_notices_sort_by_severity_then_newest() -> None:
    day = timedelta(days=1)
    bundle = make_bundle(notices=(
        notice("info-new", Severity.INFO, published_at=NOW - day),
        notice("urgent-old", Severity.URGENT, published_at=NOW - 3 * day),
        notice("warning", Severity.WARNING, published_at=NOW - 2 * day),
        notice("info-old", Severity.INFO, published_at=NOW - 4 * day),
        notice("urgent-new", Severity.URGENT, published_at=NOW - 2 * day),
    ))

    assert shown_ids(bundle) == ["urgent-new", "urgent-old", "warning", "info-new", "info-old"]


def test_undated_notice_sorts_after_dated_ones() -> None:
    bundle = make_bundle(notices=(
        notice("undated"),
        notice("dated", published_at=NOW - timedelta(days=30)),
        notice("window-start", validity=Validity(valid_from=NOW - timedelta(days=1))),
    ))

    # Without published_at, the start of the validity window is used instead.
    assert shown_ids(bundle) == ["window-start", "dated", "undated"]


# Notices from feeds.

def test_extra_notices_merge_with_bundle_notices() -> None:
    bundle = make_bundle(notices=(
        notice("bundle-warning", Severity.WARNING, published_at=NOW - timedelta(hours=5)),
        notice("bundle-info", published_at=NOW - timedelta(hours=1)),
    ))
    feed = (
        notice("feed-urgent", Severity.URGENT, published_at=NOW - timedelta(hours=9),
               origin="cma-feed"),
        notice("feed-info", published_at=NOW - timedelta(hours=2), origin="cma-feed"),
    )

    assert shown_ids(bundle, extra=feed) == ["feed-urgent", "bundle-warning", "bundle-info",
                                             "feed-info"]


def test_extra_notices_obey_validity_and_targeting() -> None:
    bundle = make_bundle()
    feed = (
        notice("expired", validity=Validity(valid_until=NOW - timedelta(minutes=1))),
        notice("elsewhere", targeting=Targeting(regions=frozenset({"CN-SH"}))),
        notice("here", targeting=Targeting(regions=frozenset({"CN-BJ"}))),
    )

    assert shown_ids(bundle, site_id="airport-bj", extra=feed) == ["here"]


def test_urgent_and_takeover_notices() -> None:
    alert = AlertInfo(identifier="a1", sender="cma", sent=NOW, severity="Extreme",
                      urgency="Immediate", certainty="Observed")
    bundle = make_bundle(notices=(notice("info"), notice("urgent", Severity.URGENT)))
    feed = (notice("storm", Severity.URGENT, published_at=NOW, alert=alert),)

    selection = select_content(bundle, NOW, "airport-bj", "en", extra_notices=feed)

    assert [item.id for item in selection.urgent_notices] == ["storm", "urgent"]
    assert selection.takeover_notice is not None
    assert selection.takeover_notice.id == "storm"


def test_no_takeover_without_severe_immediate_alert() -> None:
    alert = AlertInfo(identifier="a2", sender="cma", sent=NOW, severity="Moderate",
                      urgency="Immediate", certainty="Likely")
    bundle = make_bundle(notices=(notice("advisory", Severity.WARNING, alert=alert),))

    assert select_content(bundle, NOW, None, "en").takeover_notice is None


# The wall clock.

def test_correct_clock_is_used_as_is() -> None:
    selection = select_content(make_bundle(), NOW, None, "en")

    assert selection.clock is ClockStatus.OK
    assert selection.moment == NOW


def test_clock_behind_uses_publish_time() -> None:
    bundle = make_bundle(notices=(
        notice("current", validity=Validity(PUBLISHED - timedelta(days=1),
                                            PUBLISHED + timedelta(days=1))),
        notice("future", validity=Validity(valid_from=PUBLISHED + timedelta(hours=1))),
    ))
    boot = datetime(1970, 1, 1, tzinfo=UTC)

    selection = select_content(bundle, boot, None, "en")

    assert selection.clock is ClockStatus.BEHIND
    assert selection.moment == PUBLISHED
    assert [item.id for item in selection.notices] == ["current"]
    assert selection.stale is False


def test_clock_reference_later_than_bundle() -> None:
    reference = PUBLISHED + timedelta(days=3)

    selection = select_content(make_bundle(), reference - timedelta(hours=8), None, "en",
                               clock_reference=reference)

    assert selection.clock is ClockStatus.BEHIND
    assert selection.moment == reference


def test_older_clock_reference_is_ignored() -> None:
    selection = select_content(make_bundle(), PUBLISHED - timedelta(hours=1), None, "en",
                               clock_reference=PUBLISHED - timedelta(days=10))

    assert selection.clock is ClockStatus.BEHIND
    assert selection.moment == PUBLISHED


def test_clock_far_ahead_uses_publish_time() -> None:
    bundle = make_bundle(notices=(notice("short", validity=Validity(valid_until=EXPIRES)),))
    ahead = PUBLISHED + MAX_PLAUSIBLE_CLOCK_LEAD + timedelta(seconds=1)

    selection = select_content(bundle, ahead, None, "en")

    assert selection.clock is ClockStatus.AHEAD
    assert selection.moment == PUBLISHED
    assert [item.id for item in selection.notices] == ["short"]


def test_clock_at_plausible_limit_is_trusted() -> None:
    limit = PUBLISHED + MAX_PLAUSIBLE_CLOCK_LEAD

    selection = select_content(make_bundle(), limit, None, "en")

    assert selection.clock is ClockStatus.OK
    assert selection.moment == limit


@pytest.mark.parametrize(("now", "stale"), [
    pytest.param(EXPIRES - timedelta(microseconds=1), False, id="just-before-expiry"),
    pytest.param(EXPIRES, True, id="at-expiry"),
    pytest.param(EXPIRES + timedelta(days=200), True, id="long-after-expiry"),
])
def test_stale_flag(now: datetime, stale: bool) -> None:
    assert select_content(make_bundle(), now, None, "en").stale is stale


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        select_content(make_bundle(), datetime(2026, 12, 5, 12, 0), None, "en")


def test_naive_clock_reference_is_rejected() -> None:
    with pytest.raises(ValueError, match="clock_reference"):
        select_content(make_bundle(), NOW, None, "en",
                       clock_reference=datetime(2026, 12, 5, 12, 0))


def test_selection_keeps_language_and_risk_levels() -> None:
    bundle = make_bundle()

    selection = select_content(bundle, NOW, "station-sh", "ar")

    assert selection.language == "ar"
    assert selection.site == SITES[2]
    assert selection.risk_levels == bundle.risk_levels


# The shipped default bundle at each sample site.

def test_default_bundle_at_airport() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)
    moment = datetime(2026, 12, 10, 9, 0, tzinfo=CHINA)

    selection = select_content(bundle, moment, "sample-airport-t1", "en")

    assert selection.clock is ClockStatus.OK
    assert selection.notices[0].severity is Severity.URGENT
    assert "notice-airport-temperature-checks" in {item.id for item in selection.notices}
    assert {rule.id for rule in selection.travel_rules} == {"rule-general", "rule-airport"}
    assert len(selection.hotlines) == len(bundle.hotlines)


def test_default_bundle_railway_in_spring_festival() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)
    moment = datetime(2027, 2, 1, 9, 0, tzinfo=CHINA)

    selection = select_content(bundle, moment, "sample-railway-south", "zh_Hans")
    notice_ids = {item.id for item in selection.notices}

    assert "notice-spring-festival-tickets" in notice_ids
    assert "notice-airport-temperature-checks" not in notice_ids
    assert {rule.id for rule in selection.travel_rules} == {"rule-general",
                                                            "rule-railway-station"}


def test_default_bundle_at_unknown_site() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)
    moment = datetime(2026, 12, 10, 9, 0, tzinfo=CHINA)

    selection = select_content(bundle, moment, "unconfigured", "en")

    assert all(not item.targeting.site_types for item in selection.notices)
    assert [rule.id for rule in selection.travel_rules] == ["rule-general"]


def test_default_bundle_past_expiry_is_stale() -> None:
    bundle = load_bundle(DEFAULT_BUNDLE)
    later = replace(bundle, expires_at=bundle.published_at + timedelta(days=1))

    selection = select_content(later, bundle.published_at + timedelta(days=2), None, "en")

    assert selection.stale is True


def test_broadcast_flag_takes_over_screen(default_bundle_path):
    from dataclasses import replace

    from kiosk.content.loader import load_bundle
    from kiosk.content.selection import select_content

    bundle = load_bundle(default_bundle_path)
    now = bundle.published_at
    assert select_content(bundle, now, None, "zh_Hans").takeover_notice is None

    flagged = replace(bundle.notices[0], takeover=True, validity=replace(bundle.notices[0].validity,
                                                                         valid_from=None))
    bundle = replace(bundle, notices=(flagged, *bundle.notices[1:]))
    assert select_content(bundle, now, None, "zh_Hans").takeover_notice == flagged


def test_takeover_field_loads_from_bundle(default_bundle_path):
    import json

    from kiosk.content.errors import ContentError
    from kiosk.content.loader import parse_bundle

    document = json.loads(default_bundle_path.read_text("utf-8"))
    document["notices"][0]["takeover"] = True
    bundle = parse_bundle(json.dumps(document).encode(), "test")
    assert bundle.notices[0].takeover is True
    assert bundle.notices[1].takeover is False

    document["notices"][0]["takeover"] = "yes"
    with pytest.raises(ContentError, match="takeover"):
        parse_bundle(json.dumps(document).encode(), "test")
