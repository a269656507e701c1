"""Under ``CI=true`` a skipped test fails the run, unless it is named in ``ALLOWED_SKIPS``.

A test that skips because something it needs is missing (a Debian package, Node.js, a
server binary) passes locally and proves nothing; in CI the project's own scripts install
everything, so such a skip means an install step is broken. A skip that is right even in
CI must be listed here, by test id, with the reason it is justified.

Example (the output of a CI run with a missing Chromium)::

    FAILED tests/browser/test_console.py::test_dashboard - skipped under CI=true
    (not in tests/ci_skips.py ALLOWED_SKIPS): /usr/bin/chromium missing
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

# test id (as pytest prints it, parameters included) -> why skipping it in CI is right.
ALLOWED_SKIPS: dict[str, str] = {}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _fail_if_skipped(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (report.skipped and _in_ci()) or report.nodeid in ALLOWED_SKIPS:
        return
    if hasattr(report, "wasxfail"):  # an expected failure is reported as a skip
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true (not in tests/ci_skips.py ALLOWED_SKIPS): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    _fail_if_skipped(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """A module-level ``importorskip`` skips at collection, outside any test."""
    outcome = yield
    _fail_if_skipped(outcome.get_result())
