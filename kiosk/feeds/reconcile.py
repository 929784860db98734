"""Apply CAP Update and Cancel messages to a set of alert notices.

The result depends only on the set of notices and ``now``, never on the
order in which the alerts arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from kiosk.content.model import AlertInfo, Notice

logger = logging.getLogger(__name__)

#: An alert is identified by its sender and identifier; CAP requires the
#: identifier to be unique per sender. The ``sent`` part of a reference is not
#: compared, because producers often write it with a different offset.
AlertKey = tuple[str, str]

_NOT_SHOWN_TYPES = frozenset({"Cancel", "Ack", "Error"})


def _key(alert: AlertInfo) -> AlertKey:
    return (alert.sender, alert.identifier)


#: An alert notice together with its CAP fields.
_Alert = tuple[Notice, AlertInfo]


def _copy_order(item: _Alert) -> tuple[float, str]:
    sent = item[1].sent
    return (sent.timestamp() if sent is not None else float("-inf"), repr(item[0]))


def _one_per_alert(notices: Iterable[Notice]) -> dict[AlertKey, _Alert]:
    """Keep one notice per alert; copies of an alert are resolved the same way in any order."""
    by_key: dict[AlertKey, _Alert] = {}
    for notice in notices:
        if notice.alert is None:
            continue
        item = (notice, notice.alert)
        key = _key(notice.alert)
        current = by_key.get(key)
        if current is None or _copy_order(item) > _copy_order(current):
            by_key[key] = item
    return by_key


def _cancelled_alerts(alerts: dict[AlertKey, _Alert]) -> set[AlertKey]:
    """Return the alerts a Cancel removes: those it references, and their later updates.

    An Update of a cancelled alert is cancelled too when it was sent no later
    than the Cancel. An Update sent after the Cancel starts the alert anew.
    """
    cancelled_at: dict[AlertKey, datetime | None] = {}
    for key, (_notice, alert) in alerts.items():
        if alert.msg_type != "Cancel":
            continue
        cancelled_at[key] = alert.sent
        for sender, identifier, _sent in alert.references:
            cancelled_at.setdefault((sender, identifier), alert.sent)

    changed = True
    while changed:
        changed = False
        for key, (_notice, alert) in alerts.items():
            if key in cancelled_at or alert.msg_type != "Update":
                continue
            for sender, identifier, _sent in alert.references:
                if (sender, identifier) not in cancelled_at:
                    continue
                cancel_time = cancelled_at[(sender, identifier)]
                sent = alert.sent
                if cancel_time is None or sent is None or sent <= cancel_time:
                    cancelled_at[key] = cancel_time
                    changed = True
                    break
    return set(cancelled_at)


def _display_order(notice: Notice) -> tuple[int, float, str, str]:
    published = notice.published_at.timestamp() if notice.published_at else float("-inf")
    return (-int(notice.severity), -published, notice.id, repr(notice))


def reconcile_alerts(notices: Iterable[Notice], now: datetime | None) -> tuple[Notice, ...]:
    """Return the notices to show once CAP Updates and Cancels are applied.

    An Update hides every alert it references, a Cancel hides the alerts it
    references (and updates of them sent no later than the Cancel) and is
    itself never shown. Alerts whose expiry is at or before ``now`` are
    dropped (with ``now`` None, expiry is left to the caller), and so are
    alerts with no text at all, such as an Update without an ``<info>`` block.
    Notices that did not come from CAP pass through unchanged. The result is
    sorted by severity, then newest first, so any arrival order gives the
    same tuple.

    Raises ValueError when ``now`` has no time zone.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    notices = list(notices)
    others = [notice for notice in notices if notice.alert is None]
    alerts = _one_per_alert(notices)

    superseded: set[AlertKey] = set()
    for key, (_notice, alert) in alerts.items():
        if alert.msg_type in {"Update", "Cancel"}:
            superseded.update((sender, identifier)
                              for sender, identifier, _sent in alert.references
                              if (sender, identifier) != key)
    cancelled = _cancelled_alerts(alerts)

    shown: list[Notice] = []
    for key, (notice, alert) in alerts.items():
        if alert.msg_type in _NOT_SHOWN_TYPES or key in superseded:
            continue
        if key in cancelled:
            logger.info("CAP alert %r from %r was cancelled", key[1], key[0])
            continue
        until = notice.validity.valid_until
        if until is not None and now is not None and now >= until:
            logger.debug("CAP alert %r from %r expired at %s", key[1], key[0], until.isoformat())
            continue
        if not any(notice.title.values()) and not any(notice.body.values()):
            continue
        shown.append(notice)
    return tuple(sorted([*others, *shown], key=_display_order))
