"""Turn feed text and HTML fragments into clean plain text.

Text stays text here: nothing is escaped for Kivy markup, which the UI does.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

#: Elements whose content is not text for a reader, such as scripts and styles.
_HIDDEN_ELEMENTS = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
    "head", "title", "select", "textarea", "button",
})

#: Elements that start a new line in rendered HTML.
_BLOCK_ELEMENTS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
})

#: Void elements have no end tag, so they never open a hidden or nested section.
_VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})

_TAG_PATTERN = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_SPACE_RUNS = re.compile(r"[^\S\n]+")
_BLANK_LINE_RUNS = re.compile(r"\n{3,}")
_ANY_WHITESPACE = re.compile(r"\s+")


def strip_control_characters(text: str) -> str:
    """Remove control characters except newline and tab, after unifying line breaks to ``\\n``."""
    text = _LINE_BREAKS.sub("\n", text)
    return "".join(
        character for character in text
        if character in "\n\t" or unicodedata.category(character) not in {"Cc", "Cs"}
    )


def clean_text(text: str | None) -> str:
    """Return multi-line plain text without control characters or trailing spaces.

    Lines keep their inner spacing, trailing spaces go, and more than one blank
    line in a row becomes one.
    """
    if not text:
        return ""
    text = strip_control_characters(text)
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINE_RUNS.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str | None) -> str:
    """Return ``text`` as one line: control characters removed and whitespace runs collapsed."""
    if not text:
        return ""
    return _ANY_WHITESPACE.sub(" ", strip_control_characters(text)).strip()


def looks_like_html(text: str) -> bool:
    """Return True when ``text`` contains something shaped like an HTML start or end tag."""
    return _TAG_PATTERN.search(text) is not None


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment with line breaks at block boundaries."""

    def __init__(self) -> None:
        # convert_charrefs decodes character references in the text, and the
        # decoded text is not decoded again.
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden_depth = 0

    def _end_line(self, blank_lines: int = 0) -> None:
        """End the current line, leaving at least ``blank_lines`` empty lines after it."""
        needed = blank_lines + 1
        text = "".join(self._parts[-4:])
        present = len(text) - len(text.rstrip("\n"))
        if present < needed:
            self._parts.append("\n" * (needed - present))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS and tag not in _VOID_ELEMENTS:
            self._hidden_depth += 1
        elif self._hidden_depth:
            return
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "li":
            self._end_line()
            self._parts.append("• ")
        elif tag == "p":
            self._end_line(blank_lines=1)
        elif tag in _BLOCK_ELEMENTS:
            self._end_line()
        elif tag in {"td", "th"}:
            self._parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed element such as <script/> never opens a hidden section.
        if self._hidden_depth:
            return
        if tag == "br":
            self._parts.append("\n")
        elif tag in _BLOCK_ELEMENTS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS and tag not in _VOID_ELEMENTS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif self._hidden_depth:
            return
        elif tag == "p":
            self._end_line(blank_lines=1)
        elif tag in _BLOCK_ELEMENTS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            # HTML collapses source whitespace; line breaks come only from tags.
            self._parts.append(_ANY_WHITESPACE.sub(" ", data))

    def text(self) -> str:
        return "".join(self._parts)


def html_to_text(fragment: str | None) -> str:
    """Return the visible text of an HTML fragment as clean plain text.

    Tags and comments are dropped, the content of script, style and similar
    elements is dropped, character references are decoded once, and block
    elements and ``<br>`` become line breaks.
    """
    if not fragment:
        return ""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    text = strip_control_characters(extractor.text())
    lines = [_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINE_RUNS.sub("\n\n", "\n".join(lines)).strip()


def plain_text(text: str | None) -> str:
    """Return feed text as plain text, treating it as HTML only when it contains tags."""
    if text and looks_like_html(text):
        return html_to_text(text)
    return clean_text(text)
