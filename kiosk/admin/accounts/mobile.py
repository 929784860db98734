"""Mobile numbers as users type them and as the console stores them."""

from __future__ import annotations

import re
import unicodedata

#: Stored form: an optional ``+`` and country code, then 5 to 15 digits in all.
#: Chinese numbers are stored in their 11-digit national form.
MOBILE_PATTERN = re.compile(r"^\+?[0-9]{5,15}$")

_SEPARATORS = str.maketrans("", "", " -().\u00a0")
_CHINA_PREFIX = "+86"


def normalize_mobile(text: str) -> str | None:
    """Return the stored form of a mobile number, or None when ``text`` is not one.

    Full-width digits, spaces, hyphens, dots and brackets are accepted, a
    leading ``00`` counts as ``+``, and the Chinese country code is dropped, so
    ``+86 138-0013-8000`` and ``13800138000`` name the same number.
    """
    value = unicodedata.normalize("NFKC", text).strip().translate(_SEPARATORS)
    if value.startswith("00"):
        value = "+" + value[2:]
    if value.startswith(_CHINA_PREFIX):
        value = value[len(_CHINA_PREFIX):]
    return value if MOBILE_PATTERN.match(value) else None
