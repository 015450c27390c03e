"""The command line: configuration sources, start-up output, failing fast on bad files."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from emulator.config import SETTINGS, Config, ConfigError, load_config
from tests.conftest import EMULATOR_COMMAND, REPO

LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
OBS_LISTENING = re.compile(r"OBS \(S3\) on http://127\.0\.0\.1:(\d+)")
# Only a guard against a hung process: a clean stop takes a fraction of it.
STOP_TIMEOUT = 30


def test_defaults_are_loopback_and_port_8080():
    config = load_config([], {})
    assert (config.host, config.port, config.strict) == ("127.0.0.1", 8080, False)


def test_environment_variables_fill_the_config():
    environ = {
        "MODELARTS_EMULATOR_PORT": "9191",
        "MODELARTS_EMULATOR_STRICT": "true",
        "MODELARTS_EMULATOR_LOG_LEVEL": "debug",
        "MODELARTS_EMULATOR_SEED": "/tmp/seed.yaml",
    }
    config = load_config([], environ)
    assert (config.port, config.strict, config.log_level, config.seed) == (
        9191,
        True,
        "debug",
        Path("/tmp/seed.yaml"),
    )


def test_flags_win_over_environment_variables():
    config = load_config(["--port", "7000", "--host", "::1"], {"MODELARTS_EMULATOR_PORT": "9191"})
    assert (config.port, config.host) == (7000, "::1")


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="MODELARTS_EMULATOR_PORT"):
        load_config([], {"MODELARTS_EMULATOR_PORT": "eighty"})


def test_every_setting_has_a_flag_and_an_environment_variable():
    assert {s.field for s in SETTINGS} == set(Config.__dataclass_fields__)
    assert all(
        s.flag.startswith("--") and s.env.startswith("MODELARTS_EMULATOR_") for s in SETTINGS
    )


def _start(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*EMULATOR_COMMAND, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _ready(process: subprocess.Popen) -> tuple[int, int]:
    """Wait for both start-up lines (printed once both listeners are bound); their ports."""
    api = int(LISTENING.search(process.stdout.readline()).group(1))
    obs = int(OBS_LISTENING.search(process.stdout.readline()).group(1))
    return api, obs


def test_port_zero_prints_the_chosen_port_and_serves_health():
    process = _start("--port", "0", "--obs-port", "0")
    try:
        port, _ = _ready(process)
        # Health waits for OBS storage to load (seconds on a busy machine): 30 s guards a hang.
        health = f"http://127.0.0.1:{port}/_emulator/health"
        with urllib.request.urlopen(health, timeout=30) as r:
            body = json.load(r)
            assert (r.status, body["status"], body["api"], body["obs"]) == (
                200,
                "ready",
                "ready",
                "ready",
            )
    finally:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT)
    assert process.returncode == 0


def _bindable(port: int) -> bool:
    """Whether a new server could listen on the port now (as the emulator binds: reusing
    addresses whose connections are still closing)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
    return True


def test_sigterm_stops_cleanly_and_frees_both_ports():
    process = _start("--port", "0", "--obs-port", "0")
    try:
        api, obs = _ready(process)
        assert not _bindable(api) and not _bindable(obs)  # the emulator holds them

        process.terminate()
        _, errors = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        process.kill()

    assert process.returncode == 0
    assert "Traceback" not in errors
    assert _bindable(api) and _bindable(obs)


def test_invalid_seed_file_stops_the_start_with_its_name(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("projects:\n  - id: p1\n    name: x\n    datasets:\n      - id: d1\n")
    result = subprocess.run(
        [*EMULATOR_COMMAND, "--port", "0", "--seed", str(seed)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert str(seed) in result.stderr
    assert "$.projects[0].datasets[0].name: missing required field" in result.stderr


def test_unreadable_seed_file_stops_the_start(tmp_path):
    result = subprocess.run(
        [*EMULATOR_COMMAND, "--seed", str(tmp_path / "missing.yaml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "cannot read seed file" in result.stderr


def test_taken_port_stops_the_start_with_a_clear_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*EMULATOR_COMMAND, "--port", str(port), "--obs-port", "0"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1" in result.stderr and str(port) in result.stderr
    assert "Traceback" not in result.stderr
