"""The query service: APM figures (TPS, error rate, percentiles, APDEX, heatmap, topology,
traces, metrics, logs) computed from the store's read side for the API, alerts and reports.
"""

from bongsu.query.service import QueryService
from bongsu.query.window import Window, parse_window

__all__ = ["QueryService", "Window", "parse_window"]
