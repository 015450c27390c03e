"""Hostile scenario input (issue 13): alias bombs, deep or huge JSON, non-finite numbers,
oversized files and backtracking regexes are refused or harmless, and the server keeps
serving. The per-file cases with their file:line are in ``test_scenario_files.py``."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess

import pytest
import yaml

from emulator.app import create_app
from emulator.config import Config
from emulator.safe_yaml import MAX_SCENARIO_BYTES
from emulator.scenarios.engine import MAX_RUNTIME_SCENARIOS
from emulator.scenarios.loader import ScenarioError
from tests.conftest import DEMO_PROJECT, EMULATOR_COMMAND, FREE_PORTS, REPO

DATASETS_URL = f"/v2/{DEMO_PROJECT}/datasets"
GOOD = "name: good\nrules:\n  - respond: {status: 500}\n"
# 1 KB of YAML that a plain safe_load expands into 9**9 (387 million) strings.
BILLION_LAUGHS = (
    "name: x\nrules: [{respond: {status: 200}}]\n"
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)
HOSTILE_JSON = {
    "deep": '{"name": "x", "rules": ' + "[" * 5000 + "]" * 5000 + "}",
    "huge integer": '{"name": "x", "seed": ' + "9" * 5000 + ', "rules": [{"respond": {}}]}',
    "non-finite": '{"name": "x", "rules": [{"respond": {"timeline": '
    '[{"after": 1.0e+400, "status": "running"}]}}]}',
}


async def _refused(response) -> str:
    assert response.status == 400
    body = await response.json()
    assert body["error_code"] == "ModelArts.4200"
    return body["error_msg"]


async def _still_serving(client) -> None:
    assert (await client.post("/_emulator/scenarios", data=GOOD)).status == 201


async def test_billion_laughs_through_the_control_api_is_refused_at_the_first_alias(client):
    message = await _refused(await client.post("/_emulator/scenarios", data=BILLION_LAUGHS))

    assert message.startswith("<admin API>:4:")
    assert "alias *a refused" in message
    await _still_serving(client)


def test_billion_laughs_in_a_scenario_file_stops_the_start_naming_the_line(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)

    with pytest.raises(ScenarioError, match=f"^{path}:4:.*alias"):
        create_app(Config(scenarios=(path,)))


def test_an_oversized_scenario_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "#" * MAX_SCENARIO_BYTES)

    with pytest.raises(ScenarioError) as raised:
        create_app(Config(scenarios=(path,)))

    assert str(raised.value) == (
        f"{path}: {path.stat().st_size} bytes; a scenario file may have at most "
        f"{MAX_SCENARIO_BYTES}"
    )


async def test_an_oversized_scenario_through_the_control_api_is_400(client):
    message = await _refused(
        await client.post("/_emulator/scenarios", data=GOOD + "#" * MAX_SCENARIO_BYTES)
    )

    assert f"a scenario file may have at most {MAX_SCENARIO_BYTES}" in message


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_hostile_json_to_the_scenario_api_is_400(client, case, method):
    url = "/_emulator/scenarios" + ("/x" if method == "PUT" else "")

    message = await _refused(await client.request(method, url, data=HOSTILE_JSON[case]))

    assert message.startswith("<admin API>:1:")
    await _still_serving(client)


def test_a_non_finite_timeline_stops_the_start_with_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "endless.yaml"
    path.write_text(
        "name: endless\nrules:\n  - respond:\n      timeline:\n"
        "        - {after: .inf, status: running}\n"
    )

    result = subprocess.run(
        [*EMULATOR_COMMAND, *FREE_PORTS, "--scenarios", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"modelarts-emulator: {path}:5:19: '.inf' is not a finite number"
    ]


BACKTRACKING = """
name: backtracking
rules:
  - match: {method: GET, query: {name: {regex: "^(a+)+$"}}}
    respond: {status: 418}
"""


@pytest.mark.parametrize(("name", "status"), [("a" * 40, 418), ("a" * 40 + "!", 200)])
async def test_a_backtracking_query_regex_cannot_block_the_server(client, name, status):
    # With a backtracking engine 41 characters would take days; RE2 answers at once.
    assert (await client.post("/_emulator/scenarios", data=BACKTRACKING)).status == 201

    response = await client.get(
        DATASETS_URL, params={"name": name}, headers={"X-Emulator-Scenario": "backtracking"}
    )

    assert response.status == status


BACKTRACKING_BODY = """
name: backtracking-body
rules:
  - match:
      method: POST
      body:
        expressions: ['model_id =~ "^(a+)+$"']
        schema: {properties: {description: {pattern: "^(b+)+$"}}}
    respond: {status: 418}
"""


async def test_backtracking_body_regexes_cannot_block_the_server(client):
    assert (await client.post("/_emulator/scenarios", data=BACKTRACKING_BODY)).status == 201
    selected = {"X-Emulator-Scenario": "backtracking-body"}
    url = f"{DATASETS_URL}/DemoImageDataset001/tasks"

    missed = await client.post(
        url, json={"model_id": "a" * 40 + "!", "description": "b"}, headers=selected
    )
    matched = await client.post(
        url, json={"model_id": "a" * 40, "description": "b" * 40}, headers=selected
    )
    schema_missed = await client.post(
        url, json={"model_id": "a", "description": "b" * 40 + "!"}, headers=selected
    )

    assert matched.status == 418
    assert 'model_id =~ "^(a+)+$" is false' in missed.headers["X-Emulator-Near-Miss"]
    assert "does not fit the rule's schema" in schema_missed.headers["X-Emulator-Near-Miss"]


COUNTED_REPEAT = """
name: counted-repeat
rules:
  - match:
      method: POST
      body:
        expressions: ['model_id =~ "a.{300}c"']
    respond: {status: 418}
"""


async def test_a_slow_body_regex_on_a_large_body_leaves_others_served(client):
    # RE2 gives up its fast matcher on a.{300}c: about 2 s a megabyte of varied text. On a
    # body over 256 KiB the rules' body conditions are checked on a worker thread.
    assert (await client.post("/_emulator/scenarios", data=COUNTED_REPEAT)).status == 201
    varied = "".join(random.Random(7).choices("ab", k=300_000))
    finished: list[str] = []

    async def slow() -> int:
        response = await client.post(
            f"{DATASETS_URL}/DemoImageDataset001/tasks",
            json={"model_id": varied},
            headers={"X-Emulator-Scenario": "counted-repeat"},
        )
        finished.append("slow")
        return response.status

    started = asyncio.create_task(slow())
    await asyncio.sleep(0.2)  # the slow one is being matched
    health = await client.get("/_emulator/health")
    finished.append("health")

    assert health.status == 200
    assert await started != 418
    assert finished == ["health", "slow"]


async def test_a_scenario_removed_while_a_large_body_is_checked_is_named_unknown(client):
    assert (await client.post("/_emulator/scenarios", data=COUNTED_REPEAT)).status == 201
    varied = "".join(random.Random(7).choices("ab", k=300_000))
    slow = asyncio.create_task(
        client.post(
            f"{DATASETS_URL}/DemoImageDataset001/tasks",
            json={"model_id": varied},
            headers={"X-Emulator-Scenario": "counted-repeat"},
        )
    )
    await asyncio.sleep(0.2)  # its body conditions are being checked

    removed = await client.delete("/_emulator/scenarios/counted-repeat")
    answer = await slow

    assert removed.status == 204
    assert answer.status == 400, await answer.text()
    assert "unknown scenario(s) counted-repeat" in (await answer.json())["error_msg"]


DATED = """
name: dated
rules:
  - respond: {status: 200, body: {since: 2024-01-01, 2024-02-02: key}}
"""


async def test_yaml_dates_in_a_scripted_body_are_answered_as_the_text_written(client):
    assert (await client.post("/_emulator/scenarios", data=DATED)).status == 201

    response = await client.get(DATASETS_URL, headers={"X-Emulator-Scenario": "dated"})

    assert response.status == 200
    assert await response.json() == {"since": "2024-01-01", "2024-02-02": "key"}


async def test_json_numbers_with_exponents_are_answered_as_numbers(client):
    body = {"big": 1e20, "small": 2e-5, "written": 1.5e10, "huge": 1e300}
    scenario = {"name": "exponents", "rules": [{"respond": {"status": 200, "body": body}}]}
    text = json.dumps(scenario)
    assert "1e+20" in text and "2e-05" in text  # the forms YAML 1.1 would take for text

    assert (await client.post("/_emulator/scenarios", data=text)).status == 201
    response = await client.get(DATASETS_URL, headers={"X-Emulator-Scenario": "exponents"})

    assert await response.json() == body


async def test_yaml_text_keeps_yaml_1_1s_reading_as_pyyaml_writes_it(client):
    written = yaml.safe_dump({"name": "written", "rules": [{"respond": {"body": {"v": "1e5"}}}]})
    assert "v: 1e5" in written  # the string, unquoted: YAML 1.1 reads it back as text

    assert (await client.post("/_emulator/scenarios", data=written)).status == 201
    response = await client.get(DATASETS_URL, headers={"X-Emulator-Scenario": "written"})

    assert await response.json() == {"v": "1e5"}


async def test_a_json_number_past_the_float_range_is_refused_naming_the_line(client):
    text = '{"name": "too-big",\n "rules": [{"respond": {"body": {"n": 1e999}}}]}'

    response = await client.post("/_emulator/scenarios", data=text)

    assert response.status == 400
    message = (await response.json())["error_msg"]
    assert message == "<admin API>:2:39: '1e999' is not a finite number"


ECHOING = """
name: echoing
rules:
  - respond: {status: 200, body: {a: ["{{ body.x }}", "{{ body.x }}", "{{ body.x }}"]}}
"""


async def test_a_placeholder_fills_from_the_body_without_a_body_condition(client):
    assert (await client.post("/_emulator/scenarios", data=ECHOING)).status == 201

    response = await client.post(
        DATASETS_URL, json={"x": [1, "two"]}, headers={"X-Emulator-Scenario": "echoing"}
    )

    assert await response.json() == {"a": [[1, "two"]] * 3}


async def test_an_answer_that_would_fill_past_its_limit_is_413_and_the_server_serves_on(client):
    repeated = {
        "name": "repeated",
        "rules": [{"respond": {"status": 200, "body": {"a": ["{{ body.x }}"] * 10_000}}}],
    }
    assert (await client.post("/_emulator/scenarios", json=repeated)).status == 201

    response = await client.post(
        DATASETS_URL, json={"x": "y" * 50_000}, headers={"X-Emulator-Scenario": "repeated"}
    )

    body = await response.json()
    assert (response.status, body["error_code"]) == (413, "ModelArts.4104")
    assert "repeated/" in body["error_msg"] and "12,582,912 characters" in body["error_msg"]
    assert (await client.get(DATASETS_URL)).status == 200


async def test_escapes_count_toward_the_answers_limit(client):
    six = {"name": "six", "rules": [{"respond": {"body": {"v": ["{{ body.s }}"] * 6}}}]}
    assert (await client.post("/_emulator/scenarios", json=six)).status == 201

    # 400,000 characters, each sent as a 6-character escape: 14.4 million in the answer
    response = await client.post(
        DATASETS_URL, json={"s": "\u4e00" * 400_000}, headers={"X-Emulator-Scenario": "six"}
    )

    assert (response.status, (await response.json())["error_code"]) == (413, "ModelArts.4104")


@pytest.fixture
def fewer_steps(monkeypatch):
    """Matching budgets a tenth of the real ones: the same stop, in less time."""
    from emulator.scenarios import matcher

    monkeypatch.setattr(matcher, "MAX_SUBSET_STEPS", 100_000)
    monkeypatch.setattr(matcher, "MAX_SCHEMA_STEPS", 5_000)


async def test_a_subset_too_large_to_compare_is_a_near_miss_not_a_stall(client, fewer_steps):
    wanted = {"x": [{"k": number} for number in range(1000)]}
    rule = {"match": {"method": "POST", "body": {"subset": wanted}}, "respond": {"status": 418}}
    assert (
        await client.post("/_emulator/scenarios", json={"name": "subset", "rules": [rule]})
    ).status == 201
    body = {"x": [{"k": -1}] * 2_000 + wanted["x"]}  # every item found, but only at the end

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json=body,
        headers={"X-Emulator-Scenario": "subset"},
    )

    assert response.status != 418
    assert (
        "not compared with the rule's subset past 100,000 steps"
        in (response.headers["X-Emulator-Near-Miss"])
    )


async def test_a_body_schema_is_not_checked_past_its_steps_on_a_huge_body(client, fewer_steps):
    schema = {"type": "object", "properties": {"x": {"type": "array", "items": {"type": "object"}}}}
    rule = {"match": {"method": "POST", "body": {"schema": schema}}, "respond": {"status": 418}}
    await client.post("/_emulator/scenarios", json={"name": "schema", "rules": [rule]})

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json={"x": [{"k": number} for number in range(10_000)]},  # fits, all of it
        headers={"X-Emulator-Scenario": "schema"},
    )

    assert response.status != 418
    assert (
        "body not checked against the rule's schema past 5,000 checks"
        in (response.headers["X-Emulator-Near-Miss"])
    )


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "array", "uniqueItems": True}, "uniqueItems is not supported in body schemas"),
        (
            {"unevaluatedProperties": False, "dependentSchemas": {"a": {"$ref": "#"}}},
            "unevaluatedProperties is not supported in body schemas",
        ),
        ({"enum": list(range(101))}, "an enum of 101 values (at most 100)"),
        (
            {"items": {"properties": {f"p{number}": {} for number in range(1000)}}},
            "a schema of more than 2000 values",
        ),
    ],
    ids=["uniqueItems", "unevaluatedProperties", "enum-of-101", "1000-properties"],
)
async def test_body_schema_keywords_whose_cost_grows_with_the_square_are_refused(
    client, schema, reason
):
    rule = {"match": {"body": {"schema": schema}}, "respond": {"status": 418}}

    response = await client.post("/_emulator/scenarios", json={"name": "sq", "rules": [rule]})

    assert response.status == 400
    assert reason in (await response.json())["error_msg"]


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        (
            {"type": "object", "properties": {"uniqueItems": {"type": "array"}}},
            {"uniqueItems": [1, 1]},
        ),
        ({"properties": {"$id": {"const": "a"}}, "required": ["$id"]}, {"$id": "a"}),
        (
            {"const": {"pattern": "(?=x)", "$ref": "elsewhere"}},
            {"pattern": "(?=x)", "$ref": "elsewhere"},
        ),
        (
            {"properties": {"x": {"enum": [{"patternProperties": {}}]}}},
            {"x": {"patternProperties": {}}},
        ),
    ],
    ids=["property-named-uniqueItems", "property-named-$id", "const-object", "enum-object"],
)
async def test_keyword_names_as_data_are_no_keywords(client, schema, body):
    rule = {"match": {"method": "POST", "body": {"schema": schema}}, "respond": {"status": 418}}
    loaded = await client.post("/_emulator/scenarios", json={"name": "data", "rules": [rule]})

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json=body,
        headers={"X-Emulator-Scenario": "data"},
    )

    assert loaded.status == 201, await loaded.text()
    assert response.status == 418


async def test_a_reference_into_data_is_checked_as_the_schema_it_becomes(client):
    schema = {"$ref": "#/examples/0", "examples": [{"type": "array", "uniqueItems": True}]}
    rule = {"match": {"body": {"schema": schema}}, "respond": {"status": 418}}

    response = await client.post("/_emulator/scenarios", json={"name": "sq", "rules": [rule]})

    assert response.status == 400
    assert "uniqueItems is not supported in body schemas" in (await response.json())["error_msg"]


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        (
            {
                "properties": {
                    "x": {
                        "$schema": "http://json-schema.org/draft-03/schema#",
                        "extends": {"uniqueItems": True},
                    }
                }
            },
            "$schema is not supported below a body schema's root",
        ),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "pattern": "^(a+)+$"},
            "$schema: body schemas are JSON Schema https://json-schema.org/draft/2020-12/schema",
        ),
        ({"required": ["a"], "$ref": "#/required"}, "points to a value that is not a schema"),
    ],
    ids=["draft-3-below-the-root", "draft-7-at-the-root", "ref-to-a-list"],
)
async def test_a_body_schema_jsonschema_would_read_otherwise_is_refused(client, schema, reason):
    rule = {"match": {"body": {"schema": schema}}, "respond": {"status": 418}}

    response = await client.post("/_emulator/scenarios", json={"name": "other", "rules": [rule]})

    assert response.status == 400
    assert reason in (await response.json())["error_msg"]


async def test_a_reference_to_the_root_keeps_re2_when_the_root_names_its_draft(client):
    # jsonschema picks a reference target's validator by its "$schema": with the root's
    # kept, "$ref": "#" matched the pattern with Python's re (40 a's: hours).
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "pattern": "^(a+)+$",
        "properties": {"a": {"$ref": "#"}},
    }
    rule = {"match": {"method": "POST", "body": {"schema": schema}}, "respond": {"status": 418}}
    await client.post("/_emulator/scenarios", json={"name": "root", "rules": [rule]})

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json={"a": "a" * 40 + "!"},
        headers={"X-Emulator-Scenario": "root"},
    )

    assert response.status != 418
    assert "does not match" in response.headers["X-Emulator-Near-Miss"]


async def test_a_subset_found_within_the_steps_matches(client):
    wanted = {"x": [{"k": number} for number in range(100)]}
    rule = {"match": {"method": "POST", "body": {"subset": wanted}}, "respond": {"status": 418}}
    await client.post("/_emulator/scenarios", json={"name": "subset", "rules": [rule]})

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json={"x": [{"k": -1}] * 1000 + wanted["x"]},
        headers={"X-Emulator-Scenario": "subset"},
    )

    assert response.status == 418


SELF_REFERENCE = """
name: self-reference
rules:
  - match:
      method: POST
      body: {schema: {$defs: {a: {$ref: "#/$defs/a"}}, $ref: "#/$defs/a"}}
    respond: {status: 418}
"""


async def test_a_body_schema_that_refers_to_itself_is_a_near_miss_not_a_crash(client):
    assert (await client.post("/_emulator/scenarios", data=SELF_REFERENCE)).status == 201

    response = await client.post(
        f"{DATASETS_URL}/DemoImageDataset001/tasks",
        json={"task_type": "auto-label"},
        headers={"X-Emulator-Scenario": "self-reference"},
    )

    assert response.status < 500
    assert "refers to itself without end" in response.headers["X-Emulator-Near-Miss"]


async def test_a_long_run_of_blanks_in_a_placeholder_loads_at_once(client):
    # The old placeholder pattern was cubic here: 5,000 blanks took two minutes.
    body = (
        '{"name": "blanks", "rules": [{"respond": {"status": 200, "body": "{{'
        + " " * 50_000
        + '"}}]}'
    )

    response = await client.post("/_emulator/scenarios", data=body)

    assert response.status == 201


async def test_a_long_run_of_blanks_in_a_body_expression_is_refused_at_once(client):
    # The old expression pattern was quadratic here: 20,000 blanks took three seconds.
    expression = "model_id == x" + " " * 200_000 + "y"
    body = (
        '{"name": "blanks", "rules": [{"match": {"body": {"expressions": ["'
        + expression
        + '"]}}, "respond": {"status": 200}}]}'
    )

    message = await _refused(await client.post("/_emulator/scenarios", data=body))

    assert "is not a JSON value" in message


async def test_scenarios_loaded_at_runtime_are_capped(client):
    for index in range(MAX_RUNTIME_SCENARIOS):
        text = f"name: s{index}\nrules:\n  - respond: {{status: 500}}\n"
        assert (await client.post("/_emulator/scenarios", data=text)).status == 201

    message = await _refused(await client.post("/_emulator/scenarios", data=GOOD))

    assert f"At most {MAX_RUNTIME_SCENARIOS} scenarios" in message
    assert (
        await client.put("/_emulator/scenarios/s0", data=GOOD.replace("good", "s0"))
    ).status == 200
    assert (await client.post("/_emulator/reset")).status == 200
    await _still_serving(client)


SURROGATES = """
name: surrogates
rules:
  - match:
      method: POST
      headers: {X-Label: {regex: "^x"}}
      body: {expressions: ['model_id =~ "^m"']}
    respond: {status: 418}
"""


async def test_regexes_take_text_that_is_not_utf8(client):
    assert (await client.post("/_emulator/scenarios", data=SURROGATES)).status == 201
    body = b'{"model_id": "m\\ud800"}'
    request = (
        (
            f"POST {DATASETS_URL}/DemoImageDataset001/tasks HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nX-Emulator-Scenario: surrogates\r\nX-Auth-Token: t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n"
        ).encode()
        + b"X-Label: x\xff\r\n\r\n"
        + body
    )
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(request)
    await writer.drain()

    status_line = await reader.readline()
    writer.close()

    assert status_line.startswith(b"HTTP/1.1 418")
