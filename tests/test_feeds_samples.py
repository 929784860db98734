"""Tests against real public feed samples in the folder named by KIOSK_SAMPLE_FEEDS.

The samples are not part of the project; without the variable these tests skip.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.content.model import Notice, Severity
from kiosk.feeds import FeedError, ParsedFeed, parse_feed, reconcile_alerts
from kiosk.i18n.languages import resolve_text


@pytest.fixture
def samples() -> Path:
    folder = os.environ.get("KIOSK_SAMPLE_FEEDS")
    if not folder:
        pytest.skip("KIOSK_SAMPLE_FEEDS is not set: it names the folder of real feed samples")
    path = Path(folder)
    if not path.is_dir():
        pytest.skip(f"KIOSK_SAMPLE_FEEDS={folder} is not a folder")
    return path


def parse_sample(folder: Path, name: str) -> ParsedFeed:
    return parse_feed((folder / name).read_bytes(), feed_id="sample",
                      source_url=f"https://samples.example.org/{name}")


def only_notice(parsed: ParsedFeed) -> Notice:
    assert len(parsed.notices) == 1
    return parsed.notices[0]


def test_every_sample_parses_or_raises_feed_error(samples: Path) -> None:
    files = sorted(path for path in samples.iterdir() if path.is_file())
    assert files, f"no files in {samples}"
    for path in files:
        try:
            parsed = parse_sample(samples, path.name)
        except FeedError:
            continue
        assert parsed.kind in {"cap", "cap-index", "rss", "atom"}, path.name


def test_nws_atom_index_lists_two_alerts(samples: Path) -> None:
    parsed = parse_sample(samples, "atom_cap11_index_nws_air_quality_2010.xml")

    assert parsed.kind == "cap-index"
    assert parsed.notices == ()
    base = "http://www.weather.gov/alerts-beta/wwacapget.php?x="
    assert parsed.linked_alerts == (
        base + "CT20100831030400OKXAirQualityAlertOKX20100901031500CT",
        base + "DC20100830203300LWXAirQualityAlertLWX20100901040000DC",
    )


def test_nyalert_rss_index_lists_two_alerts(samples: Path) -> None:
    parsed = parse_sample(samples, "rss_cap_index_nyalert_road_closures_2011.xml")

    assert parsed.kind == "cap-index"
    assert parsed.notices == ()
    base = "http://www.nyalert.gov/Public/News/GetCapAlert.aspx?capID=NYAlert-ALLHAZALERT-"
    assert parsed.linked_alerts == (base + "3167113", base + "3162202")


def test_environment_canada_update_in_two_languages(samples: Path) -> None:
    notice = only_notice(parse_sample(
        samples, "cap11_fr-CA_en-CA_ec_storm_update_references_resource_polygons.xml"))

    assert set(notice.title) == {"en", "fr"}
    assert notice.title == {"fr": "alerte vent de tempête", "en": "storm alert"}
    assert notice.severity is Severity.URGENT
    assert notice.alert is not None
    assert notice.alert.msg_type == "Update"
    assert len(notice.alert.references) == 5
    assert notice.alert.references[0] == (
        "cwto@ec.gc.ca", "CA-EC-CWTO-2011-138774", "2011-02-07T23:52:00-00:00")
    assert notice.alert.area["en"] == (
        "Laurentian Fan; Georges Bank; East Scotian Slope; West Scotian Slope")
    assert notice.source_url == "http://www.weatheroffice.gc.ca/warnings/warnings_e.html"
    assert notice.validity.valid_from == datetime(2011, 2, 8, 5, 0, tzinfo=UTC)
    assert notice.validity.valid_until == datetime(2011, 2, 8, 19, 0, tzinfo=UTC)
    assert notice.published_at == datetime(2011, 2, 8, 4, 52, tzinfo=UTC)
    assert notice.body["en"].endswith("for testing and evaluation purposes only.")


def test_nsw_fire_prefixed_namespace_and_escaped_html(samples: Path) -> None:
    notice = only_notice(parse_sample(
        samples, "cap12_en-AU_nsw_rfs_fire_prefixed_ns_escaped_html.xml"))

    assert set(notice.title) == {"en"}
    assert notice.title["en"] == "Yerong Creek Structure Fire"
    assert notice.severity is Severity.INFO
    body = notice.body["en"]
    assert body.startswith("ALERT LEVEL: Not Applicable\nLOCATION: 12 Cox Street, Yerong Creek\n")
    assert body.count("ALERT LEVEL") == 1
    assert "<br" not in body
    assert "&lt;" not in body
    assert notice.issuer == {"en": "NSW Rural Fire Service"}
    assert notice.alert is not None
    assert notice.alert.event == {"en": "Fire"}


def test_meteo_france_update_expires_at_issue(samples: Path) -> None:
    notice = only_notice(parse_sample(
        samples, "cap12_fr-FR_en-GB_meteofrance_avalanche_update_allclear_expired.xml"))

    assert set(notice.title) == {"en", "fr"}
    assert notice.title["en"] == "Moderate avalanches warning"
    assert notice.severity is Severity.WARNING
    issued = datetime(2022, 12, 7, 5, 1, tzinfo=UTC)
    assert notice.validity.valid_from == issued
    assert notice.validity.valid_until == issued
    # The source's own "?" in place of accents is kept, not "repaired".
    assert "d?ete" in notice.body["fr"]
    assert reconcile_alerts([notice], issued) == ()
    assert reconcile_alerts([notice], datetime(2022, 12, 7, 5, 0, tzinfo=UTC)) == (notice,)


def test_missing_scope_sample_is_rejected(samples: Path) -> None:
    with pytest.raises(FeedError, match=r"'12345'.*missing required element <scope>"):
        parse_sample(samples, "cap12_invalid_missing_scope.xml")


def test_ipaws_cancel_without_info(samples: Path) -> None:
    notice = only_notice(parse_sample(samples, "cap12_ipaws_nv_cancel_no_info_block_xmldsig.xml"))

    assert notice.alert is not None
    assert notice.alert.msg_type == "Cancel"
    assert notice.alert.references == (
        ("bbrundage@dps.state.nv.us", "AS-NV-e18921c7-1b35-4a81-9705-42d25c265ddd",
         "2019-04-18T12:02:32-06:00"),)
    assert notice.title == {}
    assert reconcile_alerts([notice], datetime(2019, 4, 19, 18, 0, tzinfo=UTC)) == ()


def test_xxe_sample_is_rejected_without_network(samples: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    connections: list[object] = []

    def refuse_connect(self: socket.socket, address: object) -> None:
        connections.append(address)
        raise PermissionError("network access during feed parsing")

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)

    with pytest.raises(FeedError, match="external DTD"):
        parse_sample(samples, "cap12_xxe_xinclude_attack_SECURITY.xml")

    assert connections == []


def test_cma_heat_warning_in_chinese_and_english(samples: Path) -> None:
    notice = only_notice(parse_sample(
        samples, "cap12_zh-CN_en-US_cma_penglai_heat_red_update_cpeas_geocode.xml"))

    assert set(notice.title) == {"en", "zh_Hans"}
    assert notice.title["zh_Hans"] == "蓬莱区气象台变更发布高温红色预警信号[Ⅰ级/特别严重]"
    assert notice.severity is Severity.URGENT
    assert notice.issuer == {"en": "Duty Forecaster", "zh_Hans": "值班预报员"}
    assert notice.instruction == {}
    assert notice.source_url is None
    assert notice.alert is not None
    assert notice.alert.msg_type == "Update"
    assert notice.alert.event == {"en": "high temperature", "zh_Hans": "高温"}
    assert notice.validity.valid_until == datetime(2026, 8, 2, 5, 32, 19, tzinfo=UTC)
    # Without a Traditional Chinese block, a zh_Hant passenger gets Simplified Chinese.
    resolved = resolve_text(notice.title, "zh_Hant")
    assert resolved.language == "zh_Hans"
    assert resolved.is_fallback


def test_taiwan_cdc_test_status_gives_no_notice(samples: Path) -> None:
    parsed = parse_sample(samples,
                          "cap12_zh-TW_taiwan_cdc_communicable_disease_health_status_test.xml")

    assert parsed.kind == "cap"
    assert parsed.notices == ()


def test_taiwan_railway_alert_in_traditional_chinese(samples: Path) -> None:
    notice = only_notice(parse_sample(
        samples, "cap12_zh-TW_taiwan_railway_rail_incident_transport_two_circles.xml"))

    assert set(notice.title) == {"zh_Hant"}
    resolved = resolve_text(notice.title, "zh_Hant")
    assert resolved.text == "台鐵營運警示[汐科-南港]通阻"
    assert not resolved.is_fallback
    assert notice.severity is Severity.WARNING
    assert notice.issuer == {"zh_Hant": "臺灣鐵路管理局"}
    assert notice.source_url == (
        "https://tip.railway.gov.tw/tra-tip-web/tip/tip007/tip711/blockList")
    assert notice.alert is not None
    assert notice.alert.identifier == "tra.gov.tw_railAccident_null"
    assert notice.alert.references == ()
    assert notice.alert.area == {"zh_Hant": "汐科-南港"}


def test_australian_health_rss(samples: Path) -> None:
    parsed = parse_sample(
        samples, "rss_en_australia_dept_of_health_covid_hotspots_xml_base_double_escaped.xml")

    assert parsed.kind == "rss"
    assert len(parsed.notices) == 20
    assert all(set(notice.title) == {"en"} for notice in parsed.notices)
    assert parsed.notices[0].title["en"] == (
        "Changes to Hotspots for Commonwealth support in Cairns, Yarrabah, Dubbo and Melbourne")
    dates = [notice.published_at for notice in parsed.notices]
    assert all(date is not None for date in dates)
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    titles = [notice.title["en"] for notice in parsed.notices]
    assert ("Release of the Doherty Institute Modelling Report to advise on the National Plan "
            "to transition Australia's National COVID Response") in titles
    for notice in parsed.notices:
        text = notice.title["en"] + notice.body["en"]
        assert "&#039;" not in text
        assert notice.title["en"] == notice.title["en"].strip()
        assert notice.source_url is not None
        assert notice.source_url.startswith("https://www.health.gov.au/news/")
        assert notice.issuer == {"en": "Australian Government Department of Health"}


@pytest.mark.parametrize("name", [
    "gtfsrt_alerts_spec_example_en.asciipb",
    "gtfsrt_entity_amb_mobilitat_barcelona_ca_es_html_entities.json",
    "gtfsrt_entity_ruter_oslo_nb_en_missing_language_codes.json",
])
def test_gtfs_realtime_is_unsupported(samples: Path, name: str) -> None:
    with pytest.raises(FeedError, match="unsupported format"):
        parse_sample(samples, name)


def test_samples_reconcile_to_passenger_view(samples: Path) -> None:
    notices: list[Notice] = []
    for path in sorted(samples.iterdir()):
        try:
            notices.extend(parse_sample(samples, path.name).notices)
        except FeedError:
            continue

    # At 06:00 UTC on 8 February 2011 no alert has expired yet, and the IPAWS
    # Cancel is never shown. Of the alerts, only the Environment Canada storm
    # warning is in force then; the others lie in the future.
    now = datetime(2011, 2, 8, 6, 0, tzinfo=UTC)
    shown = reconcile_alerts(notices, now)

    alerts = {notice.alert.identifier: notice for notice in shown if notice.alert is not None}
    assert set(alerts) == {
        "CA-EC-CWTO-2011-138776",
        "tag:www.rfs.nsw.gov.au2011-10-06:40184",
        "2.49.0.0.250.0.FR.20221207060126.964028",
        "37061441600000_20260801133303",
        "tra.gov.tw_railAccident_null",
    }
    in_force = [identifier for identifier, notice in alerts.items()
                if notice.validity.contains(now)]
    assert in_force == ["CA-EC-CWTO-2011-138776"]
    assert len(shown) - len(alerts) == 20
    # Urgent alerts come first.
    assert shown[0].severity is Severity.URGENT
