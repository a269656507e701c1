"""Checking a screenshot before it is stored: a PNG within the size limits.

Only the signature and the IHDR chunk are read (its CRC checked), never the pixels: a
request is refused on its header, before any decoding work.

>>> import struct, zlib
>>> ihdr = struct.pack(">IIBBBBB", 3, 2, 8, 6, 0, 0, 0)
>>> head = SIGNATURE + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(
...     ">I", zlib.crc32(b"IHDR" + ihdr))
>>> png_size(head)
(3, 2)
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from bongsu.errors import RuleError
from bongsu.support.model import MAX_SCREENSHOT_BYTES, MAX_SCREENSHOT_PIXELS, Screenshot

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FIELD = "screenshot"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; RuleError naming ``screenshot`` if not one."""
    if len(data) < 33 or not data.startswith(SIGNATURE):
        raise RuleError(_FIELD, "not a PNG image (data:image/png;base64,… expected)")
    length, kind = struct.unpack(">I4s", data[8:16])
    crc = struct.unpack(">I", data[29:33])[0]
    if kind != b"IHDR" or length != 13 or zlib.crc32(data[12:29]) != crc:
        raise RuleError(_FIELD, "a PNG whose header (IHDR) is damaged")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_SCREENSHOT_PIXELS and 0 < height <= MAX_SCREENSHOT_PIXELS):
        raise RuleError(_FIELD, f"{width}x{height} pixels; at most {MAX_SCREENSHOT_PIXELS} "
                        "on a side")
    return width, height


def max_base64_chars(limit: int = MAX_SCREENSHOT_BYTES) -> int:
    """The longest base64 text (with its ``data:image/png;base64,`` prefix) of ``limit``
    bytes."""
    return 4 * ((limit + 2) // 3) + 64


def decode_screenshot(text: str, limit: int = MAX_SCREENSHOT_BYTES) -> Screenshot:
    """A data URL or bare base64 text as a checked PNG; the length is checked first."""
    if len(text) > max_base64_chars(limit):
        raise RuleError(_FIELD, f"over {limit} bytes ({limit // 2**20} MiB)")
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if head != "data:image/png;base64":
            raise RuleError(_FIELD, f"a {head[5:]!r} data URL; image/png;base64 expected")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RuleError(_FIELD, "not base64 text") from None
    if len(data) > limit:
        raise RuleError(_FIELD, f"{len(data)} bytes, over {limit} ({limit // 2**20} MiB)")
    width, height = png_size(data)
    return Screenshot(data, width, height)


__all__ = ["SIGNATURE", "decode_screenshot", "max_base64_chars", "png_size"]
