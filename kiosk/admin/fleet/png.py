"""Check that uploaded bytes are one complete, size-capped PNG image without decoding it.

The console never decodes screenshots itself; browsers do. The checks keep
what a browser is handed to a well-formed PNG of bounded pixel size: the
signature, an IHDR chunk first, a valid CRC on every chunk, and IEND last.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from kiosk.sync.heartbeat import PNG_SIGNATURE

#: Largest width or height accepted, in pixels: a portrait 4K screen.
MAX_DIMENSION_PX = 4096

_CHUNK_HEADER = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")
#: The PNG specification's limit for a chunk length.
_MAX_CHUNK_LENGTH = 2**31 - 1


class PngError(ValueError):
    """The bytes are not an acceptable PNG image; the message says why."""


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int


def check_png(data: bytes, max_bytes: int, max_dimension: int = MAX_DIMENSION_PX) -> PngInfo:
    """Return the image size of ``data`` or raise PngError naming the first problem."""
    if len(data) > max_bytes:
        raise PngError(f"the image has {len(data)} bytes; the limit is {max_bytes} bytes")
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("the data does not start with the PNG signature")

    offset = len(PNG_SIGNATURE)
    info: PngInfo | None = None
    has_image_data = False
    while True:
        if offset + _CHUNK_HEADER.size > len(data):
            raise PngError(f"truncated chunk header at byte {offset}")
        length, chunk_type = _CHUNK_HEADER.unpack_from(data, offset)
        if length > _MAX_CHUNK_LENGTH:
            raise PngError(f"chunk length {length} at byte {offset} exceeds the PNG limit")
        start = offset + _CHUNK_HEADER.size
        end = start + length
        if end + 4 > len(data):
            raise PngError(f"chunk {chunk_type!r} at byte {offset} is truncated")
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[offset + 4:end]) != crc:
            raise PngError(f"chunk {chunk_type!r} at byte {offset} has a wrong CRC")

        if info is None:
            info = _header(chunk_type, data[start:end], max_dimension)
        elif chunk_type == b"IHDR":
            raise PngError("the image has a second IHDR chunk")
        has_image_data = has_image_data or chunk_type == b"IDAT"
        offset = end + 4
        if chunk_type == b"IEND":
            break

    if not has_image_data:
        raise PngError("the image has no IDAT chunk")
    if offset != len(data):
        raise PngError(f"{len(data) - offset} bytes follow the IEND chunk")
    return info


def _header(chunk_type: bytes, body: bytes, max_dimension: int) -> PngInfo:
    if chunk_type != b"IHDR":
        raise PngError(f"the first chunk is {chunk_type!r}; expected IHDR")
    if len(body) != _IHDR.size:
        raise PngError(f"the IHDR chunk has {len(body)} bytes; expected {_IHDR.size}")
    width, height, _depth, _colour, _compression, _filter, _interlace = _IHDR.unpack(body)
    if not (1 <= width <= max_dimension and 1 <= height <= max_dimension):
        raise PngError(f"the image is {width}x{height} pixels; each side must be 1 to "
                       f"{max_dimension}")
    return PngInfo(width=width, height=height)
