"""The ``kiosk`` command and its subcommands."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from kiosk import __version__
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.content.model import Notice
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
    # Without -e, xvfb-run sends Xvfb's own error messages to /dev/null.
    command = [xvfb_run, "-a", "-e", "/dev/stderr", "-s", screen, sys.executable, "-m", "kiosk.cli", *argv]
    from kiosk.xvfb import run_under_xvfb

    return run_under_xvfb(command, environ)


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

    try:
        at = datetime.fromisoformat(args.at) if args.at else None
    except ValueError:
        at = None
        args.at_invalid = True
    if getattr(args, "at_invalid", False) or (at is not None and at.tzinfo is None):
        print(_("--at needs a time with an offset, such as 2026-12-04T08:00:00+08:00"),
              file=sys.stderr)
        return 2
    out = take_screenshot(config, args.screen, args.lang, args.out, notice_id=args.notice, at=at)
    print(_("Screenshot saved to {path}").format(path=out))
    return 0


def _check(args: argparse.Namespace) -> int:
    from kiosk.content import ContentError, load_bundle

    try:
        bundle = load_bundle(args.path)
    except ContentError as error:
        print(_("Invalid bundle: {error}").format(error=error), file=sys.stderr)
        return 1
    print(_("{path}: valid bundle, version {version}. Notices: {notices}, travel rules: {rules}, "
            "hotlines: {hotlines}").format(path=args.path, version=bundle.version,
                                          notices=len(bundle.notices),
                                          rules=len(bundle.travel_rules),
                                          hotlines=len(bundle.hotlines)))
    return 0


def _read_feed_source(source: str, language_now: datetime) -> tuple[str, list[Notice]]:
    """Fetch or read one feed and return its kind and notices; raise on failure."""
    from kiosk.feeds import parse_feed

    if source.startswith(("http://", "https://")):
        import tempfile

        from kiosk.config import FeedConfig, SyncConfig
        from kiosk.sync.cache import FeedCache
        from kiosk.sync.feeds import FeedSyncer
        from kiosk.sync.http import USER_AGENT, HttpClient

        host = (urlsplit(source).hostname or "").lower()
        config = SyncConfig(allowed_hosts=(host,))
        feed = FeedConfig(id="cli", url=source)
        with tempfile.TemporaryDirectory() as cache_dir, HttpClient(config, USER_AGENT) as client:
            result = FeedSyncer(feed, config, client, FeedCache(Path(cache_dir))).sync(language_now)
        if not result.ok:
            raise ValueError(result.error or source)
        return "feed", list(result.notices)
    path = Path(source)
    data = path.read_bytes()
    parsed = parse_feed(data, feed_id=path.stem, source_url=path.resolve().as_uri())
    return parsed.kind, list(parsed.notices)


def _feed_show(args: argparse.Namespace) -> int:
    from kiosk.feeds import FeedError, format_notices, reconcile_alerts

    now = datetime.now(UTC)
    if args.at:
        try:
            now = datetime.fromisoformat(args.at)
        except ValueError:
            print(_("--at needs a time with an offset, such as 2026-12-04T08:00:00+08:00"),
                  file=sys.stderr)
            return 2
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    failed = False
    collected: list[Notice] = []
    for source in args.sources:
        print(f"== {source}")
        try:
            kind, notices = _read_feed_source(source, now)
        except (OSError, ValueError, FeedError) as error:
            print(_("Rejected: {error}").format(error=error))
            failed = True
            continue
        print(_("Format: {kind}. Notices: {count}").format(kind=kind, count=len(notices)))
        collected.extend(notices)
    print(_("== Notices a kiosk shows at {time}").format(time=now.isoformat(timespec="seconds")))
    print(format_notices(reconcile_alerts(collected, now), args.lang))
    return 1 if failed else 0


def _sync(args: argparse.Namespace) -> int:
    if args.repo or args.root or args.data:
        if not (args.repo and args.root and args.data):
            print(_("--repo, --root and --data must be given together"), file=sys.stderr)
            return 2
        from kiosk.sync.content import describe_sync_result, sync_content_once

        result = sync_content_once(args.repo, args.root, args.data)
        print(describe_sync_result(result))
        return 0 if result.ok else 1

    config = _load(args)
    if not (config.sync.feeds or config.sync.repository_url):
        print(_("Nothing to sync: the configuration lists no feed and no content repository."),
              file=sys.stderr)
        return 2
    from kiosk.sync.worker import create_sync_worker

    bundles: list[int] = []
    worker = create_sync_worker(config, lambda _notices, _status: None,
                                lambda bundle: bundles.append(bundle.version))
    try:
        status = worker.sync_once()
    finally:
        worker.stop()
    for source in status.sources:
        outcome = _("failed: {error}").format(error=source.last_error) if source.last_error \
            else _("ok")
        print(_("{name} ({kind}) {url}: {outcome}. Items: {count}").format(
            name=source.name, kind=source.kind, url=source.url, outcome=outcome,
            count=source.item_count))
    if bundles:
        print(_("Content version in force: {version}").format(version=bundles[-1]))
    return 1 if status.failing else 0


def _pin_hash(args: argparse.Namespace) -> int:
    import getpass

    from kiosk.ui.maintenance import hash_pin

    pin = getpass.getpass(_("Maintenance PIN (4 to 12 digits): ")) if sys.stdin.isatty() \
        else sys.stdin.readline().strip()
    try:
        print(hash_pin(pin))
    except ValueError:
        print(_("A maintenance PIN has 4 to 12 digits."), file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=_("Passenger information kiosk"))
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--log-level", default=os.environ.get("KIOSK_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help=_("minimum level of log messages written to standard error"))
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
                      help=_("id of the notice for --screen notice (default: the first notice in force)"))
    shot.add_argument("--out", type=Path, required=True, help=_("PNG file to write"))
    shot.add_argument("--at", default=None, metavar="ISO_TIME",
                      help=_("set the kiosk clock to this time, such as 2026-12-04T08:00:00+08:00 "
                             "(default: now)"))
    shot.set_defaults(handler=_screenshot)

    check = commands.add_parser("check", help=_("validate a content bundle file"))
    check.add_argument("path", type=Path, help=_("bundle JSON file"))
    check.set_defaults(handler=_check)

    feed = commands.add_parser("feed", help=_("read official feeds as the kiosk does"))
    feed_commands = feed.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    show = feed_commands.add_parser(
        "show", help=_("print the notices of feed URLs or files, normalised as the kiosk shows them"))
    show.add_argument("sources", nargs="+", metavar="URL_OR_FILE",
                      help=_("CAP, RSS or Atom feed: an http(s) URL or a file"))
    show.add_argument("--lang", choices=KIOSK_LANGUAGES, default="zh_Hans",
                      help=_("language to show the notices in"))
    show.add_argument("--at", default=None, metavar="ISO_TIME",
                      help=_("show the notices in force at this time (default: now), "
                             "such as 2026-12-04T08:00:00+08:00"))
    show.set_defaults(handler=_feed_show)

    sync = commands.add_parser("sync", help=_("sync feeds and signed content once and report"))
    _config_argument(sync)
    sync.add_argument("--once", action="store_true", required=True,
                      help=_("run one sync cycle and exit"))
    sync.add_argument("--repo", default=None, help=_("signed content repository URL"))
    sync.add_argument("--root", type=Path, default=None,
                      help=_("trusted root.json installed with the kiosk"))
    sync.add_argument("--data", type=Path, default=None,
                      help=_("kiosk data folder holding the verified content"))
    sync.set_defaults(handler=_sync)

    pin = commands.add_parser(
        "pin-hash", help=_("read a maintenance PIN and print the hash for maintenance_pin_hash"))
    pin.set_defaults(handler=_pin_hash)

    for register in _extra_commands():
        register(commands)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    from kiosk.admin.commands import register as register_admin
    from kiosk.publish.commands import register as register_publish

    return [register_publish, register_admin]


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
