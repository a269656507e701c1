"""A peer certificate's expiry read from its DER bytes, without a crypto library.

``ssl`` gives the parsed certificate only when it was verified; a check that does not
verify TLS (a self-signed endpoint) still wants the days left, so the ``notAfter`` of the
X.509 ``validity`` is read from the DER structure directly (RFC 5280 4.1: Certificate ->
tbsCertificate -> [0] version?, serialNumber, signature, issuer, validity).

Example::

    der = ssl_sock.getpeercert(binary_form=True)
    days = days_left(der, now_s=time.time())
"""

from __future__ import annotations

import datetime as dt


class CertificateError(ValueError):
    """The bytes are not a certificate this reader understands."""


def not_after(der: bytes) -> dt.datetime:
    """The certificate's ``notAfter`` (UTC)."""
    cert, _ = _tlv(der, 0, 0x30)
    tbs, _ = _tlv(der, cert, 0x30)
    pos = tbs
    if der[pos] == 0xA0:  # explicit [0] version
        pos = _skip(der, pos)
    for _ in range(3):  # serialNumber, signature, issuer
        pos = _skip(der, pos)
    validity, _ = _tlv(der, pos, 0x30)
    after = _skip(der, validity)  # notBefore
    tag = der[after]
    start, end = _tlv(der, after, tag)
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise CertificateError(f"notAfter has tag {tag:#x}")
    return dt.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=dt.UTC)


def days_left(der: bytes, now_s: float) -> float:
    """Days from ``now_s`` until the certificate expires (negative once it has)."""
    return (not_after(der).timestamp() - now_s) / 86_400


def _tlv(der: bytes, pos: int, tag: int) -> tuple[int, int]:
    """(content start, content end) of the element at ``pos``, which must have ``tag``."""
    if pos >= len(der) or der[pos] != tag:
        raise CertificateError(f"expected tag {tag:#x} at {pos}")
    length, start = der[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[start:start + count], "big")
        start += count
    if start + length > len(der):
        raise CertificateError("truncated")
    return start, start + length


def _skip(der: bytes, pos: int) -> int:
    """The position after the element at ``pos``."""
    return _tlv(der, pos, der[pos])[1]
