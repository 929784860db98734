"""Store validated heartbeats and screenshots.

One heartbeat costs one UPDATE of the kiosk row and one or two upserts
(``INSERT ... ON CONFLICT ... DO UPDATE``, which SQLite 3.24+ and PostgreSQL
spell the same way), all in one transaction. The first statement of the
transaction writes, so SQLite takes its write lock at once and waits for it
within its busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from kiosk.admin.fleet.models import HeartbeatDay, Kiosk, Screenshot, ScreenViewCount
from kiosk.admin.fleet.payload import HeartbeatReport
from kiosk.admin.fleet.png import PngInfo

logger = logging.getLogger(__name__)

#: Rows per upsert statement: 100 rows of 5 values stay below SQLite's
#: historical limit of 999 parameters per statement.
_ROWS_PER_STATEMENT = 100


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def record_heartbeat(kiosk: Kiosk, report: HeartbeatReport, received_at: datetime) -> bool:
    """Store ``report`` as the kiosk's latest heartbeat and add it to the day's totals.

    Returns False, and stores nothing, when the kiosk was deleted meanwhile.
    """
    day = timezone.localdate(received_at)
    has_errors = bool(report.errors or report.failing_sources)
    fields: dict[str, Any] = {
        "last_heartbeat_at": received_at,
        "last_app_version": report.app_version,
        "last_content_version": report.content_version,
        "last_clock_status": report.clock_status,
        "last_clock_offset_s": (report.sent_at - received_at).total_seconds(),
        "last_uptime_s": report.uptime_s,
        "last_sources": [
            {"name": source.name, "kind": source.kind,
             "last_success": _iso(source.last_success), "last_error": source.last_error,
             "consecutive_failures": source.consecutive_failures}
            for source in report.sources],
    }
    if report.errors:
        fields["last_errors"] = list(report.errors)
        fields["last_errors_at"] = received_at

    with transaction.atomic():
        if not Kiosk.objects.filter(pk=kiosk.pk).update(**fields):
            return False
        _upsert(HeartbeatDay, ["kiosk_id", "day"],
                ["heartbeats", "with_errors", "first_at", "last_at"],
                [(kiosk.pk, _date(day), 1, int(has_errors), _datetime(received_at),
                  _datetime(received_at))],
                add=["heartbeats", "with_errors"], replace=["last_at"])
        rows = [(kiosk.pk, _date(day), screen, language, count)
                for screen, languages in report.views.items()
                for language, count in languages.items()]
        if rows:
            _upsert(ScreenViewCount, ["kiosk_id", "day", "screen", "language"], ["views"], rows,
                    add=["views"], replace=[])
    return True


def record_screenshot(kiosk: Kiosk, png: bytes, info: PngInfo, received_at: datetime) -> bool:
    """Store ``png`` as the kiosk's latest screenshot and clear its screenshot request.

    Returns False, and stores nothing, when the kiosk was deleted meanwhile.
    """
    with transaction.atomic():
        if not Kiosk.objects.filter(pk=kiosk.pk).update(screenshot_requested=False,
                                                        screenshot_requested_at=None):
            return False
        Screenshot.objects.update_or_create(
            kiosk=kiosk, defaults={"png": png, "width": info.width, "height": info.height,
                                   "received_at": received_at})
    logger.info("kiosk %s: stored a %dx%d screenshot of %d bytes", kiosk.kiosk_id, info.width,
                info.height, len(png))
    return True


def _date(day: date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _datetime(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _upsert(model: type[Model], key_columns: Sequence[str], value_columns: Sequence[str],
            rows: Sequence[tuple[Any, ...]], *, add: Sequence[str],
            replace: Sequence[str]) -> None:
    """Insert ``rows``; where a row with the same key exists, add to or replace its columns.

    Column and table names come from the models, never from a request.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*key_columns, *value_columns]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = [f"{quote(name)} = {table}.{quote(name)} + EXCLUDED.{quote(name)}" for name in add]
    updates += [f"{quote(name)} = EXCLUDED.{quote(name)}" for name in replace]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            batch = rows[start:start + _ROWS_PER_STATEMENT]
            sql = (f"INSERT INTO {table} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608
                   f"VALUES {', '.join([placeholders] * len(batch))} "
                   f"ON CONFLICT ({', '.join(quote(name) for name in key_columns)}) "
                   f"DO UPDATE SET {', '.join(updates)}")
            cursor.execute(sql, [value for row in batch for value in row])
