"""The pytest plugin's contract coverage: a table at the end, JSON and HTML on request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CLIENT_TESTS = """
import json, urllib.request

def _list_tasks(emulator):
    return emulator.call("GET", emulator.dataset_url.replace(emulator.api_url, "") + "/tasks")

def test_one(modelarts_emulator):
    assert _list_tasks(modelarts_emulator)[0] == 200

def test_two(modelarts_emulator):
    assert _list_tasks(modelarts_emulator)[0] == 200
"""


def _run_pytest(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    (folder / "test_client.py").write_text(CLIENT_TESTS)
    # Only the plugins these runs need: the others take seconds to import.
    plugins = ["-p", "emulator.pytest_plugin", "-p", "no:cacheprovider"]
    if "-n" in arguments:
        plugins += ["-p", "xdist.plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, *arguments],
        cwd=folder,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_session_ends_with_a_coverage_table(tmp_path):
    run = _run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ModelArts contract coverage" in run.stdout
    table = {line.split()[0]: line.split() for line in run.stdout.splitlines() if line}
    assert table["ListTasks"][1] == "2"  # calls
    assert table["CreateTask"][1] == "0"


README_INI = "modelarts_coverage_summary = false"
README_COMMAND = "pytest --modelarts-coverage=build/modelarts-coverage"


def test_report_files_merge_xdist_workers_and_the_table_can_be_turned_off(tmp_path):
    """As the README shows it: the ini line and the command line."""
    pytest.importorskip("xdist", reason="pytest-xdist is not installed")
    readme = (REPO / "README.md").read_text()
    assert f"\n{README_INI}\n" in readme
    assert f"\n{README_COMMAND}\n" in readme
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{README_INI}\n")
    run = _run_pytest(tmp_path, "-n", "2", *README_COMMAND.split()[1:])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "operations called" not in run.stdout
    report = json.loads((tmp_path / "build" / "modelarts-coverage.json").read_text())
    list_tasks = next(op for op in report["operations"] if op["operation_id"] == "ListTasks")
    assert list_tasks["calls"] == 2  # summed over the workers, each with its own emulator
    assert "?limit" in list_tasks["fields_never_sent"]
    html = (tmp_path / "build" / "modelarts-coverage.html").read_text()
    assert "<h1>ModelArts contract coverage</h1>" in html
    assert "ListTasks" in html
