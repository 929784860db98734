"""Map the language tags that feeds use (BCP 47, often sloppy) to kiosk language keys."""

from __future__ import annotations

import re

#: Language of a CAP ``<info>`` block without ``<language>``, as the CAP standard specifies.
CAP_DEFAULT_LANGUAGE_TAG = "en-US"

#: Kiosk key for feed text whose language is not declared.
DEFAULT_FEED_LANGUAGE = "en"

_PRIMARY_SUBTAG = re.compile(r"^[a-z]{2,3}$")
_CHINESE_BY_SCRIPT = {"hans": "zh_Hans", "hant": "zh_Hant"}
_CHINESE_BY_REGION = {
    "cn": "zh_Hans", "sg": "zh_Hans", "my": "zh_Hans",
    "tw": "zh_Hant", "hk": "zh_Hant", "mo": "zh_Hant",
}


def kiosk_language(tag: str | None) -> str | None:
    """Return the kiosk key for a feed language tag, or None when ``tag`` is not one.

    Chinese is split by script: ``zh-CN``, ``zh-SG`` and ``zh-Hans`` give
    ``zh_Hans``, ``zh-TW``, ``zh-HK``, ``zh-MO`` and ``zh-Hant`` give
    ``zh_Hant``, and a bare ``zh`` gives ``zh_Hans``. Every other language
    keeps only its primary subtag (``en-GB`` gives ``en``, ``fr-CA`` gives
    ``fr``), so the kiosk fallback chain handles languages it does not speak.
    Case, ``_`` separators and surrounding spaces are tolerated.
    """
    if tag is None:
        return None
    subtags = tag.strip().replace("_", "-").lower().split("-")
    primary = subtags[0]
    if not _PRIMARY_SUBTAG.match(primary):
        return None
    if primary != "zh":
        return primary
    for subtag in subtags[1:]:
        if subtag in _CHINESE_BY_SCRIPT:
            return _CHINESE_BY_SCRIPT[subtag]
    for subtag in subtags[1:]:
        if subtag in _CHINESE_BY_REGION:
            return _CHINESE_BY_REGION[subtag]
    return "zh_Hans"
