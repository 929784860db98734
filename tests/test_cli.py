"""The kiosk command: exit codes and output of the subcommands that need no window."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kiosk.cli import main

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "assets" / "content" / "default-bundle.json"
FEEDS = REPO / "tests" / "fixtures" / "feeds"


def test_check_accepts_default_bundle(capsys):
    assert main(["check", str(BUNDLE)]) == 0
    assert str(BUNDLE) in capsys.readouterr().out


def test_check_rejects_invalid_bundle_with_path(tmp_path, capsys):
    document = json.loads(BUNDLE.read_text("utf-8"))
    document["notices"][1]["severity"] = "apocalyptic"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")

    assert main(["check", str(bad)]) == 1
    error = capsys.readouterr().err
    assert "$.notices[1].severity" in error
    assert "apocalyptic" in error


def test_check_rejects_truncated_bundle(tmp_path, capsys):
    truncated = tmp_path / "cut.json"
    truncated.write_bytes(BUNDLE.read_bytes()[:500])
    assert main(["check", str(truncated)]) == 1
    assert "invalid JSON" in capsys.readouterr().err


def test_pin_hash_reads_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("2468\n"))
    assert main(["pin-hash"]) == 0
    printed = capsys.readouterr().out.strip()
    assert PasswordHasher().verify(printed, "2468")


def test_pin_hash_rejects_short_pin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert main(["pin-hash"]) == 2


def test_sync_without_sources_exits_2(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text("site_id = 'x'\n", encoding="utf-8")
    assert main(["sync", "--once", "--config", str(config)]) == 2


def test_sync_repo_arguments_go_together(tmp_path):
    assert main(["sync", "--once", "--repo", "http://127.0.0.1:9/"]) == 2


def test_invalid_config_exits_2(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text("idle_timeout_s = 0\n", encoding="utf-8")
    assert main(["sync", "--once", "--config", str(config)]) == 2
    assert "idle_timeout_s" in capsys.readouterr().err


def test_screenshot_rejects_time_without_offset(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_UNDER_XVFB", "1")
    out = tmp_path / "x.png"
    assert main(["screenshot", "--out", str(out), "--at", "2026-12-04T08:00:00"]) == 2
    assert not out.exists()


def test_feed_show_prints_gbk_rss_as_chinese(capsys):
    status = main(["feed", "show", str(FEEDS / "rss_gbk_declared_gbk.xml")])
    output = capsys.readouterr().out
    assert status == 0
    assert "春运期间旅客健康提示" in output


def test_feed_show_exits_1_when_a_feed_is_rejected(capsys):
    status = main(["feed", "show", str(FEEDS / "rss_gbk_declared_gbk.xml"),
                   str(FEEDS / "attack_external_entity.xml")])
    output = capsys.readouterr().out
    assert status == 1
    assert "entity" in output
    assert "春运期间旅客健康提示" in output


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as caught:
        main(["fly"])
    assert caught.value.code == 2


@pytest.mark.ui
def test_screenshot_command_writes_png(tmp_path):
    """The documented screenshot command, in its own process and window."""
    import os
    import subprocess

    from PIL import Image

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display: run the suite under xvfb-run (see README.md)")
    out = tmp_path / "notice-ja.png"
    environ = dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"))
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kiosk.cli", "screenshot", "--config",
         str(REPO / "assets" / "config" / "sample-kiosk.toml"), "--screen", "notice",
         "--lang", "ja", "--out", str(out), "--at", "2026-12-04T09:30:00+08:00"],
        env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(out) as image:
        assert image.size == (1080, 1920)
    assert sorted(path.name for path in tmp_path.glob("*.png")) == ["notice-ja.png"]


@pytest.mark.ui
def test_run_stops_cleanly_on_sigterm(tmp_path):
    """systemctl stop sends SIGTERM; the kiosk must exit promptly and cleanly."""
    import os
    import signal
    import subprocess
    import time

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display: run the suite under xvfb-run (see README.md)")
    config = tmp_path / "kiosk.toml"
    config.write_text(f"site_id = 'sample-airport-t1'\ndata_dir = '{tmp_path / 'data'}'\n"
                      "[display]\nfullscreen = false\n", encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        output = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            output += line
            if "started" in line or not line:
                break
        assert "started" in output, output[-2000:]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
