"""The command line: configuration sources, start-up output, failing fast on bad files."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from emulator.config import SETTINGS, Config, ConfigError, load_config
from tests.conftest import EMULATOR_COMMAND, REPO

LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


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


def test_port_zero_prints_the_chosen_port_and_serves_health():
    process = _start("--port", "0", "--obs-port", "0")
    try:
        line = process.stdout.readline()
        port = int(LISTENING.search(line).group(1))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=5) as r:
            body = json.load(r)
            assert (r.status, body["status"], body["api"], body["obs"]) == (
                200,
                "ready",
                "ready",
                "ready",
            )
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert process.returncode == 0


def test_sigterm_stops_within_a_second():
    process = _start("--port", "0", "--obs-port", "0")
    try:
        process.stdout.readline()
        process.terminate()
        started = time.monotonic()
        process.wait(timeout=5)
        assert time.monotonic() - started < 1.0
    finally:
        process.kill()


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
