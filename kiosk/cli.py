"""The ``kiosk`` command and its subcommands."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.i18n.gettext import _
from kiosk.i18n.languages import KIOSK_LANGUAGES

logger = logging.getLogger(__name__)

SCREEN_NAMES = ("home", "rules", "symptoms", "risk", "hotlines", "notices", "notice")


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help=_("kiosk configuration file (TOML); default: $KIOSK_CONFIG, "
                               "else built-in defaults"))


def _load(args: argparse.Namespace) -> KioskConfig:
    path = args.config
    if path is None and os.environ.get("KIOSK_CONFIG"):
        path = Path(os.environ["KIOSK_CONFIG"])
    return load_config(path)


def _has_display(environ: dict[str, str]) -> bool:
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _rerun_under_xvfb(config: KioskConfig, argv: Sequence[str]) -> int:
    """Start this same command again inside a virtual X screen of the kiosk's size."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        print(_("No display found and xvfb-run is not installed; install the xvfb package "
                "or run the kiosk on a desktop."), file=sys.stderr)
        return 2
    print(_("No display found: starting the kiosk on a virtual screen (Xvfb) of "
            "{width}x{height} pixels.").format(width=config.display.width_px,
                                              height=config.display.height_px), file=sys.stderr)
    screen = f"-screen 0 {config.display.width_px}x{config.display.height_px}x24"
    environ = dict(os.environ, KIOSK_UNDER_XVFB="1")
    command = [xvfb_run, "-a", "-s", screen, sys.executable, "-m", "kiosk.cli", *argv]
    return subprocess.run(command, env=environ, check=False).returncode  # noqa: S603


def _run(args: argparse.Namespace) -> int:
    config = _load(args)
    if sys.platform.startswith("linux") and not _has_display(dict(os.environ)) \
            and not os.environ.get("KIOSK_UNDER_XVFB"):
        return _rerun_under_xvfb(config, args.argv)
    from kiosk.ui.launch import run

    run(config, windowed=args.windowed)
    return 0


def _screenshot(args: argparse.Namespace) -> int:
    config = _load(args)
    if sys.platform.startswith("linux") and not _has_display(dict(os.environ)) \
            and not os.environ.get("KIOSK_UNDER_XVFB"):
        return _rerun_under_xvfb(config, args.argv)
    from kiosk.ui.launch import take_screenshot

    out = take_screenshot(config, args.screen, args.lang, args.out, notice_id=args.notice)
    print(_("Screenshot saved to {path}").format(path=out))
    return 0


def _check(args: argparse.Namespace) -> int:
    from kiosk.content import ContentError, load_bundle

    try:
        bundle = load_bundle(args.path)
    except ContentError as error:
        print(_("Invalid bundle: {error}").format(error=error), file=sys.stderr)
        return 1
    print(_("{path}: valid bundle, version {version}, {notices} notices, {rules} travel rules, "
            "{hotlines} hotlines").format(path=args.path, version=bundle.version,
                                          notices=len(bundle.notices),
                                          rules=len(bundle.travel_rules),
                                          hotlines=len(bundle.hotlines)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=_("Passenger information kiosk"))
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--log-level", default=os.environ.get("KIOSK_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help=_("how much to log to standard error"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help=_("start the kiosk"))
    _config_argument(run)
    run.add_argument("--windowed", action="store_true",
                     help=_("open a normal window instead of fullscreen (for development)"))
    run.set_defaults(handler=_run)

    shot = commands.add_parser("screenshot", help=_("render one screen to a PNG file"))
    _config_argument(shot)
    shot.add_argument("--screen", choices=SCREEN_NAMES, default="home", help=_("screen to render"))
    shot.add_argument("--lang", choices=KIOSK_LANGUAGES, default="zh_Hans",
                      help=_("language to render in"))
    shot.add_argument("--notice", default=None,
                      help=_("id of the notice for --screen notice (default: the first)"))
    shot.add_argument("--out", type=Path, required=True, help=_("PNG file to write"))
    shot.set_defaults(handler=_screenshot)

    check = commands.add_parser("check", help=_("validate a content bundle file"))
    check.add_argument("path", type=Path, help=_("bundle JSON file"))
    check.set_defaults(handler=_check)

    for register in _extra_commands():
        register(commands)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    from kiosk.publish.commands import register as register_publish

    return [register_publish]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        result: int = args.handler(args)
    except ConfigError as error:
        print(_("Invalid configuration: {error}").format(error=error), file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
