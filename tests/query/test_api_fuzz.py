"""No query parameter, however odd, gets a 500 from the real API server."""

from __future__ import annotations

import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server_process import ServerProcess

ENDPOINTS = [
    ("/api/v1/services", ["from", "to"]),
    ("/api/v1/services/{name}/series", ["from", "to", "step", "instance"]),
    ("/api/v1/services/{name}/heatmap", ["from", "to", "step", "instance"]),
    ("/api/v1/services/{name}/transactions",
     ["from", "to", "min_ms", "max_ms", "errors_only", "limit", "instance"]),
    ("/api/v1/instances", ["service", "window", "from", "to"]),
    ("/api/v1/topology", ["level", "from", "to"]),
    ("/api/v1/traces", ["service", "name", "status", "min_ms", "max_ms", "attr", "limit"]),
    ("/api/v1/traces/{name}", []),
    ("/api/v1/metrics/names", ["from", "to"]),
    ("/api/v1/metrics/series", ["name", "service", "instance", "step", "agg", "from", "to"]),
    ("/api/v1/logs", ["service", "trace_id", "severity", "q", "limit", "from", "to"]),
    ("/api/v1/active-requests", ["service", "instance"]),
    ("/api/v1/captures", ["service", "instance", "kind", "limit", "from", "to"]),
    ("/api/v1/captures/compare", ["base", "other"]),
    ("/api/v1/captures/{name}", []),
]
values = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "-1", "1e309", "2026-13-45T99:00", "nan", "service", "instance",
                     "avg", "a:b", "0" * 32, "f" * 32, "%00", "'; DROP TABLE spans; --"]),
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), name=values, data=st.data())
def test_no_500(shared_server: ServerProcess, endpoint: tuple[str, list[str]], name: str,
                data: st.DataObject) -> None:
    path, params = endpoint
    chosen = data.draw(st.dictionaries(st.sampled_from(params), values, max_size=4)
                       if params else st.just({}))
    url = path.replace("{name}", urllib.parse.quote(name, safe="") or "x")
    if chosen:
        url += "?" + urllib.parse.urlencode(chosen)
    status, body = shared_server.api(url)
    assert status < 500, (url, status, body)
