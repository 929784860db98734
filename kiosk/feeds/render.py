"""Format notices as plain text for a terminal, to check what a feed gives.

Field labels are gettext messages in the operator's language, while the
notice text is shown in the language asked for. Kiosk severity names and CAP
codes (msgType, severity, urgency, certainty) stay as the feed and the bundle
spell them, so an operator can match them against the source.
"""

from __future__ import annotations

import gettext
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from kiosk.content.model import Notice
from kiosk.i18n.catalogs import language_from_environment, translations
from kiosk.i18n.languages import resolve_text

#: Indent of field lines under a notice's title line.
_FIELD_INDENT = "  "
#: Indent of body and instruction text.
_TEXT_INDENT = "    "


def _display_width(text: str) -> int:
    """Return the number of terminal columns ``text`` takes.

    Wide and full-width characters (CJK, full-width punctuation) take two
    columns, and combining marks and format characters take none.
    Ambiguous-width characters, such as Cyrillic letters, count as one column,
    as most terminals draw them outside East Asian locales.
    """
    width = 0
    for char in text:
        if unicodedata.category(char) in {"Mn", "Me", "Cf"}:
            continue
        width += 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1
    return width


def _aligned(fields: list[tuple[str, str]]) -> list[str]:
    """Return ``label value`` lines with every value starting in the same column.

    Each label already ends with its language's separator (":" or the
    full-width colon U+FF1A), and padding is computed from display width so
    that labels in Chinese, Japanese or Korean line up too.
    """
    if not fields:
        return []
    column = max(_display_width(label) for label, _value in fields) + 1
    return [f"{_FIELD_INDENT}{label}{' ' * (column - _display_width(label))}{value}"
            for label, value in fields]


def _indented(text: str) -> list[str]:
    return [f"{_TEXT_INDENT}{line}" if line else "" for line in text.split("\n")]


def _format_notice(notice: Notice, language: str, catalog: gettext.NullTranslations) -> list[str]:
    # Babel's extractor does not look inside f-strings on Python 3.11, so every
    # message is translated into a variable before it goes into one.
    _ = catalog.gettext
    ngettext = catalog.ngettext
    none = _("(none)")

    def moment(value: datetime | None) -> str:
        if value is None:
            return _("open")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    title = resolve_text(notice.title, language)
    title_note = f"  [{title.language}]" if title.is_fallback and title.text else ""
    title_text = title.text or _("(no title)")
    lines = [f"[{notice.severity.name}] {title_text}{title_note}"]

    fields: list[tuple[str, str]] = []
    issuer = resolve_text(notice.issuer, language).text
    fields.append((_("issuer:"), issuer or none))
    severity = notice.severity.name
    if notice.alert is not None:
        alert = notice.alert
        details = _("CAP {msg_type}: severity {severity}, urgency {urgency}, "
                    "certainty {certainty}").format(
            msg_type=alert.msg_type, severity=alert.severity, urgency=alert.urgency,
            certainty=alert.certainty)
        severity = _("{level} ({details})").format(level=severity, details=details)
    fields.append((_("severity:"), severity))

    fields.append((_("valid:"), _("{start} to {end}").format(
        start=moment(notice.validity.valid_from), end=moment(notice.validity.valid_until))))
    if notice.published_at is not None:
        fields.append((_("published:"), moment(notice.published_at)))
    present = sorted({key for text in (notice.title, notice.body) for key, value in text.items()
                      if value})
    fields.append((_("languages:"), ", ".join(present) or none))
    fields.append((_("link:"), notice.source_url or none))

    if notice.alert is not None:
        event = resolve_text(notice.alert.event, language).text
        area = resolve_text(notice.alert.area, language).text
        if event:
            fields.append((_("event:"), event))
        if area:
            fields.append((_("area:"), area))
        references = len(notice.alert.references)
        if references:
            fields.append((_("replaces:"), ngettext(
                "{count} earlier alert", "{count} earlier alerts", references).format(
                count=references)))
    lines.extend(_aligned(fields))

    body = resolve_text(notice.body, language).text
    if body:
        lines.extend(_indented(body))
    instruction = resolve_text(notice.instruction, language).text
    if instruction:
        # The instruction is a paragraph, so its label is on a line of its own.
        instruction_label = _("instruction:")
        lines.append(f"{_FIELD_INDENT}{instruction_label}")
        lines.extend(_indented(instruction))
    return lines


def format_notices(notices: Iterable[Notice], language: str,
                   catalog: gettext.NullTranslations | None = None) -> str:
    """Return notices as plain text in ``language``, one block per notice.

    Each block shows the title (with the language really used when it had to
    fall back), issuer, severity, validity, the languages present, the link,
    and the body and instruction. Text is printed as it is, unescaped.
    Labels come from ``catalog``. Without one, the function loads the
    operator's catalog, picked from the environment as for every other
    command-line message. That reads the environment and a compiled catalog
    file, which is the only I/O in this package.
    """
    if catalog is None:
        catalog = translations(language_from_environment())
    _ = catalog.gettext
    blocks = ["\n".join(_format_notice(notice, language, catalog)) for notice in notices]
    return "\n\n".join(blocks) if blocks else _("(no notices)")
