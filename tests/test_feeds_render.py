"""Tests for the plain-text rendering of notices and the feed command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.content.model import Notice
from kiosk.feeds import format_notices, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def notices_of(name: str) -> tuple[Notice, ...]:
    return parse_feed((FIXTURES / name).read_bytes(), feed_id="test",
                      source_url=f"https://feeds.example.org/{name}").notices


def test_format_shows_requested_language() -> None:
    text = format_notices(notices_of("cap12_multilingual_station_measles.xml"), "zh_Hant")

    lines = text.split("\n")
    assert lines[0] == "[WARNING] 中央車站發現麻疹暴露"
    assert "  issuer:    市衛生局" in lines
    assert "  severity:  WARNING (CAP Alert: severity Moderate, urgency Expected, " \
           "certainty Likely)" in lines
    assert "  valid:     2024-03-10 01:00 UTC to 2024-03-24 01:00 UTC" in lines
    assert "  languages: ar, en, fr, ja, ko, ru, zh_Hans, zh_Hant" in lines
    assert "  link:      https://health.example.org/zh-hans/measles" in lines
    assert "  area:      中央車站東大廳" in lines
    assert "    一名麻疹患者於3月8日經過東大廳。" in lines


def test_format_marks_fallback_language() -> None:
    text = format_notices(notices_of("cap12_chain_1_alert.xml"), "zh_Hans")

    assert text.split("\n")[0] == "[WARNING] North line closed between A and B  [en]"


def test_format_rss_notice_without_alert_fields() -> None:
    text = format_notices(notices_of("atom_languages.xml"), "zh_Hant")

    assert "[INFO] 車站消毒安排" in text
    assert "  valid:     open to open" in text
    assert "event:" not in text


def test_format_without_notices() -> None:
    assert format_notices((), "en") == "(no notices)"


def test_command_prints_notices(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["feed", "show", str(FIXTURES / "cap12_time_offsets.xml"), "--lang", "en",
                   "--at", "2024-05-01T12:00:00+00:00"])

    output = capsys.readouterr().out
    assert status == 0
    assert "[URGENT] Heat warning" in output


def test_command_reports_rejected_file(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["feed", "show", str(FIXTURES / "captive_portal.html"),
                   str(FIXTURES / "atom_cap_index_typed_links.xml")])

    output = capsys.readouterr().out
    assert status == 1
    assert "not a feed" in output
    assert "cap-index" in output


def test_command_reconciles_across_files(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / name) for name in ("cap12_chain_1_alert.xml",
                                               "cap12_chain_2_update.xml")]

    status = main(["feed", "show", *files, "--lang", "en", "--at", "2024-07-01T05:00:00+00:00"])

    output = capsys.readouterr().out
    assert status == 0
    shown = output.split("2024-07-01T05:00:00+00:00", 1)[1]
    assert "North line closed between A and C" in shown
    assert "between A and B" not in shown
