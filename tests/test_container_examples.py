"""Every container example of the README, run as the container would run it, without Docker.

Each example is read from README.md by its ``<!-- example: NAME -->`` marker. Its
environment (image ``ENV``, then the example's variables) and mounts (host folders
standing in for the container's paths) go to the image's ``CMD``; then the example's
commands run against it: control calls with the admin token, the health command, the
CI jobs' steps. Only the address (loopback: tests bind nothing else) and the ports (free
ones) differ from a real container; the control API's state is checked on the example's
own address, where it matters.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from emulator.config import load_config
from tests.conftest import OTHER_PROJECT_PYTEST_ENV, REPO, readme_example
from tests.test_dockerfile import _env as image_env
from tests.test_dockerfile import _free_port, _json_form

README = REPO / "README.md"
CONSUMER = REPO / "examples" / "consumer"
CONTAINER_PORTS = {"api": "8080", "obs": "9000"}
# Variables of the pytest running this file; a nested pytest must not inherit them.
OUTER = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_CURRENT_TEST",
    "PYTEST_ADDOPTS",
)


@dataclass
class Container:
    """The image's CMD running with an example's environment, on loopback and free ports."""

    env: dict[str, str]  # what the container sees, host and ports as the example has them
    api_port: int
    obs_port: int
    process: subprocess.Popen

    def local(self, text: str, host: str = "127.0.0.1") -> str:
        """``text`` with the example's addresses replaced by where this one listens."""
        return text.replace(f"{host}:8080", f"127.0.0.1:{self.api_port}").replace(
            f"{host}:9000", f"127.0.0.1:{self.obs_port}"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def _run_container(example_env: dict[str, str], mounts: dict[str, Path], tmp_path: Path):
    env = {**image_env(), **example_env}
    for mount_point in ("/scenarios", "/seed"):  # the image creates both, empty
        if mount_point not in mounts:
            mounts[mount_point] = tmp_path / mount_point.strip("/")
            mounts[mount_point].mkdir()
    api_port, obs_port = _free_port(), _free_port()
    process_env = {k: mounts.get(v, v) for k, v in env.items()}
    process_env = {
        **os.environ,
        **{k: str(v) for k, v in process_env.items()},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MODELARTS_EMULATOR_HOST": "127.0.0.1",
        "MODELARTS_EMULATOR_PORT": str(api_port),
        "MODELARTS_EMULATOR_OBS_PORT": str(obs_port),
    }
    process = subprocess.Popen(
        _json_form("CMD"),
        env=process_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner = [process.stdout.readline() for _ in range(6)]
    assert banner[0].startswith("modelarts-emulator: listening on"), banner
    return Container(env, api_port, obs_port, process), banner


@pytest.fixture
def run_container(tmp_path) -> Iterator:
    started: list[Container] = []

    def run(example_env: dict[str, str], mounts: dict[str, Path] | None = None):
        container, banner = _run_container(example_env, dict(mounts or {}), tmp_path)
        started.append(container)
        return container, banner

    yield run
    for container in started:
        container.process.terminate()
        container.process.wait(timeout=10)


def _status(url: str, method: str = "GET", headers: dict | None = None, body=None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _bash(script: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={
            **{k: v for k, v in os.environ.items() if k not in OUTER},
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            **OTHER_PROJECT_PYTEST_ENV,
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _json_values(output: str) -> list:
    """The JSON answers curl printed one after another."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(output.rstrip()):
        value, at = decoder.raw_decode(output, at)
        values.append(value)
        while at < len(output) and output[at].isspace():
            at += 1
    return values


def _assert_token_guards_control(container: Container, token: str) -> None:
    """On the example's own address the token is required, and it opens the control API."""
    assert load_config([], container.env).control_api.startswith("token required")
    reset = f"{container.url}/_emulator/reset"
    assert _status(reset, "POST", body={}) == 403
    assert _status(reset, "POST", {"X-Emulator-Admin-Token": token}, {}) == 200


def test_the_image_as_is_keeps_the_control_api_off():
    assert load_config([], image_env()).control_api.startswith("off")


# --- docker run --------------------------------------------------------------------------


def _docker_run() -> tuple[dict[str, str], dict[str, Path]]:
    """The ``docker run`` line's ``-e`` variables and ``-v`` mounts ($PWD: the repository)."""
    text = readme_example("docker-run").replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if line.startswith("docker run ")]
    words = shlex.split(line.replace("$PWD", str(REPO)))
    env, mounts = {}, {}
    for flag, value in itertools.pairwise(words):
        if flag == "-e":
            key, _, val = value.partition("=")
            env[key] = val
        elif flag == "-v":
            source, target = value.split(":")[:2]
            mounts[target] = Path(source)
        elif flag == "-p":
            assert value.startswith("127.0.0.1:"), "ports published on the host's loopback"
    assert words[-1] == "modelarts-emulator"
    return env, mounts


def test_docker_run_example_is_controlled_by_the_pipeline(run_container):
    env, mounts = _docker_run()
    assert all(source.is_dir() for source in mounts.values()), mounts
    container, banner = run_container(env, mounts)

    assert f"seed {REPO / 'examples/seed/seed.yaml'}" in banner[3]
    _assert_token_guards_control(container, env["MODELARTS_EMULATOR_ADMIN_TOKEN"])
    output = _bash(container.local(readme_example("container-control")), cwd=REPO)

    answers = _json_values(output)
    assert answers[0] == {"reset": "everything"}
    assert answers[1]["name"] == "busy"  # loaded
    assert answers[2] == answers[3] and answers[3]["mode"] == "manual"  # advanced, then read
    headers = {"X-Emulator-Admin-Token": env["MODELARTS_EMULATOR_ADMIN_TOKEN"]}
    scenario = f"{container.url}/_emulator/scenarios/busy"
    assert _status(scenario, headers=headers) == 200


# --- Compose -----------------------------------------------------------------------------


def test_compose_example_serves_tasks_that_finish_and_obeys_its_token(run_container):
    service = yaml.safe_load(readme_example("compose"))["services"]["modelarts"]
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    mounts = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = (REPO / source).resolve()  # relative to the compose file's folder
    env = {key: str(value) for key, value in service["environment"].items()}
    container, banner = run_container(env, mounts)

    assert banner[2].endswith("clock system, task duration 3 s\n")
    _assert_token_guards_control(container, env["MODELARTS_EMULATOR_ADMIN_TOKEN"])
    # The seed's dataset has samples awaiting labels: a pre-labeling task runs and ends.
    tasks = (
        f"{container.url}/v2/05f2c3e4a1b04b0c9d8e7f6a5b4c3d21/datasets/MyDataset0000000001/tasks"
    )
    body = {"task_type": "pre-label", "model_id": "c4989033-7584-44ee-a180-1c476b810e46"}
    request = urllib.request.Request(
        tasks, json.dumps(body).encode(), {"X-Auth-Token": "t", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        task_id = json.load(response)["task_id"]
    advance = _status(
        f"{container.url}/_emulator/clock/advance",
        "POST",
        {"X-Emulator-Admin-Token": env["MODELARTS_EMULATOR_ADMIN_TOKEN"]},
        {"seconds": 5},
    )
    assert advance == 400  # the system clock moves by itself, as the README says
    _wait_until_succeeded(f"{tasks}/{task_id}")


def _wait_until_succeeded(url: str) -> None:
    """Poll the task on the system clock (3 s), bounded by a generous deadline."""
    deadline = time.monotonic() + 60
    while True:
        request = urllib.request.Request(url, headers={"X-Auth-Token": "t"})
        with urllib.request.urlopen(request, timeout=10) as response:
            status = json.load(response)["status"]
        if status == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 3


# --- CI services -------------------------------------------------------------------------


def _check_install_step(command: str) -> None:
    """Install steps are not run here; the extra they name must exist."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    named = re.findall(r"modelarts-emulator\[(\w+)\]", command)
    assert named and all(extra in extras for extra in named), command


def _run_steps(container: Container, commands: list[str], env: dict[str, str], host: str):
    job_env = {key: container.local(str(value), host) for key, value in env.items()}
    outputs = []
    for command in commands:
        if command.startswith("pip install"):
            _check_install_step(command)
            continue
        # The checkout is a project that tests with the plugin: examples/consumer.
        outputs.append(_bash(container.local(command, host), cwd=CONSUMER, env=job_env))
    return outputs


def test_github_actions_service_and_steps(run_container):
    job = yaml.safe_load(readme_example("github-actions"))["jobs"]["test"]
    service = job["services"]["modelarts"]
    container, _ = run_container({k: str(v) for k, v in service["env"].items()})

    _assert_token_guards_control(container, service["env"]["MODELARTS_EMULATOR_ADMIN_TOKEN"])
    health = shlex.split(shlex.split(service["options"])[1])  # --health-cmd "python -c ..."
    checked = subprocess.run(
        [sys.executable, health[1], container.local(health[2])], capture_output=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    steps = [step["run"] for step in job["steps"] if "run" in step]
    outputs = _run_steps(container, steps, job["env"], "127.0.0.1")

    assert '"reset": "everything"' in outputs[0]
    assert "4 passed" in outputs[-1]
    assert f"using the running emulator at {container.url}" in outputs[-1]


def test_gitlab_ci_service_and_script(run_container):
    job = yaml.safe_load(readme_example("gitlab-ci"))["test"]
    (service,) = job["services"]
    # GitLab passes the job's variables to its services, then the service's own.
    env = {k: str(v) for k, v in {**job["variables"], **service["variables"]}.items()}
    container, _ = run_container(env)

    _assert_token_guards_control(container, env["MODELARTS_EMULATOR_ADMIN_TOKEN"])
    outputs = _run_steps(container, job["script"], job["variables"], service["alias"])

    assert "4 passed" in outputs[-1]
    assert f"using the running emulator at {container.url}" in outputs[-1]
