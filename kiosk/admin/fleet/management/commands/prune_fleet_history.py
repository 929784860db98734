"""Delete heartbeat and screen view history older than the retention period."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kiosk.admin.fleet.models import HeartbeatDay, ScreenViewCount

logger = logging.getLogger(__name__)

#: Days of history kept unless ``KIOSK_FLEET_HISTORY_DAYS`` or ``--days`` sets another number.
DEFAULT_HISTORY_DAYS = 400


class Command(BaseCommand):
    help = ("Delete per-day heartbeat totals and screen view counts older than --days days "
            "(default: the KIOSK_FLEET_HISTORY_DAYS setting, or 400).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help="days of history to keep, counting today (at least 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is None:
            days = int(getattr(settings, "KIOSK_FLEET_HISTORY_DAYS", DEFAULT_HISTORY_DAYS))
        if days < 1:
            raise CommandError(f"--days is {days}; expected at least 1")
        first_kept = timezone.localdate() - timedelta(days=days - 1)
        heartbeats, _ = HeartbeatDay.objects.filter(day__lt=first_kept).delete()
        views, _ = ScreenViewCount.objects.filter(day__lt=first_kept).delete()
        logger.info("pruned fleet history before %s: %d heartbeat days, %d view counts",
                    first_kept, heartbeats, views)
        self.stdout.write(f"Deleted {heartbeats} heartbeat days and {views} view counts "
                          f"before {first_kept}.")
