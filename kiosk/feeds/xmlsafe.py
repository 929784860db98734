"""Check, decode and parse untrusted feed bytes as XML without any file or network access.

The pipeline is: size limit, format sniffing (JSON, binary and HTML pages
are rejected before XML parsing), character decoding that trusts UTF-8
validity over a wrong label, and a defusedxml parse that rejects entity
declarations, external entities and external DTDs. The result is the element
tree plus the document re-encoded as UTF-8, which is what feedparser reads.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from kiosk.feeds.errors import FeedError

logger = logging.getLogger(__name__)

#: Default upper limit on the size of one feed document, in bytes (5 MiB).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

#: Upper limit on elements in one document. Published CAP, RSS and Atom
#: documents have one element per 35 to 170 bytes, so 5 MiB of them has at
#: most about 150,000 elements. More means a document built to exhaust memory.
MAX_ELEMENTS = 200_000

# Byte order marks, longest first so UTF-32 LE is not taken for UTF-16 LE.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The first bytes of "<?" in UTF-16 and UTF-32 without a byte order mark.
_UNMARKED_WIDE_ENCODINGS: tuple[tuple[bytes, str], ...] = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)

_XML_DECLARATION = re.compile(r"^<\?xml\s[^>]*?\?>")
_DECLARED_ENCODING = re.compile(r"""encoding\s*=\s*(["'])\s*([A-Za-z0-9._:-]+)\s*\1""")
_CHARSET_PARAMETER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title)[\s>/]", re.IGNORECASE)

# Encodings whose byte form is plain ASCII, so ASCII bytes may still need them.
_SEVEN_BIT_ENCODINGS = frozenset({"iso2022_jp", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004",
                                  "iso2022_jp_3", "iso2022_jp_ext", "iso2022_kr", "hz", "utf-7"})


@dataclass(frozen=True)
class XmlDocument:
    """A feed document that passed every check."""

    root: ElementTree.Element
    #: The document as UTF-8 bytes whose XML declaration, if any, declares UTF-8.
    utf8: bytes


def check_size(data: bytes, max_bytes: int) -> None:
    """Raise FeedError for an empty document or one larger than ``max_bytes``."""
    if len(data) > max_bytes:
        raise FeedError(f"document is {len(data)} bytes, more than the limit of {max_bytes} bytes")
    if not data.strip():
        raise FeedError("document is empty")


def media_type(content_type: str | None) -> str:
    """Return the lower-case media type of a Content-Type header, without parameters."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type or ";" not in content_type:
        return None
    match = _CHARSET_PARAMETER.search(content_type.split(";", 1)[1])
    return match.group(1) if match else None


def _codec_name(label: str, origin: str) -> str | None:
    """Return the Python codec for an encoding label, or None when Python has none."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        logger.warning("Ignoring unknown character encoding %r declared in the %s", label, origin)
        return None
    # GB 18030 is a superset of GB 2312 and GBK, and feeds labelled with the
    # older names often use characters only the newer ones define.
    if name in {"gb2312", "gbk"}:
        return "gb18030"
    # As in web browsers: the ISO 8859-1 and ASCII labels mean Windows-1252.
    if name in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    return name


@functools.cache
def _is_single_byte(codec: str) -> bool:
    """Return True for a codec that maps each byte to one character, such as Windows-1252.

    Such a codec decodes nearly any bytes without error, so its success proves little.
    """
    high_bytes = bytes(range(0x80, 0x100))
    return len(high_bytes.decode(codec, errors="replace")) == len(high_bytes)


def _wide_encoding(data: bytes) -> tuple[str, int] | None:
    """Return the UTF-16 or UTF-32 codec and BOM length for ``data``, if it uses one."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    for prefix, name in _UNMARKED_WIDE_ENCODINGS:
        if data.startswith(prefix):
            return name, 0
    return None


def _first_markup(text: str) -> str:
    """Return ``text`` from its first tag, skipping the XML declaration, comments and spaces."""
    position = 0
    while True:
        match = _PROLOG_ITEM.match(text, position)
        if match is None or match.end() == position:
            return text[position:]
        position = match.end()


def sniff_format(data: bytes, content_type: str | None) -> None:
    """Raise FeedError unless ``data`` starts like an XML document other than an HTML page."""
    wide = _wide_encoding(data)
    if wide is not None:
        name, bom_length = wide
        head = data[bom_length:bom_length + 4096].decode(name, errors="replace")
    else:
        head = data[:4096].decode("latin-1")
    head = head.lstrip("\ufeff \t\r\n")
    kind = media_type(content_type)
    if head.startswith(("{", "[")):
        raise FeedError("unsupported format: the document is JSON (such as GTFS-realtime), "
                        "but only CAP, RSS and Atom XML are supported")
    if not head.startswith("<"):
        if b"\x00" in data[:4096] or kind in {"application/octet-stream", "application/x-protobuf"}:
            raise FeedError("unsupported format: the document is binary data, "
                            "but only CAP, RSS and Atom XML are supported")
        raise FeedError("unsupported format: the document does not start with an XML tag; "
                        "only CAP, RSS and Atom XML are supported")
    if _HTML_START.match(_first_markup(head)):
        raise FeedError("not a feed: the server returned an HTML page (a login, captive portal "
                        "or error page?) instead of CAP, RSS or Atom XML")


def decode_document(data: bytes, content_type: str | None) -> str:
    """Decode feed bytes to text, refusing to guess where a guess could give mojibake.

    A byte order mark decides first. Otherwise bytes that are valid UTF-8 are
    decoded as UTF-8 whatever encoding the labels name, because text in a legacy
    encoding such as GBK is almost never valid UTF-8 by chance. Bytes that are
    not UTF-8 are decoded with an encoding the Content-Type header or the XML
    declaration names. When none decodes them, FeedError names the first bad
    byte rather than guess between GBK, Big5 and the rest.
    """
    wide = _wide_encoding(data)
    if wide is not None:
        name, bom_length = wide
        try:
            return data[bom_length:].decode(name)
        except UnicodeDecodeError as error:
            raise FeedError(f"document is not valid {name}: byte {error.start + bom_length} "
                            f"cannot be decoded ({error.reason})") from error

    declared: list[tuple[str, str]] = []
    header_label = _charset_from_content_type(content_type)
    if header_label:
        codec = _codec_name(header_label, "Content-Type header")
        if codec:
            declared.append((codec, f"{header_label!r} in the Content-Type header"))
    declaration = _XML_DECLARATION.match(data[:1024].decode("latin-1"))
    if declaration:
        label_match = _DECLARED_ENCODING.search(declaration.group(0))
        if label_match:
            codec = _codec_name(label_match.group(2), "XML declaration")
            if codec:
                declared.append((codec, f"{label_match.group(2)!r} in the XML declaration"))

    if data.isascii():
        seven_bit = [codec for codec, _ in declared if codec in _SEVEN_BIT_ENCODINGS]
        if seven_bit:
            try:
                return data.decode(seven_bit[0])
            except UnicodeDecodeError as error:
                raise FeedError(f"document is not valid {seven_bit[0]}: byte {error.start} "
                                f"cannot be decoded ({error.reason})") from error
        return data.decode("ascii")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        failure = utf8_error
    else:
        mislabels = [origin for codec, origin in declared if codec != "utf-8"]
        if mislabels:
            logger.warning("Document declares encoding %s, but its bytes are valid UTF-8; "
                           "decoding it as UTF-8", " and ".join(mislabels))
        return text

    legacy_failure: UnicodeDecodeError | None = None
    # A single-byte encoding decodes any bytes at all, so a multi-byte label,
    # which can fail on bytes that are not in it, is tried first.
    legacy = sorted(((codec, origin) for codec, origin in declared if codec != "utf-8"),
                    key=lambda item: _is_single_byte(item[0]))
    for codec, origin in legacy:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as error:
            if codec == "cp1252":
                # The ISO 8859-1 and ASCII labels were read as Windows-1252,
                # which leaves five bytes undefined that ISO 8859-1 has.
                return data.decode("iso8859-1")
            logger.warning("Document is not valid in the encoding named by %s: byte %d "
                           "cannot be decoded", origin, error.start)
            legacy_failure = legacy_failure or error
            continue
        if codec == "gb18030":
            _check_plausible_chinese(text, origin)
        if legacy_failure is not None:
            logger.warning("Document decoded with the encoding named by %s", origin)
        return text
    failure = legacy_failure or failure
    bad_byte = data[failure.start:failure.start + 1].hex()
    if not declared:
        raise FeedError(
            f"document declares no encoding, so it must be UTF-8, but byte {failure.start} "
            f"(0x{bad_byte}) is not valid UTF-8: the feed needs a correct encoding declaration"
        ) from failure
    labels = " and ".join(origin for _, origin in declared)
    raise FeedError(
        f"document declares {labels}, but byte {failure.start} (0x{bad_byte}) is not valid "
        f"{failure.encoding}: the feed's encoding label does not match its bytes"
    ) from failure


def _check_plausible_chinese(text: str, origin: str) -> None:
    """Raise FeedError when GB 18030 decoding gave text that real Chinese never contains.

    Big5 (Traditional Chinese) bytes labelled GB2312 or GBK usually decode
    without error, but many common Big5 characters land in the private use
    area or in the kana, Greek and Cyrillic rows of GB 2312.
    """
    private_use = sum(1 for character in text if "\ue000" <= character <= "\uf8ff")
    non_ascii = [character for character in text if not character.isascii()]
    foreign_rows = sum(1 for character in non_ascii
                       if "\u3040" <= character <= "\u30ff" or "\u0370" <= character <= "\u04ff"
                       or "\u2500" <= character <= "\u257f")
    if private_use or (non_ascii and foreign_rows * 4 > len(non_ascii)):
        raise FeedError(
            f"document declares {origin}, but decoding it that way gives private use or "
            "kana, Greek and Cyrillic characters that Chinese text does not contain: the feed is "
            "probably in another encoding, such as Big5, and mislabelled"
        )


def _as_utf8_document(text: str) -> bytes:
    """Return ``text`` as UTF-8 bytes with the XML declaration's encoding set to UTF-8."""
    text = text.lstrip("\ufeff")
    declaration = _XML_DECLARATION.match(text)
    if declaration:
        rewritten = _DECLARED_ENCODING.sub('encoding="utf-8"', declaration.group(0))
        text = rewritten + text[declaration.end():]
    return text.encode("utf-8")


class _DocumentTreeBuilder(ElementTree.TreeBuilder):
    """TreeBuilder that stops a document with more than MAX_ELEMENTS elements."""

    def __init__(self) -> None:
        super().__init__()
        self.element_count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ElementTree.Element:
        self.element_count += 1
        if self.element_count > MAX_ELEMENTS:
            raise FeedError(f"document has more than {MAX_ELEMENTS} elements")
        return super().start(tag, attrs)


class _FeedXMLParser(DefusedXMLParser):  # type: ignore[misc]
    """defusedxml parser that allows a DOCTYPE only without an external identifier.

    Entity declarations (entity expansion attacks) and external entity
    references are rejected by defusedxml itself. A DOCTYPE such as
    ``<!DOCTYPE rss>`` is harmless, but one with a SYSTEM or PUBLIC
    identifier points the parser at an external DTD, so it is rejected.
    """

    def __init__(self, target: ElementTree.TreeBuilder) -> None:
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True,
                         forbid_external=True)

    def defused_start_doctype_decl(self, name: str, sysid: str | None, pubid: str | None,
                                   has_internal_subset: bool) -> None:
        if sysid or pubid:
            raise DTDForbidden(name, sysid, pubid)


def parse_xml(data: bytes, content_type: str | None = None) -> XmlDocument:
    """Check, decode and parse feed bytes; raise FeedError for anything unusable.

    No file is opened and no URL is fetched, whatever the document references.
    """
    sniff_format(data, content_type)
    text = decode_document(data, content_type)
    utf8 = _as_utf8_document(text)
    builder = _DocumentTreeBuilder()
    parser = _FeedXMLParser(builder)
    try:
        parser.feed(utf8)
        root = parser.close()
    except EntitiesForbidden as error:
        raise FeedError(f"document declares the entity {error.name!r}; entity declarations are "
                        "rejected because they can expand to huge or external content") from error
    except ExternalReferenceForbidden as error:
        raise FeedError(f"document references the external entity {error.sysid!r}; "
                        "external entities are rejected") from error
    except DTDForbidden as error:
        reference = error.sysid or error.pubid
        raise FeedError(f"document references the external DTD {reference!r}; "
                        "external DTDs are rejected") from error
    except ElementTree.ParseError as error:
        line, column = error.position
        reason = str(error).split(":", 1)[0]
        hint = " (the document is truncated)" if reason in {"no element found",
                                                            "unclosed token"} else ""
        if media_type(content_type) == "text/html":
            hint += "; the server labelled it as an HTML page, so it is probably not a feed"
        raise FeedError(
            f"document is not well-formed XML: {reason} at line {line}, column {column + 1}{hint}"
        ) from error
    return XmlDocument(root=root, utf8=utf8)
