"""QR codes decode to exactly the link they were made from, and only safe links become codes.

Codes are decoded with zxing-cpp, a real decoder independent of segno, the
encoder the kiosk uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.content.links import MAX_QR_LINK_LENGTH, qr_link, qr_matrix, tel_link
from kiosk.content.loader import load_bundle

#: Light modules around the code; kiosk/ui/widgets/qr.py draws the same quiet zone.
QUIET_ZONE_MODULES = 4

#: Module sizes in screen pixels: the kiosk never draws a module under 3 pixels.
MODULE_SIZES = (3, 4, 8, 12)

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

LONG_LINK = "https://example.gov.cn/notices/"
LONG_LINK += "a" * (MAX_QR_LINK_LENGTH - len(LONG_LINK))

LINKS = [
    pytest.param("https://example.gov.cn/notices/2026/winter-fever-travel", id="https"),
    pytest.param("http://example.org/a?b=1&c=%20d#top", id="http-query-fragment"),
    pytest.param("https://example.gov.cn/健康码", id="https-non-ascii-path"),
    pytest.param(tel_link("12320"), id="tel-short"),
    pytest.param(tel_link("+86 10 1234 5678"), id="tel-international"),
    pytest.param(tel_link("400-820-8820"), id="tel-dashes"),
    pytest.param(LONG_LINK, id="https-max-length"),
]


def render(link: str, module_px: int) -> Image.Image:
    """Draw ``link`` as the kiosk's QrCode widget does: dark modules black, light ones white."""
    rows = qr_matrix(link, border=QUIET_ZONE_MODULES)
    side = len(rows)
    image = Image.new("L", (side, side))
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return list(zxingcpp.read_barcodes(image, formats=qr_only))


def test_long_link_is_at_the_limit() -> None:
    assert len(LONG_LINK) == MAX_QR_LINK_LENGTH
    assert qr_link(LONG_LINK) == LONG_LINK


@pytest.mark.parametrize("module_px", MODULE_SIZES)
@pytest.mark.parametrize("link", LINKS)
def test_code_decodes_to_link(link: str, module_px: int) -> None:
    assert qr_link(link) == link
    results = decode(render(link, module_px))

    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].text == link


@pytest.mark.parametrize("link", LINKS)
def test_code_has_at_least_medium_error_correction(link: str) -> None:
    # segno raises the level above M when the code's size allows it at no cost.
    results = decode(render(link, 4))

    assert len(results) == 1
    assert results[0].ec_level in {"M", "Q", "H"}


@pytest.mark.parametrize("link", [
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("JAVASCRIPT:alert(1)", id="javascript-upper"),
    pytest.param("file:///etc/passwd", id="file"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
    pytest.param("sms:+8612345678", id="sms"),
    pytest.param("mailto:help@example.org", id="mailto"),
    pytest.param("intent://scan#Intent;scheme=zxing;end", id="intent"),
    pytest.param("ftp://example.org/file", id="ftp"),
    pytest.param("https://example.org/a b", id="space"),
    pytest.param("https://example.org/a\tb", id="tab"),
    pytest.param("https://example.org/\n", id="newline"),
    pytest.param("https://example.org/a\u00a0b", id="no-break-space"),
    pytest.param("https://example.org/a\u3000b", id="ideographic-space"),
    pytest.param(LONG_LINK + "a", id="over-long"),
    pytest.param("http:///path", id="http-no-host"),
    pytest.param("https://", id="https-no-host"),
    pytest.param("http:example.org", id="http-opaque"),
    pytest.param("//example.org/path", id="no-scheme"),
    pytest.param("tel:", id="tel-empty"),
    pytest.param("tel:12a45", id="tel-letters"),
    pytest.param("tel:+86 10 1234", id="tel-space"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
])
def test_qr_link_rejects(link: str | None) -> None:
    assert qr_link(link) is None


def test_tel_link_removes_whitespace() -> None:
    assert tel_link("+86 10\t1234") == "tel:+86101234"
    assert qr_link(tel_link("+86 10 1234")) == "tel:+86101234"


def _screenshot_links(bundle_path: Path, name: str) -> set[str]:
    bundle = load_bundle(bundle_path)
    if name.startswith("notice-"):
        return {notice.source_url for notice in bundle.notices if notice.source_url}
    if name.startswith("selfcheck-"):
        assert bundle.self_check is not None
        return {bundle.self_check.guidance_url} if bundle.self_check.guidance_url else set()
    return {tel_link(hotline.number) for hotline in bundle.hotlines}


@pytest.mark.parametrize("name", ["notice-en.png", "selfcheck-red-en.png", "hotlines-en.png"])
def test_screenshot_code_decodes_to_bundle_link(name: str, default_bundle_path: Path) -> None:
    path = SCREENSHOTS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the UI tests have not saved this screen into docs")
    expected = _screenshot_links(default_bundle_path, name)

    with Image.open(path) as image:
        results = decode(image.convert("RGB"))

    assert results, f"no QR code found in {path}"
    decoded = {result.text for result in results}
    assert decoded <= expected
