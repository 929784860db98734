"""Official feeds: CAP 1.1/1.2 alerts and RSS/Atom items turned into notices.

Everything here is pure: bytes come in, notices or a FeedError come out, and
nothing touches the network, the disk or the clock.
"""

from kiosk.feeds.errors import FeedError
from kiosk.feeds.parse import parse_feed
from kiosk.feeds.reconcile import reconcile_alerts
from kiosk.feeds.render import format_notices
from kiosk.feeds.result import KIND_ATOM, KIND_CAP, KIND_CAP_INDEX, KIND_RSS, ParsedFeed

__all__ = ["KIND_ATOM", "KIND_CAP", "KIND_CAP_INDEX", "KIND_RSS", "FeedError", "ParsedFeed",
           "format_notices", "parse_feed", "reconcile_alerts"]
