"""Reading an OTLP request body within its limits, before any decoding.

The wire size is checked against ``Content-Length`` first and again while streaming; a
gzip body is inflated in bounded steps so a small bomb cannot allocate more than the
decompressed limit.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from bongsu.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

_CHUNK = 256 * 1024


async def read_body(
    chunks: AsyncIterator[bytes],
    content_length: str | None,
    content_encoding: str | None,
    max_wire: int,
    max_body: int,
) -> bytes:
    """The decompressed body, or a typed error naming the limit it broke."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(
            f"Content-Encoding {content_encoding!r} is not supported; use gzip or none"
        )
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise BadRequest(f"Content-Length {content_length!r} is not a number") from None
        if declared > max_wire:
            raise PayloadTooLarge(
                f"request body of {declared} bytes is over the limit of {max_wire} bytes"
            )
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_wire:
            raise PayloadTooLarge(f"request body is over the limit of {max_wire} bytes")
        parts.append(chunk)
    wire = b"".join(parts)
    if encoding == "gzip":
        return gunzip(wire, max_body)
    if len(wire) > max_body:
        raise PayloadTooLarge(f"request body is over the limit of {max_body} bytes")
    return wire


def gunzip(data: bytes, max_body: int) -> bytes:
    """Inflate a gzip body, stopping as soon as the output passes ``max_body``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    size = 0
    try:
        pending = data
        while not inflater.eof:
            piece = inflater.decompress(pending, _CHUNK)
            size += len(piece)
            if size > max_body:
                raise PayloadTooLarge(f"gzip body inflates past the limit of {max_body} bytes")
            out.append(piece)
            if not piece and not inflater.unconsumed_tail:
                break  # input used up without reaching the end of the stream
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            raise BadRequest("gzip body is truncated")
    except zlib.error as exc:
        raise BadRequest(f"gzip body is malformed: {exc}") from None
    return b"".join(out)
