"""Format notices as plain text for a terminal, to check what a feed gives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from kiosk.content.model import Notice
from kiosk.i18n.languages import resolve_text


def _moment(value: datetime | None) -> str:
    if value is None:
        return "open"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _indented(text: str, prefix: str = "    ") -> list[str]:
    return [f"{prefix}{line}" if line else "" for line in text.split("\n")]


def _format_notice(notice: Notice, language: str) -> list[str]:
    title = resolve_text(notice.title, language)
    title_note = f"  [{title.language}]" if title.is_fallback and title.text else ""
    lines = [f"[{notice.severity.name}] {title.text or '(no title)'}{title_note}"]

    issuer = resolve_text(notice.issuer, language).text
    lines.append(f"  issuer:    {issuer or '(none)'}")
    severity = notice.severity.name
    if notice.alert is not None:
        alert = notice.alert
        severity += (f" (CAP {alert.msg_type}: severity {alert.severity}, "
                     f"urgency {alert.urgency}, certainty {alert.certainty})")
    lines.append(f"  severity:  {severity}")

    lines.append(f"  valid:     {_moment(notice.validity.valid_from)} to "
                 f"{_moment(notice.validity.valid_until)}")
    if notice.published_at is not None:
        lines.append(f"  published: {_moment(notice.published_at)}")
    present = sorted({key for text in (notice.title, notice.body) for key, value in text.items()
                      if value})
    lines.append(f"  languages: {', '.join(present) or '(none)'}")
    lines.append(f"  link:      {notice.source_url or '(none)'}")

    if notice.alert is not None:
        event = resolve_text(notice.alert.event, language).text
        area = resolve_text(notice.alert.area, language).text
        if event:
            lines.append(f"  event:     {event}")
        if area:
            lines.append(f"  area:      {area}")
        if notice.alert.references:
            lines.append(f"  replaces:  {len(notice.alert.references)} earlier alert(s)")

    body = resolve_text(notice.body, language).text
    if body:
        lines.extend(_indented(body))
    instruction = resolve_text(notice.instruction, language).text
    if instruction:
        lines.append("  instruction:")
        lines.extend(_indented(instruction))
    return lines


def format_notices(notices: Iterable[Notice], language: str) -> str:
    """Return notices as plain text in ``language``, one block per notice.

    Each block shows the title (with the language really used when it had to
    fall back), issuer, severity, validity, the languages present, the link,
    and the body and instruction. Text is printed as it is, unescaped.
    """
    blocks = ["\n".join(_format_notice(notice, language)) for notice in notices]
    return "\n\n".join(blocks) if blocks else "(no notices)"
