"""A local ClickHouse endpoint for tests and benchmarks: the real engine (chdb) behind the
HTTP interface that ``clickhouse-connect`` speaks.

    python -m bongsu.store.clickhouse.local --port 8123 --path /tmp/ch

It serves ``GET /ping`` and queries as ``POST /?query=…&database=…`` (the body is the rest
of the query, or an INSERT's data in any input format ClickHouse reads). Other query
parameters are settings, applied with ``SET`` for that request and reset after. Errors are
HTTP 500 with ClickHouse's own ``Code: N. DB::Exception`` text and the
``X-ClickHouse-Exception-Code`` header, so the client raises its usual exceptions.
One chdb session serves every request in turn (a lock), memory and threads capped:
chdb's defaults are sized for a dedicated server. Request bodies must not be compressed
(the store's client sends them plain: ``compress=False``); gzip is inflated.
Not a server to run in production: no users, no TLS, one request at a time.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import chdb.session

_INSERT = re.compile(
    r"^\s*INSERT\s+INTO\s+(?P<target>.+?)\s+(?:SETTINGS\s+(?P<settings>.+?)\s+)?"
    r"FORMAT\s+(?P<fmt>\w+)\s*$", re.I | re.S)
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.I)
_NOT_SETTINGS = {"query", "database", "session_id", "session_timeout", "query_id",
                 "default_format", "user", "password", "compress", "decompress",
                 "session_check", "quota_key", "wait_end_of_query", "client_protocol_version"}
_MAX_BODY = 1 << 30


class Engine:
    """One chdb session shared by every request, one request at a time."""

    def __init__(self, path: str, max_memory_bytes: int, max_threads: int) -> None:
        # chdb ships no type hints; its session is used through query() alone.
        session_type: Any = chdb.session.Session
        self._session: Any = session_type(
            f"{path}?max_server_memory_usage={max_memory_bytes}&max_threads={max_threads}")
        self._lock = threading.Lock()
        self._spool = tempfile.mkdtemp(prefix="bongsu-ch-")

    def execute(self, sql: str, body: bytes, params: dict[str, str]) -> tuple[bytes, str]:
        """Run one request; returns the output and its format."""
        settings = {k: v for k, v in params.items() if k not in _NOT_SETTINGS}
        database = params.get("database") or "default"
        with self._lock:
            self._session.query(f"USE {_ident(database)}")
            for name, value in settings.items():
                self._session.query(f"SET {_ident(name)} = {_literal(value)}")
            try:
                return self._run(sql, body, params)
            finally:
                for name in settings:
                    self._session.query(f"SET {_ident(name)} = DEFAULT")

    def _run(self, sql: str, body: bytes, params: dict[str, str]) -> tuple[bytes, str]:
        insert = _INSERT.match(sql) if body else None
        if insert:
            spool = os.path.join(self._spool, f"{uuid.uuid4().hex}.{insert['fmt']}")
            with open(spool, "wb") as f:
                f.write(body)
            try:
                extra = f" SETTINGS {insert['settings']}" if insert["settings"] else ""
                self._session.query(
                    f"INSERT INTO {insert['target']}{extra} SELECT * FROM"
                    f" file({_literal(spool)}, {insert['fmt']})")
            finally:
                os.unlink(spool)
            return b"", "TabSeparated"
        full = f"{sql} {body.decode()}" if body else sql
        match = _FORMAT.search(full)
        fmt = match.group(1) if match else params.get("default_format", "TabSeparated")
        if match:
            full = full[: match.start()]
        result = self._session.query(full, fmt)
        return result.bytes(), fmt


def _ident(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a name: {name!r}")
    return name


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _handler(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in ("/ping", "/") and "query" not in dict(parse_qsl(url.query)):
                self._reply(200, b"Ok.\n", "text/plain")
                return
            self._query(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._reply(413, b"Code: 1000. DB::Exception: body too large\n", "text/plain")
                return
            body = self.rfile.read(length) if length else self._chunked()
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            elif self.headers.get("Content-Encoding"):
                self._reply(415, b"Code: 1000. DB::Exception: compressed bodies are not"
                            b" served here; send them plain\n", "text/plain")
                return
            self._query(body)

        def _chunked(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return b""
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()

        def _query(self, body: bytes) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            sql = params.get("query", "")
            if not sql:
                sql, body = body.decode(), b""
            try:
                out, fmt = engine.execute(sql, body, params)
            except Exception as exc:  # every engine error is the client's answer
                text = str(exc)
                code = re.match(r"Code: (\d+)", text)
                self._reply(500, (text + "\n").encode(), "text/plain",
                            {"X-ClickHouse-Exception-Code": code.group(1) if code else "1001"})
                return
            self._reply(200, out, "application/octet-stream", {
                "X-ClickHouse-Format": fmt,
                "X-ClickHouse-Query-Id": params.get("query_id") or uuid.uuid4().hex,
                "X-ClickHouse-Timezone": "UTC",
                "X-ClickHouse-Summary": '{"read_rows":"0","written_rows":"0"}',
            })

        def _reply(self, status: int, body: bytes, ctype: str,
                   headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(port: int, path: str, host: str = "127.0.0.1", max_memory_bytes: int = 2 << 30,
          max_threads: int = 2) -> ThreadingHTTPServer:
    """An endpoint bound to ``host:port`` (0: any free port), not yet serving."""
    engine = Engine(path, max_memory_bytes, max_threads)
    return ThreadingHTTPServer((host, port), _handler(engine))


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; prints ``listening on PORT`` once bound."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--path", required=True, help="chdb data directory")
    parser.add_argument("--max-memory-mb", type=int, default=2048)
    parser.add_argument("--max-threads", type=int, default=2)
    args = parser.parse_args(argv)
    server = serve(args.port, args.path, max_memory_bytes=args.max_memory_mb << 20,
                   max_threads=args.max_threads)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
