"""Tests for the plain-text rendering of notices and the feed command line."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.content.model import Notice
from kiosk.feeds import format_notices, parse_feed
from kiosk.i18n.catalogs import load_catalog
from kiosk.i18n.languages import KIOSK_LANGUAGES

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"

#: Labels of the fields that share one value column, as msgids.
FIELD_LABELS = ("issuer:", "severity:", "valid:", "published:", "languages:", "link:", "event:",
                "area:", "replaces:")


def notices_of(name: str) -> tuple[Notice, ...]:
    return parse_feed((FIXTURES / name).read_bytes(), feed_id="test",
                      source_url=f"https://feeds.example.org/{name}").notices


def columns(text: str) -> int:
    """Count terminal columns independently of the code under test."""
    return sum(2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1 for char in text)


def operator_environment(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", lang)


def test_format_shows_requested_language() -> None:
    text = format_notices(notices_of("cap12_multilingual_station_measles.xml"), "zh_Hant",
                          load_catalog("en"))

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
    assert "  instruction:" in lines


def test_format_labels_in_simplified_chinese() -> None:
    text = format_notices(notices_of("cap12_multilingual_station_measles.xml"), "zh_Hant",
                          load_catalog("zh_Hans"))

    lines = text.split("\n")
    assert lines[0] == "[WARNING] 中央車站發現麻疹暴露"
    assert "  发布单位： 市衛生局" in lines
    assert "  级别：     WARNING（CAP Alert：严重程度 Moderate，紧迫程度 Expected，" \
           "确定程度 Likely）" in lines
    assert "  有效期：   2024-03-10 01:00 UTC 至 2024-03-24 01:00 UTC" in lines
    assert "  语言：     ar, en, fr, ja, ko, ru, zh_Hans, zh_Hant" in lines
    assert "  区域：     中央車站東大廳" in lines
    assert "  建议措施：" in lines
    assert "issuer" not in text


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_format_aligns_values_by_display_width(language: str) -> None:
    catalog = load_catalog(language)
    text = format_notices(notices_of("cap12_chain_3_update.xml")
                          + notices_of("cap12_multilingual_station_measles.xml"), "en", catalog)

    labels = [catalog.gettext(label) for label in FIELD_LABELS]
    for block in text.split("\n\n"):
        starts = []
        for line in block.split("\n"):
            label = next((label for label in labels if line.startswith(f"  {label}")), None)
            if label is None:
                continue
            value = line[2 + len(label):].lstrip(" ")
            starts.append(columns(line[:len(line) - len(value)]))
        assert len(starts) >= 7, (language, block)
        assert len(set(starts)) == 1, (language, block)


def test_format_plural_in_english() -> None:
    english = load_catalog("en")

    one_reference = format_notices(notices_of("cap12_chain_2_update.xml"), "en", english)
    two_references = format_notices(notices_of("cap12_chain_3_update.xml"), "en", english)

    assert "  replaces:  1 earlier alert" in one_reference.split("\n")
    assert "  replaces:  2 earlier alerts" in two_references.split("\n")


def test_format_plural_in_chinese_and_russian() -> None:
    notices = notices_of("cap12_chain_3_update.xml")

    chinese = format_notices(notices, "en", load_catalog("zh_Hans"))
    russian = format_notices(notices, "en", load_catalog("ru"))

    assert "  取代：     此前 2 条警报" in chinese.split("\n")
    assert "  заменяет:     2 предыдущих оповещения" in russian.split("\n")


def test_format_marks_fallback_language() -> None:
    text = format_notices(notices_of("cap12_chain_1_alert.xml"), "zh_Hans", load_catalog("en"))

    assert text.split("\n")[0] == "[WARNING] North line closed between A and B  [en]"


def test_format_rss_notice_without_alert_fields() -> None:
    text = format_notices(notices_of("atom_languages.xml"), "zh_Hant", load_catalog("en"))

    assert "[INFO] 車站消毒安排" in text
    assert "  valid:     open to open" in text
    assert "event:" not in text


def test_format_rss_notice_in_simplified_chinese() -> None:
    text = format_notices(notices_of("atom_languages.xml"), "zh_Hant", load_catalog("zh_Hans"))

    assert "  有效期：   不限 至 不限" in text.split("\n")
    assert "  链接：     https://mtr.example.org/health/1" in text.split("\n")
    assert "事件：" not in text


def test_format_without_notices() -> None:
    assert format_notices((), "en", load_catalog("en")) == "(no notices)"
    assert format_notices((), "en", load_catalog("zh_Hans")) == "（无通知公告）"


@pytest.mark.parametrize(("lang", "issuer_label"), [
    ("C.UTF-8", "  发布单位： "),
    ("zh_CN.UTF-8", "  发布单位： "),
    ("en_US.UTF-8", "  issuer:    "),
])
def test_format_labels_follow_operator_environment(
        monkeypatch: pytest.MonkeyPatch, lang: str, issuer_label: str) -> None:
    operator_environment(monkeypatch, lang)

    text = format_notices(notices_of("cap12_chain_1_alert.xml"), "en")

    assert f"{issuer_label}Example Railway" in text.split("\n")


def test_command_prints_notices(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["feed", "show", str(FIXTURES / "cap12_time_offsets.xml"), "--lang", "en",
                   "--at", "2024-05-01T12:00:00+00:00"])

    output = capsys.readouterr().out
    assert status == 0
    assert "[URGENT] Heat warning" in output


def test_command_labels_in_default_language(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    operator_environment(monkeypatch, "C.UTF-8")

    status = main(["feed", "show", str(FIXTURES / "cap12_chain_2_update.xml"),
                   "--at", "2024-07-01T05:00:00+00:00"])

    lines = capsys.readouterr().out.split("\n")
    assert status == 0
    assert "  发布单位： Example Railway" in lines
    assert "  链接：     （无）" in lines
    assert "  取代：     此前 1 条警报" in lines


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
