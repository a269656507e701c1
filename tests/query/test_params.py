"""Window parsing and every 400 message: bad input never gives a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bongsu.errors import InvalidQuery
from bongsu.query.window import Window, parse_step, parse_time, parse_window, resolution_for

NOW = 1_714_561_200_000_000  # 2024-05-01T11:00:00Z


@pytest.mark.parametrize("raw,want", [
    ("1714561200000", NOW),
    ("1714561200000.5", NOW + 500),
    ("2024-05-01T11:00:00Z", NOW),
    ("2024-05-01T11:00:00", NOW),
    ("2024-05-01T13:00:00+02:00", NOW),
    ("2024-05-01T11:00:00.250Z", NOW + 250_000),
    (" 2024-05-01 11:00:00Z ", NOW),
])
def test_parse_time(raw: str, want: int) -> None:
    assert parse_time("from", raw) == want


def test_default_window_is_the_last_15_minutes() -> None:
    assert parse_window(None, None, NOW) == Window(NOW - 900_000_000, NOW)
    assert parse_window("1714560000000", None, NOW) == Window(NOW - 1_200_000_000, NOW)
    assert parse_window(None, "1714561200000", NOW + 5) == Window(NOW - 900_000_000, NOW)


def test_default_steps_and_resolution() -> None:
    assert parse_step(None, Window(0, 900_000_000)) == 10
    assert parse_step(None, Window(0, 3_600_000_000)) == 30
    assert parse_step(None, Window(0, 86_400_000_000)) == 900
    assert resolution_for(Window(0, 3_600_000_000)) == 10
    assert resolution_for(Window(0, 3_600_000_001)) == 60
    assert resolution_for(Window(0, 86_400_000_000), 30) == 10


@pytest.mark.parametrize("raw_from,raw_to,message", [
    ("abc", None, "from: expected an ISO-8601 time or epoch milliseconds, got 'abc'"),
    (None, "2024-13-01", "to: expected an ISO-8601 time or epoch milliseconds, got '2024-13-01'"),
    ("1714561200000", "1714561200000", "from: must be before to"),
    ("1e3", None, "from: expected an ISO-8601 time or epoch milliseconds, got '1e3'"),
    ("99999999999999999", None, "from: expected an ISO-8601 time or epoch milliseconds, "
                                "got '99999999999999999'"),
    ("-5", None, "from: epoch milliseconds out of range: '-5'"),
    ("0", "1714561200000", "from: the window is longer than 400 days"),
])
def test_bad_windows(raw_from: str | None, raw_to: str | None, message: str) -> None:
    with pytest.raises(InvalidQuery) as exc:
        parse_window(raw_from, raw_to, NOW)
    assert exc.value.message == message


BAD = [
    ("/api/v1/services?from=yesterday",
     "from: expected an ISO-8601 time or epoch milliseconds, got 'yesterday'"),
    ("/api/v1/services?from=1714561200000&to=1714561100000", "from: must be before to"),
    ("/api/v1/services/frontend/series?step=abc", "step: expected whole seconds, got 'abc'"),
    ("/api/v1/services/frontend/series?step=15",
     "step: must be a positive multiple of 10 seconds, got 15"),
    ("/api/v1/services/frontend/series?step=-10",
     "step: must be a positive multiple of 10 seconds, got -10"),
    ("/api/v1/services/frontend/series?step=99999990",
     "step: must be at most 31 days, got 99999990"),
    ("/api/v1/services/frontend/heatmap?step=0",
     "step: must be a positive multiple of 10 seconds, got 0"),
    ("/api/v1/services/frontend/transactions?min_ms=fast",
     "min_ms: expected a number, got 'fast'"),
    ("/api/v1/services/frontend/transactions?max_ms=nan",
     "max_ms: must be a finite number, got 'nan'"),
    ("/api/v1/services/frontend/transactions?min_ms=-1", "min_ms: must be at least 0, got -1"),
    ("/api/v1/services/frontend/transactions?min_ms=1E36",
     "min_ms: must be at most 1e+12, got 1e+36"),
    ("/api/v1/traces?max_ms=1E36", "max_ms: must be at most 1e+12, got 1e+36"),
    ("/api/v1/services/frontend/transactions?min_ms=10&max_ms=5",
     "max_ms: must not be below min_ms"),
    ("/api/v1/services/frontend/transactions?errors_only=maybe",
     "errors_only: expected true or false, got 'maybe'"),
    ("/api/v1/services/frontend/transactions?limit=0", "limit: must be between 1 and 1000, got 0"),
    ("/api/v1/services/frontend/transactions?limit=ten", "limit: expected an integer, got 'ten'"),
    ("/api/v1/instances?window=5", "window: must be between 10 and 2678400, got 5"),
    ("/api/v1/instances?window=2678410", "window: must be between 10 and 2678400, got 2678410"),
    ("/api/v1/instances?window=15", "window: must be a multiple of 10 seconds, got 15"),
    ("/api/v1/topology?level=pod", "level: expected one of service, instance, got 'pod'"),
    ("/api/v1/traces?status=broken", "status: expected one of error, ok, got 'broken'"),
    ("/api/v1/traces?attr=novalue", "attr: expected KEY:VALUE, got 'novalue'"),
    ("/api/v1/traces?attr=:x", "attr: expected KEY:VALUE, got ':x'"),
    ("/api/v1/traces?limit=100000", "limit: must be between 1 and 1000, got 100000"),
    ("/api/v1/traces?min_ms=5&max_ms=1", "max_ms: must not be below min_ms"),
    ("/api/v1/traces/xyz", "trace_id: expected 32 hex digits, got 'xyz'"),
    ("/api/v1/traces/" + "0" * 32, "trace_id: an all-zero id is not valid"),
    ("/api/v1/traces/" + "g" * 32, f"trace_id: expected 32 hex digits, got '{'g' * 32}'"),
    ("/api/v1/logs?trace_id=12", "trace_id: expected 32 hex digits, got '12'"),
    ("/api/v1/logs?severity=loud",
     "severity: expected trace, debug, info, warn, error, fatal or 1-24, got 'loud'"),
    ("/api/v1/logs?severity=25",
     "severity: expected trace, debug, info, warn, error, fatal or 1-24, got '25'"),
    ("/api/v1/logs?severity=%C2%B2",  # "²": a digit to str.isdigit, not to int()
     "severity: expected trace, debug, info, warn, error, fatal or 1-24, got '²'"),
    ("/api/v1/metrics/series", "name: required"),
    ("/api/v1/metrics/series?name=x&agg=median",
     "agg: expected one of avg, min, max, sum, last, got 'median'"),
    ("/api/v1/metrics/series?name=x&step=7",
     "step: must be a positive multiple of 10 seconds, got 7"),
]


@pytest.mark.parametrize("path,message", BAD, ids=[p for p, _ in BAD])
def test_bad_parameters_get_a_400_naming_them(api: httpx.Client, path: str, message: str
                                              ) -> None:
    r = api.get(path)
    assert r.status_code == 400, r.text
    assert r.json() == {"detail": message}


def test_iso_and_epoch_windows_agree(api: httpx.Client) -> None:
    iso = datetime.fromtimestamp(NOW / 1e6, UTC).isoformat()
    a = api.get("/api/v1/services", params={"to": iso}).json()
    b = api.get("/api/v1/services", params={"to": str(NOW // 1000)}).json()
    assert a == b and a["to"] == NOW // 1000


def test_health_and_openapi(api: httpx.Client) -> None:
    assert api.get("/healthz").json()["status"] == "ok"
    spec = api.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/healthz", "/api/v1/services", "/api/v1/services/{service}/series",
                 "/api/v1/services/{service}/heatmap",
                 "/api/v1/services/{service}/transactions", "/api/v1/instances",
                 "/api/v1/topology", "/api/v1/traces", "/api/v1/traces/{trace_id}",
                 "/api/v1/metrics/names", "/api/v1/metrics/series", "/api/v1/logs"):
        assert path in paths
    assert api.get("/docs").status_code == 200


# Every query parameter the web console sends (web/src/api.ts and the pages calling it).
CONSOLE_SENDS = {
    "/api/v1/services": ["from", "to"],
    "/api/v1/services/frontend/series": ["from", "to", "step", "instance"],
    "/api/v1/services/frontend/heatmap": ["from", "to", "step", "instance"],
    "/api/v1/services/frontend/transactions":
        ["from", "to", "min_ms", "max_ms", "errors_only", "limit", "instance"],
    "/api/v1/instances": ["service", "window", "from", "to"],
    "/api/v1/topology": ["level", "from", "to"],
    "/api/v1/traces": ["service", "name", "status", "min_ms", "max_ms", "attr", "limit",
                       "from", "to"],
    "/api/v1/metrics/series": ["name", "service", "instance", "step", "agg", "from", "to"],
    "/api/v1/active-requests": ["service", "instance"],
    "/api/v1/captures": ["service", "instance", "kind", "limit", "from", "to"],
}
EVERY_GET = [*CONSOLE_SENDS, "/healthz", "/api/v1/metrics/names", "/api/v1/logs",
             "/api/v1/traces/" + "ab" * 16, "/api/v1/captures/abc"]


@pytest.mark.parametrize("path", EVERY_GET)
def test_an_unknown_parameter_is_a_400_naming_it(api: httpx.Client, path: str) -> None:
    r = api.get(path, params={"bogus": "1"})
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("bogus: an unknown query parameter; this endpoint "
                                         "takes ")
    two = api.get(path, params={"zz": "1", "instanse": "fe-1"}).json()["detail"]
    assert two.startswith("instanse, zz: unknown query parameters; ")


@pytest.mark.parametrize("path,sent", CONSOLE_SENDS.items())
def test_every_parameter_the_console_sends_is_declared(api: httpx.Client, path: str,
                                                       sent: list[str]) -> None:
    template = path.replace("/frontend/", "/{service}/")
    operation = api.get("/openapi.json").json()["paths"][template]["get"]
    declared = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert set(sent) <= declared
    detail = api.get(path, params={"bogus": "1"}).json()["detail"]
    assert detail.endswith("takes " + ", ".join(sorted(declared)))


def test_repeated_parameters_are_fine(api: httpx.Client) -> None:
    r = api.get("/api/v1/traces", params=[("attr", "http.route:/a"), ("attr", "k:v")])
    assert r.status_code == 200, r.text


def test_a_missing_body_field_names_it(api: httpx.Client) -> None:
    r = api.post("/api/v1/captures", json={"service": "frontend"})
    assert r.status_code == 400 and r.json() == {"detail": "instance: required"}
    r = api.post("/api/v1/captures", json={"service": "s", "instance": "i", "kind": "heap"})
    assert r.status_code == 400 and r.json()["detail"].startswith("kind: one of")
