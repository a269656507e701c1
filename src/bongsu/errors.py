"""Bongsu's exception hierarchy. Every error the server raises on purpose is one of these.

    BongsuError
    ├── SettingError                 a setting has a value it cannot use
    ├── IngestError                  an OTLP request is refused (carries its HTTP status)
    │   ├── BadRequest               400: malformed body, bad ids, absurd timestamps
    │   ├── Unauthorized             401: missing or unknown key, token or session
    │   ├── IngestForbidden          403: the key's organisation may not write (trial ended)
    │   ├── PayloadTooLarge          413: body over the limit (wire or decompressed)
    │   ├── UnsupportedMediaType     415: not protobuf or JSON
    │   ├── TooManyRequests          429: the group-fsync queue is full (Retry-After)
    │   └── Overloaded               503: the loading backlog is over its bound (Retry-After)
    ├── QueryError                   an API query is refused (carries its HTTP status)
    │   ├── InvalidQuery             400: a parameter is malformed (names the parameter)
    │   ├── Forbidden                403: the caller's role or credential may not do this
    │   ├── NotFound                 404: the trace or service does not exist
    │   ├── Conflict                 409: the name, user id or e-mail is taken
    │   ├── Gone                     410: the invitation was accepted, revoked or expired
    │   ├── RateLimited              429: too many attempts (sign-in, codes); Retry-After
    │   ├── QueryTimeout             504: the query ran past ``query_timeout_seconds``
    │   └── TooManyRows              400: the result is over ``query_max_rows``
    ├── StoreError                   the store cannot do what was asked
    │   ├── StoreUnavailable         503: the store's server cannot be reached (Retry-After)
    │   └── CorruptIngestLog         an ingest log record fails its checksum
    ├── ScrapeError                  an exporter endpoint or metrics.k8s.io cannot be read
    └── RuleError                    an alert rule is invalid (names the field: ``rules[3].for``)
"""

from __future__ import annotations


class BongsuError(Exception):
    """Base of every deliberate Bongsu error."""


class SettingError(BongsuError):
    """A setting has a value Bongsu cannot use."""


class IngestError(BongsuError):
    """An OTLP request is refused; ``status`` is the HTTP status to answer with."""

    status = 400
    retry_after: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class IngestForbidden(IngestError):
    status = 403


class PayloadTooLarge(IngestError):
    status = 413


class UnsupportedMediaType(IngestError):
    status = 415


class TooManyRequests(IngestError):
    status = 429
    retry_after = 1


class Overloaded(IngestError):
    status = 503
    retry_after = 5


class QueryError(BongsuError):
    """An API query is refused; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidQuery(QueryError):
    status = 400


class NotFound(QueryError):
    status = 404


class Forbidden(QueryError):
    status = 403


class Conflict(QueryError):
    status = 409


class Gone(QueryError):
    status = 410


class RateLimited(QueryError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryTimeout(QueryError):
    status = 504


class TooManyRows(QueryError):
    status = 400


class StoreError(BongsuError):
    """The store cannot do what was asked."""


class StoreUnavailable(StoreError):
    """The store's server (ClickHouse) cannot be reached; the API answers 503."""

    retry_after = 5


class CorruptIngestLog(StoreError):
    """An ingest log record fails its checksum or is cut short."""


class ScrapeError(BongsuError):
    """A metrics source (a Prometheus text endpoint, metrics.k8s.io) cannot be read or parsed."""


class RuleError(BongsuError):
    """An alert rule (or a rules file) is invalid; ``field`` is the path of what is wrong,
    e.g. ``spec.op`` or ``rules[3].for``, and ``str()`` reads "field: message"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
