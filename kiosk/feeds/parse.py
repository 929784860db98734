"""Parse one feed document: decide what it is and hand it to the CAP or RSS/Atom reader."""

from __future__ import annotations

import logging

from kiosk.feeds.cap import CAP_1_0_NAMESPACE, CAP_NAMESPACES, parse_cap_alert
from kiosk.feeds.errors import FeedError
from kiosk.feeds.result import KIND_CAP, ParsedFeed
from kiosk.feeds.syndication import parse_syndication, syndication_kind
from kiosk.feeds.xmlsafe import DEFAULT_MAX_BYTES, check_size, parse_xml

logger = logging.getLogger(__name__)

#: Default upper limit on RSS or Atom items read from one feed; items past it are ignored.
DEFAULT_MAX_ITEMS = 500

#: Default upper limit on CAP documents taken from one CAP index.
DEFAULT_MAX_LINKED_ALERTS = 50


def _split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return "", tag


def parse_feed(data: bytes, *, feed_id: str, source_url: str, content_type: str | None = None,
               max_linked_alerts: int = DEFAULT_MAX_LINKED_ALERTS,
               max_bytes: int = DEFAULT_MAX_BYTES,
               max_items: int = DEFAULT_MAX_ITEMS) -> ParsedFeed:
    """Turn the bytes of a CAP alert, CAP index, RSS or Atom feed into notices.

    ``feed_id`` becomes the ``origin`` of every notice and ``source_url`` is
    the address the bytes came from: relative links resolve against it.
    ``content_type`` is the HTTP Content-Type header, used for its charset
    and to recognise HTML pages. A document larger than ``max_bytes`` is
    rejected. Only the first ``max_items`` items of an RSS or Atom feed are
    read, and only the first ``max_linked_alerts`` documents of a CAP index.

    Raises FeedError, and no other exception, for bytes that are malformed,
    hostile, of an unsupported format or not a feed. No file is read and no
    URL is fetched.
    """
    if max_bytes < 1 or max_items < 1 or max_linked_alerts < 0:
        raise ValueError(f"limits must be positive: max_bytes={max_bytes}, "
                         f"max_items={max_items}, max_linked_alerts={max_linked_alerts}")
    try:
        parsed = _parse(bytes(data), feed_id=feed_id, source_url=source_url,
                        content_type=content_type, max_linked_alerts=max_linked_alerts,
                        max_bytes=max_bytes, max_items=max_items)
    except FeedError as error:
        raise FeedError(f"feed {feed_id} ({source_url}): {error}") from error
    logger.debug("Feed %s (%s) parsed as %s with %d notices and %d linked alerts", feed_id,
                 source_url, parsed.kind, len(parsed.notices), len(parsed.linked_alerts))
    return parsed


def _parse(data: bytes, *, feed_id: str, source_url: str, content_type: str | None,
           max_linked_alerts: int, max_bytes: int, max_items: int) -> ParsedFeed:
    check_size(data, max_bytes)
    document = parse_xml(data, content_type)
    namespace, local = _split_tag(document.root.tag)

    if local == "alert":
        if namespace in CAP_NAMESPACES:
            return ParsedFeed(kind=KIND_CAP,
                              notices=parse_cap_alert(document.root, feed_id=feed_id))
        if namespace == CAP_1_0_NAMESPACE:
            raise FeedError("unsupported format: CAP 1.0; only CAP 1.1 and 1.2 are supported")
        raise FeedError(f"unsupported format: <alert> in namespace {namespace or '(none)'!r} "
                        "is not CAP 1.1 or 1.2")

    kind = syndication_kind(document.root)
    if kind is not None:
        return parse_syndication(document, kind=kind, feed_id=feed_id, source_url=source_url,
                                 max_items=max_items, max_linked_alerts=max_linked_alerts)
    if local.lower() == "html":
        raise FeedError("not a feed: the document is an XHTML page, not CAP, RSS or Atom")
    raise FeedError(f"unsupported format: root element <{local}> in namespace "
                    f"{namespace or '(none)'!r} is not a CAP alert, RSS or Atom feed")
