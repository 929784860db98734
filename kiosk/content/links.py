"""Rules for the links a kiosk may turn into QR codes for passengers to carry away."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Maximum length of an encoded link; longer links make codes too dense to scan at 50 cm.
MAX_QR_LINK_LENGTH = 512

_TEL = re.compile(r"^tel:\+?[0-9][0-9-]{1,30}$")


def qr_link(link: str | None) -> str | None:
    """Return ``link`` if it may become a QR code, else None.

    Only http(s) URLs with a host and ``tel:`` numbers qualify: a code is an
    invitation to open something on a passenger's phone, so no other scheme
    (javascript:, file:, sms:, intent:) is ever encoded.
    """
    if not link or len(link) > MAX_QR_LINK_LENGTH or any(c.isspace() for c in link):
        return None
    if _TEL.match(link):
        return link
    parts = urlsplit(link)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return link
    return None


def qr_matrix(link: str, border: int = 4) -> list[list[bool]]:
    """Return the modules of the QR code for ``link``, True for dark, quiet zone included.

    The link is encoded as UTF-8 with error correction M or better: segno would
    otherwise pick Shift_JIS for text that fits it, which phones that assume
    UTF-8 misread. ``border`` is the quiet zone in modules; the specification
    requires 4.
    """
    import segno

    code = segno.make(link, error="m", micro=False, encoding="utf-8")
    return [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=border)]


def tel_link(number: str) -> str:
    """Return the ``tel:`` link for a hotline number such as ``12320`` or ``+86 10 1234``."""
    return "tel:" + re.sub(r"[\s]", "", number)
