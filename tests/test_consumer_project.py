"""examples/consumer, a project using the pytest plugin, run three ways as other teams run it.

Each run is a separate pytest process started from the repository root, without the
variables of the pytest running this file (an xdist worker's would fool the plugin).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from emulator.pytest_plugin import ADMIN_HEADER, ModelArtsEmulator, start_emulator
from tests.conftest import OTHER_PROJECT_PYTEST_ENV, REPO

CONSUMER = REPO / "examples" / "consumer"
ADMIN_TOKEN = "consumer-admin-token"
# Set by the pytest (or xdist worker) running this file; the consumer's run must not see them.
OUTER_PYTEST_VARIABLES = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_CURRENT_TEST",
    "PYTEST_ADDOPTS",
    "MODELARTS_EMULATOR_URL",
    "MODELARTS_EMULATOR_OBS_URL",
    "MODELARTS_EMULATOR_ADMIN_TOKEN",
)


def _run_consumer(*args: str, env: dict[str, str] | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in OUTER_PYTEST_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(CONSUMER), *args],
        cwd=REPO,
        env={**environ, **OTHER_PROJECT_PYTEST_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout
    return result.stdout


@pytest.fixture
def running_emulator():
    """A separately started emulator, as a CI service container would be (on loopback)."""
    emulator = start_emulator(["--clock", "manual"], admin_token=ADMIN_TOKEN)
    yield emulator
    emulator.stop()


def _journal(emulator: ModelArtsEmulator) -> list[dict]:
    request = urllib.request.Request(
        f"{emulator.api_url}/_emulator/journal", headers={ADMIN_HEADER: ADMIN_TOKEN}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["requests"]


def test_consumer_passes_with_a_self_started_emulator():
    output = _run_consumer()
    assert "modelarts-emulator: using" not in output


def test_consumer_passes_against_a_running_emulator(running_emulator):
    output = _run_consumer(
        env={
            "MODELARTS_EMULATOR_URL": running_emulator.api_url,
            "MODELARTS_EMULATOR_ADMIN_TOKEN": ADMIN_TOKEN,
        }
    )

    assert f"modelarts-emulator: using the running emulator at {running_emulator.api_url}" in (
        output
    )
    # The last consumer test's requests are in the running emulator's journal.
    paths = [entry["path"] for entry in _journal(running_emulator)]
    assert any(path.endswith("/data-annotations/samples") for path in paths), paths


def test_consumer_passes_with_two_xdist_workers_each_on_its_own_emulator(running_emulator):
    running_emulator.reset()

    output = _run_consumer("-n", "2", env={"MODELARTS_EMULATOR_URL": running_emulator.api_url})

    assert "2 workers [4 items]" in output
    assert "each xdist worker starts its own emulator" in output
    assert _journal(running_emulator) == []  # no worker used the shared one
