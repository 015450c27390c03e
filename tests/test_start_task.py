"""Starting intelligent tasks through HTTP: the documented examples, lenient and strict modes."""

from __future__ import annotations

import json
import re

import pytest

from emulator.api import keys
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL, load_example

EXAMPLES = ["start-auto-label.json", "start-pre-label.json", "start-auto-grouping.json"]
TASK_ID = re.compile(r"^[A-Za-z0-9]{19}$")


@pytest.mark.parametrize("example", EXAMPLES)
async def test_documented_example_is_accepted_with_a_task_id(client, example):
    response = await client.post(TASKS_URL, json=load_example(example))

    assert response.status == 200
    assert TASK_ID.match((await response.json())["task_id"])


async def test_documented_examples_of_the_api_page_are_accepted(client):
    examples = client.app[keys.CONTRACT].operations["CreateTask"].examples["request"]
    assert len(examples) == 3
    for example in examples:
        response = await client.post(TASKS_URL, json=example)
        assert response.status == 200, await response.text()


async def test_task_ids_are_distinct(make_client):
    client = await make_client(max_running_tasks=100)
    ids = set()
    for _ in range(50):
        response = await client.post(TASKS_URL, json=load_example("start-auto-label.json"))
        ids.add((await response.json())["task_id"])
    assert len(ids) == 50


@pytest.mark.parametrize("example", ["start-auto-label.json", "start-pre-label.json"])
async def test_strict_mode_accepts_examples_that_follow_the_tables(strict_client, example):
    response = await strict_client.post(TASKS_URL, json=load_example(example))

    assert response.status == 200


async def test_strict_mode_names_each_deviation_of_the_auto_grouping_example(strict_client):
    response = await strict_client.post(TASKS_URL, json=load_example("start-auto-grouping.json"))

    assert response.status == 400
    body = await response.json()
    assert body["error_code"] == "ModelArts.4200"
    assert "$.type: unknown field" in body["error_msg"]
    assert "$.export_type: unknown field" in body["error_msg"]
    assert '$.config.n_clusters: expected integer, got string "2"' in body["error_msg"]


async def test_a_body_sent_again_is_accepted_as_the_first_time(client):
    example = load_example("start-auto-grouping.json")  # n_clusters "2": converted (lenient)

    ids = [(await (await client.post(TASKS_URL, json=example)).json())["task_id"] for _ in "ab"]
    tasks = [await (await client.get(f"{TASKS_URL}/{task_id}")).json() for task_id in ids]

    assert ids[0] != ids[1]
    assert tasks[0]["config"] == tasks[1]["config"]
    assert tasks[0]["config"]["n_clusters"] == 2


@pytest.mark.parametrize("mode", ["false", "true"])
async def test_a_whole_number_written_with_a_fraction_is_the_integer(client, mode):
    # JSON Schema counts 2.0 as an integer, as a typed field of the service reads it.
    config = {**load_example("start-auto-grouping.json")["config"], "n_clusters": 2.0}
    body = {"task_type": "auto-grouping", "config": config}
    headers = {"X-Emulator-Strict": mode}

    started = await client.post(TASKS_URL, json=body, headers=headers)
    task_id = (await started.json())["task_id"]
    task = await (await client.get(f"{TASKS_URL}/{task_id}")).json()

    assert started.status == 200
    assert task["config"]["n_clusters"] == 2
    assert type(task["config"]["n_clusters"]) is int


async def test_a_config_field_the_table_does_not_list_is_ignored_not_echoed(client):
    # Lenient mode ignores it, as the service does: its answers come from typed records.
    config = {"algorithm_type": "fast", "algoritm_type": "accurate", "notes": {"a": 1}}

    started = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": config})
    task_id = (await started.json())["task_id"]
    task = await (await client.get(f"{TASKS_URL}/{task_id}")).json()
    listed = await (await client.get(TASKS_URL)).json()

    assert started.status == 200
    assert task["config"]["algorithm_type"] == "fast"
    assert "algoritm_type" not in task["config"]
    assert "notes" not in task["config"]
    assert "notes" not in listed["tasks"][0]["config"]


async def test_a_remembered_body_comes_back_as_a_new_copy_each_time(client):
    validator = client.app[keys.CONTRACT].operations["CreateTask"].validator("request")
    raw = b'{"config": {"n_clusters": "2", "inf_config_list": [{"instance_count": 1}]}}'
    payload = json.loads(raw)
    assert validator.validate(payload, strict=False, source=((), raw)) == []

    _, first = validator.remembered(((), raw), strict=False)
    first["config"]["inf_config_list"][0]["weight"] = 5
    _, second = validator.remembered(((), raw), strict=False)

    assert second == payload
    assert "weight" not in second["config"]["inf_config_list"][0]


async def test_strict_header_turns_strict_mode_on_for_one_request(client):
    example = load_example("start-auto-grouping.json")

    strict = await client.post(TASKS_URL, json=example, headers={"X-Emulator-Strict": "true"})
    lenient = await client.post(TASKS_URL, json=example)

    assert (strict.status, lenient.status) == (400, 200)


async def test_strict_header_turns_strict_mode_off_for_one_request(strict_client):
    example = load_example("start-auto-grouping.json")

    response = await strict_client.post(
        TASKS_URL, json=example, headers={"X-Emulator-Strict": "false"}
    )

    assert response.status == 200


@pytest.mark.parametrize("value", ["sometimes", "1", "yes", "TRUE"])
async def test_strict_header_with_a_value_other_than_true_or_false_is_refused(client, value):
    # /openapi.json lists true and false for the header: nothing else is taken.
    response = await client.post(TASKS_URL, json={}, headers={"X-Emulator-Strict": value})

    body = await response.json()
    assert response.status == 400
    assert body["error_code"] == "ModelArts.4200"
    assert "X-Emulator-Strict" in body["error_msg"]


async def test_unknown_dataset_is_refused_as_the_catalog_says(client):
    url = f"/v2/{DEMO_PROJECT}/datasets/NoSuchDataset000000/tasks"

    response = await client.post(url, json=load_example("start-auto-label.json"))

    assert response.status == 400
    body = await response.json()
    assert body["error_code"] == "ModelArts.4352"
    assert body["error_msg"].startswith("Dataset does not exist")


async def test_unknown_project_is_refused_like_an_unknown_dataset(client):
    url = f"/v2/00000000000000000000000000000000/datasets/{DEMO_DATASET}/tasks"

    response = await client.post(url, json=load_example("start-auto-label.json"))

    assert (await response.json())["error_code"] == "ModelArts.4352"


async def test_start_response_conforms_to_the_documented_schema(client):
    validator = client.app[keys.CONTRACT].operations["CreateTask"].validator("response-200")
    response = await client.post(TASKS_URL, json=load_example("start-auto-label.json"))

    assert validator.validate(await response.json(), strict=True) == []
