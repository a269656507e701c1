"""The CI skip rule, run through a real pytest in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

import ci_skips

pytest_plugins = ["pytester"]

_TESTS = """
import pytest

def test_needs_a_tool():
    pytest.skip("the tool is missing")

@pytest.fixture
def server():
    pytest.skip("no server binary")

def test_needs_a_server(server):
    pass

@pytest.mark.skipif(True, reason="marked")
def test_marked():
    pass

def test_runs():
    assert True
"""


def _run(pytester: pytest.Pytester, ci: str, allowed: dict[str, str]) -> pytest.RunResult:
    pytester.makepyfile(test_sample=_TESTS)
    pytester.makepyfile(test_module_skip='import pytest\npytest.importorskip("no_such_module")\n')
    pytester.makeconftest(
        'import ci_skips  # noqa: F401\n'
        'pytest_plugins = ["ci_skips"]\n'
        f"ci_skips.ALLOWED_SKIPS.update({allowed!r})\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CI", ci)
        mp.setenv("PYTHONPATH", str(Path(ci_skips.__file__).parent))
        return pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-p", "no:playwright", "--continue-on-collection-errors"
        )


def test_skips_fail_under_ci(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "true", {})
    result.assert_outcomes(passed=1, failed=1, errors=3)
    result.stdout.fnmatch_lines(["*skipped under CI=true*the tool is missing*"])
    result.stdout.fnmatch_lines(["*skipped under CI=true*no server binary*"])
    result.stdout.fnmatch_lines(["*skipped under CI=true*no_such_module*"])


def test_skips_stay_skips_outside_ci(pytester: pytest.Pytester) -> None:
    _run(pytester, "", {}).assert_outcomes(passed=1, skipped=4)


def test_a_named_skip_is_allowed(pytester: pytest.Pytester) -> None:
    allowed = {"test_sample.py::test_needs_a_tool": "justified", "test_module_skip.py": "too"}
    _run(pytester, "true", allowed).assert_outcomes(passed=1, skipped=2, errors=2)


def test_allowed_skips_name_real_tests_with_reasons() -> None:
    """No stale entry: every allowed skip names a test that exists and says why."""
    root = Path(__file__).parent.parent
    for node_id, why in ci_skips.ALLOWED_SKIPS.items():
        assert why.strip(), node_id
        path, _, name = node_id.partition("::")
        assert (root / path).is_file(), node_id
        assert f"def {name.split('[')[0]}(" in (root / path).read_text(), node_id
