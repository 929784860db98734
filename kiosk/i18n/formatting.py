"""CLDR date and time formatting in the kiosk's languages (Babel, always with a locale)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from babel.dates import format_date, format_skeleton


def format_clock(moment: datetime, language: str, zone: tzinfo) -> str:
    """Format the header clock: hours and minutes on a 24-hour clock, e.g. 08:05."""
    return format_skeleton("Hm", moment, tzinfo=zone, locale=language)


def format_long_date(moment: datetime, language: str, zone: tzinfo) -> str:
    """Format the header date with the weekday, e.g. 2026年12月4日星期五."""
    return format_date(moment.astimezone(zone).date(), format="full", locale=language)


def format_timestamp(moment: datetime, language: str, zone: tzinfo) -> str:
    """Format a publish or expiry time to the minute, e.g. 2026年12月4日 20:05."""
    local = moment.astimezone(zone)
    day = format_skeleton("yMMMd", local, tzinfo=zone, locale=language)
    return f"{day} {format_clock(local, language, zone)}"
