"""A command line that explains itself: help, version, both-way switches, clear refusals, banner."""

from __future__ import annotations

import re
import subprocess

import pytest

from emulator import __version__
from emulator.config import SETTINGS, ConfigError, build_parser, load_config
from tests.conftest import EMULATOR_COMMAND, REPO


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EMULATOR_COMMAND, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


@pytest.fixture
def help_lines(monkeypatch) -> dict[str, str]:
    """Each option's help line, unwrapped, by flag."""
    monkeypatch.setenv("COLUMNS", "1000")
    entries: list[str] = []
    for line in build_parser().format_help().split("options:", 1)[1].splitlines():
        if line.startswith("  -"):
            entries.append(line.strip())
        elif entries and line.strip():
            entries[-1] += " " + line.strip()
    return {entry.split()[0].rstrip(","): entry for entry in entries}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.flag)
def test_help_shows_each_default_and_environment_variable(help_lines, setting):
    line = help_lines[setting.flag]
    assert f"default: {setting.default})" in line
    assert f") [env {setting.env}]" in line


@pytest.mark.parametrize("flag", ["--auth", "--clock", "--log-level"])
def test_help_lists_the_choices(help_lines, flag):
    setting = next(s for s in SETTINGS if s.flag == flag)
    assert help_lines[flag].split()[1] == "{" + ",".join(setting.choices) + "}"
    assert f"(one of: {', '.join(setting.choices)}; default: {setting.default})" in help_lines[flag]


def test_help_shows_the_switches_both_ways(help_lines):
    assert help_lines["--strict"].startswith("--strict, --no-strict ")


def test_version_prints_the_package_version():
    result = _run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"modelarts-emulator {__version__}")


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.is_switch], ids=lambda s: s.flag)
def test_every_switch_can_be_turned_off_against_its_variable(setting):
    negative = "--no-" + setting.flag.removeprefix("--")
    on_by_env = {setting.env: "true"}
    assert getattr(load_config([], on_by_env), setting.field) is True
    assert getattr(load_config([negative], on_by_env), setting.field) is False
    assert getattr(load_config([setting.flag], {setting.env: "false"}), setting.field) is True


@pytest.mark.parametrize(
    ("flag", "value", "reason"),
    [
        ("--port", "abc", "expected a port number from 0 to 65535, got 'abc'"),
        ("--obs-port", "70000", "expected a port number from 0 to 65535, got '70000'"),
        ("--task-duration", "soon", "expected seconds, a number above 0 and at most 86400"),
        ("--body-timeout", "nan", "expected seconds, a number above 0 and at most 86400"),
        ("--max-running-tasks", "0", "expected a whole number >= 1, got '0'"),
        ("--journal-size", "1.5", "expected a whole number >= 0, got '1.5'"),
        ("--auth", "maybe", "expected one of off, permissive, strict, got 'maybe'"),
        ("--clock", "fast", "expected one of system, manual, got 'fast'"),
        ("--admin-token", "", "expected a value, got an empty one"),
    ],
)
def test_a_bad_flag_value_is_refused_in_plain_words(capsys, flag, value, reason):
    with pytest.raises(SystemExit) as stopped:
        load_config([flag, value], {})
    assert stopped.value.code == 2
    assert f"modelarts-emulator: error: argument {flag}: {reason}" in capsys.readouterr().err


def test_port_abc_on_the_command_line_says_what_a_port_is():
    result = _run("--port", "abc")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "modelarts-emulator: error: argument --port: "
        "expected a port number from 0 to 65535, got 'abc'"
    )
    assert "invalid literal" not in result.stderr


def test_a_bad_environment_value_names_the_variable_and_the_reason():
    with pytest.raises(ConfigError) as refused:
        load_config([], {"MODELARTS_EMULATOR_PORT": "abc"})
    assert str(refused.value) == (
        "MODELARTS_EMULATOR_PORT: expected a port number from 0 to 65535, got 'abc'"
    )


def _banner(*args: str) -> list[str]:
    process = subprocess.Popen(
        [*EMULATOR_COMMAND, "--port", "0", "--obs-port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        while not (lines and lines[-1].startswith("modelarts-emulator: control API")):
            line = process.stdout.readline()
            assert line, f"the emulator stopped; banner so far: {lines}"
            lines.append(line.rstrip("\n"))
        return lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_banner_says_how_the_emulator_runs():
    scenarios = REPO / "scenarios"
    lines = _banner(
        "--scenarios",
        str(scenarios / "throttled.yaml"),
        "--scenarios",
        str(scenarios / "flaky-start.yaml"),
        "--auth",
        "strict",
        "--strict",
        "--clock",
        "manual",
        "--task-duration",
        "2.5",
    )
    assert lines[0].startswith("modelarts-emulator: listening on http://127.0.0.1:")
    assert lines[1].startswith("modelarts-emulator: OBS (S3) on http://127.0.0.1:")
    assert lines[2:] == [
        "modelarts-emulator: auth strict, validation strict, clock manual, task duration 2.5 s",
        f"modelarts-emulator: seed {REPO / 'emulator/data/default-seed.yaml'} (bundled demo seed)",
        "modelarts-emulator: scenarios loaded: 2 (throttled, flaky-start)",
        "modelarts-emulator: control API: open on loopback",
    ]


def test_banner_says_when_the_control_api_needs_a_token():
    lines = _banner("--admin-token", "s3cret")
    assert lines[-3:] == [
        f"modelarts-emulator: seed {REPO / 'emulator/data/default-seed.yaml'} (bundled demo seed)",
        "modelarts-emulator: scenarios loaded: 0",
        "modelarts-emulator: control API: token required (X-Emulator-Admin-Token)",
    ]
    assert not any("s3cret" in line for line in lines)


def test_control_api_state_beyond_loopback_without_a_token_is_off():
    assert load_config(["--host", "0.0.0.0"], {}).control_api.startswith("off")


def test_readme_configuration_table_shows_each_default():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Configuration\n", 1)[1]
    table = section[section.index("| Flag |") :].split("\n\n")[0]
    rows = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        rows[cells[1].strip("`")] = cells[2].strip("`")
    assert rows == {setting.env: setting.default for setting in SETTINGS}


def test_readme_banner_is_what_the_emulator_prints():
    from tests.test_container_examples import readme_example

    shown = readme_example("banner").splitlines()
    lines = _banner("--clock", "manual", "--scenarios", "scenarios/throttled.yaml")
    normalized = [
        re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line).replace(str(REPO), "...")
        for line in lines
    ]
    assert normalized == [re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", s) for s in shown]


def test_readme_seed_example_is_the_shipped_example_seed():
    from tests.test_container_examples import readme_example

    seed = REPO / "examples" / "seed"
    assert readme_example("seed") == (seed / "seed.yaml").read_text()
    assert (seed / "fixtures" / "a.jpg").is_file()


def test_help_names_the_compare_subcommand():
    assert "compare RECORDING" in " ".join(build_parser().format_help().split())
