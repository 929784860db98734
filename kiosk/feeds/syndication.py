"""Turn RSS and Atom feeds into notices, or into a list of CAP documents to fetch.

feedparser reads a feed only after ``kiosk.feeds.xmlsafe`` has decoded it and
checked it with defusedxml, so the bytes it gets declare no entities and no
external DTD. It gets them as a stream, never as a URL or file name.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
import xml.etree.ElementTree as ElementTree
import xml.sax
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from kiosk.content.model import Notice, Severity
from kiosk.feeds.cap import CAP_1_0_NAMESPACE, CAP_NAMESPACES
from kiosk.feeds.errors import FeedError
from kiosk.feeds.language import DEFAULT_FEED_LANGUAGE, kiosk_language
from kiosk.feeds.result import KIND_ATOM, KIND_CAP_INDEX, KIND_RSS, ParsedFeed
from kiosk.feeds.text import clean_line, clean_text, html_to_text, plain_text
from kiosk.feeds.xmlsafe import XmlDocument

logger = logging.getLogger(__name__)

ATOM_NAMESPACES = frozenset({"http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"})
RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

#: Media type of a CAP document (RFC 7303 style, as registered by OASIS).
CAP_MEDIA_TYPE = "application/cap+xml"

#: Maximum length, in characters, of a title made from the body when an item has none.
_TITLE_FROM_BODY_CHARACTERS = 120

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_CAP_INDEX_TITLE = re.compile(r"\bCAP\b.*\b(?i:index|alerts?)\b|(?i:common alerting protocol)")
_CAP_DOCUMENT_SUFFIXES = (".cap", ".xml")


def syndication_kind(root: ElementTree.Element) -> str | None:
    """Return ``rss`` or ``atom`` for the root element of a feed, or None for anything else."""
    if root.tag == "rss" or root.tag == f"{{{RDF_NAMESPACE}}}RDF":
        return KIND_RSS
    if root.tag.startswith("{") and root.tag.endswith("}feed"):
        namespace = root.tag[1:].split("}", 1)[0]
        if namespace in ATOM_NAMESPACES:
            return KIND_ATOM
    return None


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() in {"http", "https"} and parts.netloc:
        return value
    return None


def _detail_text(detail: Mapping[str, Any] | None, *, multiline: bool) -> str:
    """Return the plain text of a feedparser text construct (title, summary or content)."""
    if not detail:
        return ""
    value = detail.get("value") or ""
    if not isinstance(value, str):
        return ""
    if str(detail.get("type", "")).lower() in _HTML_TYPES:
        value = html_to_text(value)
    else:
        # feedparser labels text with tags it considers unsafe, such as
        # <script>, as plain text; passengers must not see those tags either.
        value = plain_text(value)
    return clean_text(value) if multiline else clean_line(value)


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """Return the publication (or else update) time of an entry in UTC, or None."""
    for key in ("published_parsed", "updated_parsed"):
        # dict.get skips feedparser's deprecated mapping of one key to the other.
        parsed = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (ValueError, OverflowError):
                logger.debug("Ignoring out-of-range %s %r", key, parsed)
    return None


def _shorten(text: str, limit: int) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def _declares_cap(root: ElementTree.Element) -> bool:
    """Return True when any element of the document is in a CAP namespace."""
    cap_prefixes = tuple(f"{{{namespace}}}" for namespace in (*CAP_NAMESPACES, CAP_1_0_NAMESPACE))
    return any(element.tag.startswith(cap_prefixes) for element in root.iter()
               if isinstance(element.tag, str))


def _cap_link(entry: Mapping[str, Any], *, main_link_allowed: bool) -> str | None:
    """Return the link of an index entry that points to its CAP document, if any."""
    links = [link for link in entry.get("links", []) if isinstance(link, Mapping)]
    for link in links:
        if str(link.get("type", "")).lower() == CAP_MEDIA_TYPE:
            return link.get("href")
    for link in links:
        href = link.get("href")
        if isinstance(href, str) and urlsplit(href).path.lower().endswith(_CAP_DOCUMENT_SUFFIXES):
            return href
    if main_link_allowed:
        main = entry.get("link")
        return main if isinstance(main, str) else None
    return None


def _cap_index_links(root: ElementTree.Element, parsed: Mapping[str, Any],
                     entries: list[Mapping[str, Any]]) -> list[str | None] | None:
    """Return the CAP link of each entry when the feed is a CAP index, otherwise None.

    A feed is a CAP index when it uses a CAP namespace, or when its title or
    subtitle names it a CAP index or CAP alerts. Then an entry's main link is
    taken to be its CAP document. A feed is also a CAP index when an entry
    links to a document of type application/cap+xml, or when every entry links
    to a ``.cap`` file, and then only such links and links to ``.xml`` files count.
    """
    feed = parsed.get("feed", {})
    heading = " ".join(str(feed.get(key, "")) for key in ("title", "subtitle"))
    indexed_by_feed = _declares_cap(root) or _CAP_INDEX_TITLE.search(heading) is not None
    links = [_cap_link(entry, main_link_allowed=indexed_by_feed) for entry in entries]
    if indexed_by_feed:
        return links
    typed = any(str(link.get("type", "")).lower() == CAP_MEDIA_TYPE
                for entry in entries for link in entry.get("links", [])
                if isinstance(link, Mapping))
    all_cap_files = bool(entries) and all(
        isinstance(link, str) and urlsplit(link).path.lower().endswith(".cap") for link in links)
    return links if typed or all_cap_files else None


def _bounded_links(links: Iterable[str | None], *, feed_id: str, limit: int) -> tuple[str, ...]:
    """Keep http(s) links, without duplicates, at most ``limit`` of them."""
    accepted: list[str] = []
    for link in links:
        if link is None:
            continue
        url = _http_url(link)
        if url is None:
            logger.warning("Feed %s lists a CAP document at %r, which is not an http(s) URL; "
                           "skipped", feed_id, link[:200])
            continue
        if url in accepted:
            continue
        if len(accepted) >= limit:
            logger.warning("Feed %s lists more than %d CAP documents; only the first %d are used",
                           feed_id, limit, limit)
            break
        accepted.append(url)
    return tuple(accepted)


def _entry_notice(entry: Mapping[str, Any], *, feed_id: str, feed_language: str | None,
                  feed_title: str) -> Notice | None:
    title_detail = entry.get("title_detail")
    summary_detail = entry.get("summary_detail")
    contents = entry.get("content") or []
    title = _detail_text(title_detail, multiline=False)
    body = _detail_text(summary_detail, multiline=True)
    if not body and contents:
        body = _detail_text(contents[0], multiline=True)
    if not title and not body:
        logger.debug("Feed %s: skipping an item with neither title nor text", feed_id)
        return None
    if not title:
        title = _shorten(body, _TITLE_FROM_BODY_CHARACTERS)

    tag = next((detail.get("language") for detail in (title_detail, summary_detail)
                if detail and detail.get("language")), None) or feed_language
    language = kiosk_language(tag) if tag else DEFAULT_FEED_LANGUAGE
    if language is None:
        logger.warning("Feed %s: language %r is not a language tag; taking it as %s",
                       feed_id, tag, DEFAULT_FEED_LANGUAGE)
        language = DEFAULT_FEED_LANGUAGE

    link = _http_url(entry.get("link"))
    key = entry.get("id") or link or f"{title}\n{body}"
    digest = hashlib.sha256(f"{feed_id}\n{key}".encode()).hexdigest()
    issuer = clean_line(entry.get("author") if isinstance(entry.get("author"), str) else "")
    return Notice(
        id=f"{feed_id}-{digest[:24]}",
        title={language: title},
        body={language: body} if body else {},
        severity=Severity.INFO,
        issuer={language: issuer or feed_title} if issuer or feed_title else {},
        source_url=link,
        published_at=_entry_time(entry),
        origin=feed_id,
    )


def _ordered(notices: list[Notice]) -> tuple[Notice, ...]:
    """Put dated notices first, newest first, then undated ones in document order."""
    dated = [notice for notice in notices if notice.published_at is not None]
    undated = [notice for notice in notices if notice.published_at is None]
    dated.sort(key=lambda notice: notice.published_at or datetime.min, reverse=True)
    return (*dated, *undated)


def parse_syndication(document: XmlDocument, *, kind: str, feed_id: str, source_url: str,
                      max_items: int, max_linked_alerts: int) -> ParsedFeed:
    """Return the notices of an RSS or Atom feed, or the CAP documents a CAP index lists."""
    try:
        parsed = feedparser.parse(
            io.BytesIO(document.utf8),
            response_headers={"content-type": "application/xml; charset=utf-8",
                              "content-location": source_url},
            resolve_relative_uris=True,
            # html_to_text keeps only the visible text and drops the content of
            # script, style and iframe elements; feedparser's sanitizer keeps
            # the text inside iframe elements.
            sanitize_html=False,
        )
    except Exception as error:
        # feedparser is the boundary to third-party code: whatever it raises on
        # odd input becomes the one error type callers handle.
        raise FeedError(f"feedparser failed on the {kind} feed: {error!r}") from error
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        raise FeedError(f"feedparser could not read the {kind} feed: "
                        f"{parsed['bozo_exception']}") from parsed["bozo_exception"]

    entries: list[Mapping[str, Any]] = list(parsed.get("entries", []))
    if len(entries) > max_items:
        logger.warning("Feed %s has %d items; only the first %d are read",
                       feed_id, len(entries), max_items)
        entries = entries[:max_items]

    cap_links = _cap_index_links(document.root, parsed, entries)
    if cap_links is not None:
        linked = _bounded_links(cap_links, feed_id=feed_id, limit=max_linked_alerts)
        logger.info("Feed %s is a CAP index listing %d CAP documents", feed_id, len(linked))
        return ParsedFeed(kind=KIND_CAP_INDEX, notices=(), linked_alerts=linked)

    feed = parsed.get("feed", {})
    feed_language = feed.get("language") if isinstance(feed.get("language"), str) else None
    feed_title = _detail_text(feed.get("title_detail"), multiline=False)
    notices: list[Notice] = []
    seen: set[str] = set()
    for entry in entries:
        notice = _entry_notice(entry, feed_id=feed_id, feed_language=feed_language,
                               feed_title=feed_title)
        if notice is None or notice.id in seen:
            continue
        seen.add(notice.id)
        notices.append(notice)
    logger.info("Feed %s (%s) gave %d notices", feed_id, kind, len(notices))
    return ParsedFeed(kind=kind, notices=_ordered(notices))
