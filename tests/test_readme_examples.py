"""The README's request examples, run as written against a started emulator.

Each block is read from README.md by its ``<!-- example: NAME -->`` marker; only the
address changes (the emulator listens on a free loopback port here, not on 8080).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import yaml

from tests.conftest import EMULATOR_COMMAND, FREE_PORTS, readme_example

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_OBS_URL = "http://127.0.0.1:9000"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
OBS_LISTENING = re.compile(r"OBS \(S3\) on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, str]]:
    """The emulator on its bundled defaults, as the README's first command starts it."""
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, *FREE_PORTS, "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = LISTENING.search(process.stdout.readline()).group(1)
        obs_url = OBS_LISTENING.search(process.stdout.readline()).group(1)
        yield url, obs_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def emulator_url(emulator) -> str:
    return emulator[0]


def _run(script: str, url: str) -> str:
    """A README block in bash, with the first block's BASE and AUTH defined."""
    setup = readme_example("start-tasks").split("\n\n", 1)[0]  # its BASE= and AUTH= lines
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", f"{setup}\n{script}".replace(DEFAULT_URL, url)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _documents(output: str) -> list[dict]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while (start := output.find("{", at)) != -1:
        document, at = decoder.raw_decode(output, start)
        found.append(document)
    return found


def test_the_three_documented_starts_each_answer_a_task_id(emulator_url):
    answers = _documents(_run(readme_example("start-tasks"), emulator_url))

    assert len(answers) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9]{19}", answer["task_id"]) for answer in answers)


def test_the_strict_request_prints_the_documented_refusal(emulator_url):
    printed = _documents(_run(readme_example("strict-request"), emulator_url))

    assert printed == [json.loads(readme_example("strict-answer"))]


def test_following_a_task_polls_lists_and_stops_it(emulator_url):
    output = _run(readme_example("follow-task"), emulator_url)

    polled, listed, grouped = _documents(output)
    assert polled["status"] in (-1, 0, 1) and "progress" in polled
    assert listed["total_count"] >= 1 and {task["type"] for task in listed["tasks"]} <= {0, 1}
    assert {task["type"] for task in grouped["tasks"]} <= {2}
    assert output.rstrip().endswith("204")


def test_a_password_token_lists_tasks(emulator_url):
    (listing,) = _documents(_run(readme_example("iam-token"), emulator_url))

    assert "tasks" in listing and "total_count" in listing


async def test_the_reference_scenario_loads_and_each_story_fires(make_client):
    client = await make_client(clock="manual")
    text = readme_example("scenario-reference")
    loaded = await client.post("/_emulator/scenarios", data=text)
    assert loaded.status == 201, await loaded.text()
    named = {"X-Emulator-Scenario": yaml.safe_load(text)["name"]}
    tasks = "/v2/05f2c3e4a1b04b0c9d8e7f6a5b4c3d21/datasets/DemoImageDataset001/tasks"

    retried = [
        (await client.post(tasks, json={}, headers={**named, "X-Story": "retry"})).status
        for _ in range(2)
    ]
    failing = await (await client.post(tasks, json={}, headers=named)).json()
    await client.post("/_emulator/clock/advance", json={"seconds": 6})
    task = await (await client.get(f"{tasks}/{failing['task_id']}")).json()

    assert retried == [503, 200]
    assert (task["status"], task["error_code"]) == (2, "ModelArts.4392")


def test_the_obs_snippet_stores_and_reads_back_with_both_clients(emulator):
    _, obs_url = emulator
    code = readme_example("obs-python").replace(DEFAULT_OBS_URL, obs_url)

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "b'cat jpeg'"


def test_the_python_client_example_starts_and_reads_a_task(emulator_url):
    code = readme_example("from-python").replace(DEFAULT_URL, emulator_url)

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "'task_id'" in result.stdout and "'status'" in result.stdout
