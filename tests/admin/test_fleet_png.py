"""Tests for kiosk.admin.fleet.png: screenshot uploads checked chunk by chunk."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from kiosk.admin.fleet.png import PngError, check_png

LIMIT = 512 * 1024


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def real_png(width: int = 54, height: int = 96) -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(stream, format="PNG")
    return stream.getvalue()


def test_real_png_is_accepted_with_its_size() -> None:
    info = check_png(real_png(), LIMIT)

    assert (info.width, info.height) == (54, 96)


def test_oversized_data_is_rejected() -> None:
    with pytest.raises(PngError, match="limit"):
        check_png(real_png() + b"\x00" * LIMIT, LIMIT)


@pytest.mark.parametrize("data", [b"", b"GIF89a", b"\x89PNG\r\n", b"<svg/>"])
def test_missing_signature_is_rejected(data: bytes) -> None:
    with pytest.raises(PngError, match="signature"):
        check_png(data, LIMIT)


def test_truncated_image_is_rejected() -> None:
    data = real_png()

    with pytest.raises(PngError, match="truncated"):
        check_png(data[:-20], LIMIT)


def test_wrong_crc_is_rejected() -> None:
    data = bytearray(real_png())
    data[20] ^= 0xFF

    with pytest.raises(PngError, match="CRC"):
        check_png(bytes(data), LIMIT)


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(PngError, match="follow the IEND"):
        check_png(real_png() + b"junk", LIMIT)


def test_huge_dimensions_are_rejected() -> None:
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")

    with pytest.raises(PngError, match="pixels"):
        check_png(data, LIMIT)


def test_first_chunk_must_be_header() -> None:
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IEND", b"")

    with pytest.raises(PngError, match="expected IHDR"):
        check_png(data, LIMIT)


def test_image_without_data_is_rejected() -> None:
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))

    with pytest.raises(PngError, match="IDAT"):
        check_png(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IEND", b""), LIMIT)


def test_chunk_length_beyond_data_is_rejected() -> None:
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    lying = struct.pack(">I", 2**31 - 1) + b"IDAT" + b"\x00" * 16

    with pytest.raises(PngError, match="truncated"):
        check_png(b"\x89PNG\r\n\x1a\n" + header + lying, LIMIT)
