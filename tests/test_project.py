"""Checks on the project itself: CI runs the README's test command, the code is ruff clean,
a test that hangs fails."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import REPO


def _ci_command() -> str:
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    return next(line for line in reversed(lines) if line and not line.startswith("#"))


def test_ci_runs_the_readme_test_command_verbatim():
    assert f"\n{_ci_command()}\n" in (REPO / "README.md").read_text()


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("arguments", [["check", "."], ["format", "--check", "."]])
def test_code_is_ruff_clean(arguments):
    command = [sys.executable, "-m", "ruff", *arguments]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_test_that_never_ends_fails_after_the_readmes_timeout(pytestconfig):
    # The README promises it; pytest-timeout reads the ini's value.
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert pytestconfig.getini("timeout") == "120"
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "still running after 120 s fails" in readme
