"""tests/conftest.py's CI check: on CI, a test skipped for a missing browser or ../shared/data fails the run.

Each case runs pytest in a subprocess (pytester) on a tiny test file, with this suite's conftest.py and its
two markers, so the hook is tested as CI meets it: by the exit status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

TESTS = """
import pytest
from conftest import shared_data_dir


def test_needs_shared_data():
    shared_data_dir("no-such-set")


@pytest.mark.browser
def test_needs_a_browser():
    pass


def test_skips_for_another_reason():
    pytest.skip("only on Windows")


def test_runs():
    assert True
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.Pytester:
    """A tiny suite with this conftest, where no browser and no ../shared/data can be found."""
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini(
        "[pytest]\naddopts = --strict-markers -ra\nmarkers =\n    browser: needs Chromium\n"
        "    shared_data: needs ../shared/data\n"
    )
    pytester.makepyfile(test_tiny=TESTS)
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no Chrome downloaded by plotly_get_chrome either
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for name in ("CI", "ORGINSIGHT_REQUIRE_ALL"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_outside_ci_the_skips_are_allowed(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*missing shared data:*no-such-set*", "*missing browser:*"])


@pytest.mark.parametrize("env", [{"CI": "true"}, {"ORGINSIGHT_REQUIRE_ALL": "1"}], ids=["CI", "REQUIRE_ALL"])
def test_on_ci_a_skip_for_a_missing_browser_or_data_fails_the_run(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*skipped for a missing browser or missing data: not accepted on CI*",
            "*test_tiny.py::test_needs_shared_data: missing shared data*",
            "*test_tiny.py::test_needs_a_browser: missing browser*",
            "2 test(s) skipped for a missing browser or missing ../shared/data*",
        ]
    )
    assert "test_skips_for_another_reason: only on Windows" not in result.stdout.str()


def test_on_ci_other_skips_are_allowed(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_subprocess("-k", "another_reason or runs")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK


def test_ci_false_is_not_ci(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    assert suite.runpytest_subprocess().ret == pytest.ExitCode.OK
