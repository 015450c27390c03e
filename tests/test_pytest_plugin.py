"""The plugin's own failure paths: a start that hangs, a scenario without a name, a joined OBS."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.pytest_plugin import EmulatorError, ModelArtsEmulator, join_emulator, start_emulator
from tests.conftest import OTHER_PROJECT_PYTEST_ENV, REPO, TASKS_URL

HANGS = (sys.executable, "-c", "import sys, time; print('starting', flush=True); time.sleep(60)")


def test_a_start_that_never_listens_times_out_with_a_clear_error():
    with pytest.raises(EmulatorError) as failed:
        start_emulator([], timeout=0.5, command=HANGS)
    assert "did not announce its addresses within 0.5 s" in str(failed.value)
    assert "modelarts_emulator_start_timeout" in str(failed.value)


def test_a_start_that_fails_reports_the_emulator_log(tmp_path):
    with pytest.raises(EmulatorError, match=r"stopped before it listened: .*cannot read seed"):
        start_emulator(["--seed", str(tmp_path / "missing.yaml")])


@pytest.fixture(scope="module")
def emulator():
    started = start_emulator(["--clock", "manual"])
    yield started
    started.stop()


def test_replace_without_a_name_says_so(emulator: ModelArtsEmulator):
    text = "rules:\n  - match: {operation: CreateTask}\n    respond: {error: ModelArts.4395}\n"
    with pytest.raises(EmulatorError, match="needs the scenario's name"):
        emulator.load_scenario(text, replace=True)


def test_replace_finds_a_quoted_or_json_name(emulator: ModelArtsEmulator):
    emulator.reset()
    rules = [{"match": {"operation": "CreateTask"}, "respond": {"error": "ModelArts.4395"}}]
    yaml_text = 'name: "quoted"\nrules: ' + json.dumps(rules) + "\n"
    json_text = json.dumps({"rules": rules, "name": "as-json"})
    emulator.load_scenario(yaml_text, replace=True)
    emulator.load_scenario(json_text, replace=True)

    _, listed, _ = emulator.call("GET", "/_emulator/scenarios")
    assert {s["name"] for s in listed["scenarios"]} == {"quoted", "as-json"}


def test_the_log_says_why_a_request_was_refused(emulator: ModelArtsEmulator):
    status, _, _ = emulator.call("POST", TASKS_URL, {"task_type": 7})

    assert status == 400
    assert f"POST {TASKS_URL} refused: ModelArts.4200" in emulator.log_text()
    assert f"POST {TASKS_URL} 400 ModelArts.4200" in emulator.log_text()  # its access line


def test_joining_finds_obs_on_the_api_host(emulator: ModelArtsEmulator):
    api_url = emulator.api_url.replace("127.0.0.1", "localhost")
    joined = join_emulator(api_url)
    obs_port = emulator.obs_url.rsplit(":", 1)[1]
    assert (joined.joined, joined.obs_url) == (True, f"http://localhost:{obs_port}")
    joined.stop()  # leaves it running
    assert emulator.process.poll() is None


def test_joining_nothing_times_out_naming_the_url():
    with pytest.raises(EmulatorError, match=r"no emulator answered ready at http://127.0.0.1:9 "):
        join_emulator("http://127.0.0.1:9", timeout=0.3)


def test_log_text_of_a_joined_emulator_says_where_the_log_is(emulator: ModelArtsEmulator):
    with pytest.raises(EmulatorError, match="runs elsewhere"):
        join_emulator(emulator.api_url).log_text()


def test_relative_paths_in_the_ini_option_are_read_from_the_rootdir(tmp_path):
    project = tmp_path / "project"
    (project / "sc").mkdir(parents=True)
    (project / "sc" / "mine.yaml").write_text(
        "name: mine\nrules:\n  - match: {operation: CreateTask}\n"
        "    respond: {error: ModelArts.4395}\n"
    )
    (project / "pytest.ini").write_text("[pytest]\nmodelarts_emulator_args = --scenarios sc\n")
    (project / "test_it.py").write_text(
        "def test_loaded(modelarts_emulator):\n"
        "    _, body, _ = modelarts_emulator.call('GET', '/_emulator/scenarios')\n"
        "    assert [s['name'] for s in body['scenarios']] == ['mine']\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outer = ("PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")
    env = {k: v for k, v in os.environ.items() if k not in outer and "MODELARTS" not in k}
    env.update(OTHER_PROJECT_PYTEST_ENV)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:]


def test_the_readme_ini_example_is_a_valid_command_line():
    from emulator.config import load_config
    from tests.test_container_examples import readme_example

    line = readme_example("plugin-ini").splitlines()[-1]
    option, _, value = line.partition(" = ")
    config = load_config(shlex.split(value), {})
    assert option == "modelarts_emulator_args"
    assert (config.clock, config.auth, config.scenarios) == (
        "manual",
        "permissive",
        (Path("tests/scenarios"),),
    )


def test_the_readme_table_names_every_ini_option_with_its_default():
    from emulator.pytest_plugin import DEFAULT_START_TIMEOUT

    readme = (REPO / "README.md").read_text()
    rows = {
        "modelarts_emulator_args": "`--clock manual`",
        "modelarts_emulator_start_timeout": f"`{DEFAULT_START_TIMEOUT:g}`",
        "modelarts_emulator_url": "none",
        "modelarts_emulator_obs_url": "the URL's host",
        "modelarts_emulator_admin_token": "none",
    }
    for option, default in rows.items():
        assert re.search(rf"\| `{option}` \| {re.escape(default)}", readme), option
