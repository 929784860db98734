"""Print the notices of feed files: ``python -m kiosk.feeds FILE... [--language zh_Hant]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from kiosk.content.model import Notice
from kiosk.feeds import FeedError, format_notices, parse_feed, reconcile_alerts
from kiosk.i18n.languages import DEFAULT_LANGUAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Parse each file as a feed and print its notices; return 1 when any file is rejected."""
    arguments = argparse.ArgumentParser(
        prog="python -m kiosk.feeds",
        description="Parse CAP, RSS or Atom files and print the notices a kiosk would get.",
    )
    arguments.add_argument("files", nargs="+", type=Path, help="feed documents to read")
    arguments.add_argument("--language", default=DEFAULT_LANGUAGE,
                           help="kiosk language to show text in (default: %(default)s)")
    arguments.add_argument("--content-type", default=None,
                           help="HTTP Content-Type to assume, for its charset")
    arguments.add_argument("--reconcile-at", metavar="ISO_TIME", default=None,
                           help="apply CAP updates and cancels across all files and drop alerts "
                                "expired at this time, such as 2024-05-01T08:00:00+00:00")
    options = arguments.parse_args(argv)

    failed = False
    collected: list[Notice] = []
    for path in options.files:
        print(f"== {path}")
        try:
            parsed = parse_feed(path.read_bytes(), feed_id=path.stem, source_url=path.as_uri()
                                if path.is_absolute() else f"file:{path}",
                                content_type=options.content_type)
        except (OSError, FeedError) as error:
            print(f"rejected: {error}")
            failed = True
            continue
        print(f"kind: {parsed.kind}")
        for url in parsed.linked_alerts:
            print(f"linked alert: {url}")
        if options.reconcile_at is None:
            print(format_notices(parsed.notices, options.language))
        collected.extend(parsed.notices)

    if options.reconcile_at is not None:
        now = datetime.fromisoformat(options.reconcile_at)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        print(f"== notices shown at {now.isoformat()}")
        print(format_notices(reconcile_alerts(collected, now), options.language))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
