"""Invalid scenario files are refused with file:line:column and the reason; nothing half-loads."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config, load_config
from emulator.scenarios.loader import ScenarioError
from tests.conftest import EMULATOR_COMMAND, FREE_PORTS, REPO, TASKS_URL

INVALID = {
    "bad-yaml": ("name: x\nrules:\n  - respond: {error: ModelArts.0010\n", 4, "not valid YAML"),
    "unknown-key": (
        "name: x\nrules:\n  - respond:\n      eror: ModelArts.0010\n",
        4,
        "$.rules[0].respond.eror: unknown field",
    ),
    "wrong-type": (
        "name: x\nrules:\n  - times: many\n    respond: {status: 500}\n",
        3,
        '$.rules[0].times: expected integer, got string "many"',
    ),
    "unknown-error-code": (
        "name: x\nrules:\n  - respond:\n      error: ModelArts.9999\n",
        4,
        "unknown error code ModelArts.9999",
    ),
    "bad-regex": (
        "name: x\nrules:\n  - match:\n      path_params:\n"
        "        dataset_id: {regex: '(unclosed'}\n"
        "      path: /v2/{project_id}/datasets/{dataset_id}\n    respond: {status: 500}\n",
        5,
        "bad regex '(unclosed'",
    ),
    "ambiguous-error-code": (
        "name: x\nrules:\n  - respond:\n      error: ModelArts.0210\n",
        4,
        "add 'status' to choose",
    ),
    "unknown-operation": (
        "name: x\nrules:\n  - match: {operation: StartEverything}\n    respond: {status: 500}\n",
        3,
        "unknown operation 'StartEverything'",
    ),
    "bad-expression": (
        "name: x\nrules:\n  - match:\n      body:\n        expressions: ['task_type equals 1']\n"
        "    respond: {status: 500}\n",
        5,
        "is not '<path> == <value>'",
    ),
    "body-off-contract": (
        "name: x\nrules:\n  - match: {operation: CreateTask}\n    respond:\n      status: 200\n"
        "      body: {task_id: 5}\n",
        6,
        "$.task_id: expected string",
    ),
}

# Hostile files (issue 13): each refused at load time with its line, nothing expanded or computed.
_TIMELINE = "name: x\nrules:\n  - respond:\n      timeline:\n"
_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
INVALID |= {
    "billion-laughs": (
        "name: x\nrules: [{respond: {status: 200}}]\na: &a [lol, lol, lol, lol, lol]\n" + _LAUGHS,
        4,
        "alias *a refused",
    ),
    "merge-key-alias": (
        "name: x\nrules:\n  - respond: &ok {status: 200}\n  - respond: *ok\n",
        4,
        "scenario files may not use aliases",
    ),
    "nested-too-deep": (
        "name: x\nrules:\n  - respond:\n      body: " + "[" * 100 + "]" * 100 + "\n",
        4,
        "nested deeper than 64 levels",
    ),
    "huge-integer": ("name: x\nseed: " + "9" * 5000 + "\nrules: []\n", 2, "5000 digits"),
    "after-inf": (
        _TIMELINE + "        - {after: .inf, status: running}\n",
        5,
        "'.inf' is not a finite",
    ),
    "after-1e400": (
        _TIMELINE + "        - {after: 1.0e+400, status: running}\n",
        5,
        "'1.0e+400' is not a finite number",
    ),
    "after-nan": (
        _TIMELINE + "        - {after: .nan, status: running}\n",
        5,
        "'.nan' is not a finite",
    ),
    "progress-nan": (
        _TIMELINE + "        - {after: 1, status: running, progress: .nan}\n",
        5,
        "'.nan' is not a finite number",
    ),
    "after-beyond-a-day": (
        _TIMELINE + "        - {after: 86401, status: running}\n",
        5,
        "$.rules[0].respond.timeline[0].after",
    ),
    "timeline-too-long": (
        _TIMELINE + "".join(f"        - {{after: {i}, status: running}}\n" for i in range(101)),
        4,
        "expected at most 100 items, got 101",
    ),
    "backreference-regex": (
        "name: x\nrules:\n  - match:\n      query:\n        q: {regex: '(a)\\1'}\n"
        "    respond: {status: 500}\n",
        5,
        "regexes use RE2 syntax",
    ),
    "lookahead-in-expression": (
        "name: x\nrules:\n  - match:\n      body:\n"
        "        expressions: ['model_id =~ \"(?=a)\"']\n    respond: {status: 500}\n",
        5,
        "regexes use RE2 syntax",
    ),
    "binary-value": (
        "name: x\nrules:\n  - respond:\n      body: {d: !!binary aGVsbG8=}\n",
        4,
        "binary values are not JSON",
    ),
    "set-value": (
        "name: x\nrules:\n  - respond:\n      body: !!set {a, b}\n",
        4,
        "set values are not JSON",
    ),
    "remote-ref-in-body-schema": (
        "name: x\nrules:\n  - match:\n      body:\n"
        "        schema: {$ref: 'http://127.0.0.1:9/x.json'}\n    respond: {status: 500}\n",
        5,
        "only references inside the schema",
    ),
    "dangling-ref-in-body-schema": (
        "name: x\nrules:\n  - match:\n      body:\n"
        "        schema: {$ref: '#/$defs/none'}\n    respond: {status: 500}\n",
        5,
        "points to nothing in the schema",
    ),
    "pattern-properties-in-body-schema": (
        "name: x\nrules:\n  - match:\n      body:\n        schema:\n"
        "          patternProperties: {'^(a+)+$': {}}\n    respond: {status: 500}\n",
        5,
        "patternProperties is not supported",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_file_stops_the_start_naming_file_line_and_reason(tmp_path, case):
    text, line, reason = INVALID[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)

    with pytest.raises(ScenarioError) as raised:
        create_app(Config(scenarios=(path,)))

    message = str(raised.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert reason in message


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_invalid_scenario_through_the_admin_api_is_400_with_the_same_text(client, case):
    text, line, reason = INVALID[case]

    response = await client.post("/_emulator/scenarios", data=text)

    body = await response.json()
    assert response.status == 400
    assert body["error_msg"].startswith(f"<admin API>:{line}:") and reason in body["error_msg"]
    assert (await (await client.get("/_emulator/scenarios")).json())["scenarios"] == []


def test_command_line_start_fails_with_the_message(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(INVALID["unknown-error-code"][0])

    result = subprocess.run(
        [
            *EMULATOR_COMMAND,
            *FREE_PORTS,
            "--scenarios",
            str(path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert f"{path}:4:" in result.stderr and "Traceback" not in result.stderr


def test_one_bad_file_in_a_folder_loads_nothing(tmp_path):
    (tmp_path / "a-good.yaml").write_text("name: good\nrules:\n  - respond: {status: 500}\n")
    (tmp_path / "b-bad.yaml").write_text(INVALID["wrong-type"][0])

    with pytest.raises(ScenarioError):
        create_app(Config(scenarios=(tmp_path,)))


def test_scenarios_come_from_flags_and_the_environment(tmp_path):
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    config = load_config(["--scenarios", str(first), "--scenarios", str(second)], {})
    from_env = load_config([], {"MODELARTS_EMULATOR_SCENARIOS": f"{first}:{second}"})

    assert config.scenarios == from_env.scenarios == (first, second)


async def test_deliberately_broken_contract_loads_with_a_warning(make_client, tmp_path):
    path = tmp_path / "drift.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: drift
        rules:
          - match: {operation: CreateTask}
            breaks_contract: true
            respond:
              status: 200
              body: {task_id: 5}
        """)
    )

    client = await make_client(scenarios=(path,))

    scenario = client.app[keys.SCENARIOS].get("drift")
    assert "$.task_id: expected string" in scenario.warnings[0]
    response = await client.post(TASKS_URL, json={}, headers={"X-Emulator-Scenario": "drift"})
    assert await response.json() == {"task_id": 5}


def test_json_scenario_files_load_too(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"name": "j", "rules": [{"respond": {"error": "ModelArts.0202"}}]}')

    app = create_app(Config(scenarios=(path,)))

    assert "j" in app[keys.SCENARIOS].scenarios
