"""JSON calls to a real server's API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from server_process import ServerProcess


def call(server: ServerProcess, method: str, path: str, body: Any = None,
         status: int = 200) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.api_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            code, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, payload = e.code, e.read()
    answer = json.loads(payload) if payload else None
    assert code == status, (code, answer)
    return answer
