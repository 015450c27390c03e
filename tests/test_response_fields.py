"""Every field of every documented response table is in the emulator's answers, and no
other.

A field without a value is sent as its documented default or ``null``; attribute bags
(label properties, sample metadata: fields named ``@modelarts:...``) keep only what is set.
A field the table does not list is left out, where the table describes the object whole.
"""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from emulator.api import keys
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL
from tests.schema_folders import schemas_with

BASE = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}"


def _absent(schema: dict, value: object, definitions: dict, path: str = "$") -> list[str]:
    while "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    properties = schema.get("properties", {})
    if isinstance(value, dict) and properties:
        if all(name.startswith("@") for name in properties):
            return []
        absent = [f"{path}.{name}" for name in properties if name not in value]
        for name, sub in properties.items():
            if name in value:
                absent += _absent(sub, value[name], definitions, f"{path}.{name}")
        return absent
    if isinstance(value, list) and "items" in schema:
        return [
            missing
            for item in value
            for missing in _absent(schema["items"], item, definitions, f"{path}[]")
        ]
    return []


@pytest.fixture
async def busy(make_client):
    """The demo dataset after an auto-labeling and an auto-grouping task have finished."""
    client = await make_client(clock="manual")
    labeled = await client.post(f"{BASE}/tasks", json={"task_type": "auto-label"})
    grouped = await client.post(
        f"{BASE}/tasks", json={"task_type": "auto-grouping", "config": {"n_clusters": 2}}
    )
    assert (labeled.status, grouped.status) == (200, 200)
    await client.post("/_emulator/clock/advance", json={"seconds": 600})
    client.task_id = (await labeled.json())["task_id"]
    return client


async def _first_id(client, url: str) -> str:
    return (await (await client.get(url)).json())["samples"][0]["sample_id"]


async def _resolved(client, url: str) -> str:
    """``url`` (of ``ANSWERS``) with its id: the first sample, auto sample or the task."""
    if "{sample}" in url:
        return url.format(sample=await _first_id(client, f"{BASE}/data-annotations/samples"))
    if "{auto_sample}" in url:
        return url.format(auto_sample=await _first_id(client, f"{BASE}/auto-annotations/samples"))
    return url.format(task=client.task_id) if "{task}" in url else url


# Every documented read of a dataset's state, by operation.
ANSWERS = [
    ("ListDatasets", f"/v2/{DEMO_PROJECT}/datasets"),
    ("DescDataset", BASE),
    ("ListLabels", f"{BASE}/data-annotations/labels"),
    ("GetDatasetStats", f"{BASE}/data-annotations/stats"),
    ("ListSamples", f"{BASE}/data-annotations/samples"),
    ("DescribeSample", f"{BASE}/data-annotations/samples/{{sample}}"),
    ("ListAutoAnnotationSamples", f"{BASE}/auto-annotations/samples"),
    ("DescribeAutoAnnotationSample", f"{BASE}/auto-annotations/samples/{{auto_sample}}"),
    ("ListTasks", f"{BASE}/tasks"),
    ("AutoAnnotationProgress", f"{BASE}/tasks/{{task}}"),
]


@pytest.mark.parametrize(("operation_id", "url"), ANSWERS)
async def test_every_documented_response_field_is_present(busy, operation_id, url):
    schema = busy.app[keys.CONTRACT].operations[operation_id].schemas["response-200"]

    response = await busy.get(await _resolved(busy, url))

    assert response.status == 200
    assert _absent(schema, await response.json(), schema.get("$defs", {})) == []


async def test_filling_the_answer_leaves_the_stored_records_alone(busy):
    listing = await (await busy.get(f"{BASE}/data-annotations/samples")).json()
    # A person's labels: the answer shows the documented `annotated_by`, empty.
    answered = next(
        sample
        for sample in listing["samples"]
        if sample["labels"] and sample["labels"][0]["annotated_by"] is None
    )
    stored = busy.app[keys.EMULATOR].datasets.sample(
        DEMO_PROJECT, DEMO_DATASET, answered["sample_id"]
    )

    assert all("annotated_by" not in label for label in stored.labels)


@pytest.mark.parametrize(
    "start", [{"task_type": "auto-label"}, {"task_type": "auto-label", "config": {}}]
)
async def test_a_task_started_without_config_shows_the_documented_config(make_client, start):
    client = await make_client(clock="manual")
    task_id = (await (await client.post(f"{BASE}/tasks", json=start)).json())["task_id"]

    config = (await (await client.get(f"{BASE}/tasks/{task_id}")).json())["config"]

    documented = {"collect_rule": "all", "collect_sample": True, "stop_time": 15}
    echoed = {"ambiguity": False, "worker_server_num": 0, "algorithm_type": "fast"}
    assert {name: config[name] for name in {**documented, **echoed}} == {**documented, **echoed}


async def test_fields_a_folders_open_response_object_allows_are_answered(tmp_path, make_client):
    # Answers leave out what their table does not list only where the table closes nothing
    # off: here the folder's task start documents a further config field, and the task's
    # answer takes any further config field.
    def open_config(schema: dict) -> None:
        schema["$defs"]["SmartTaskConfig"]["additionalProperties"] = True

    schemas = schemas_with(tmp_path / "s", "AutoAnnotationProgress.response-200.json", open_config)
    start = schemas / "CreateTask.request.json"
    schema = json.loads(start.read_text(encoding="utf-8"))
    schema["$defs"]["SmartTaskConfig"]["properties"]["team_note"] = {"type": "string"}
    start.write_text(json.dumps(schema), encoding="utf-8")
    client = await make_client(schemas_dir=schemas)
    config = {"algorithm_type": "fast", "team_note": "kept"}

    started = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": config})
    task = await (await client.get(f"{TASKS_URL}/{(await started.json())['task_id']}")).json()

    assert task["config"]["team_note"] == "kept"


@pytest.fixture
async def pre_labeled(make_client):
    """The demo dataset after a pre-labeling task and an auto-grouping saved to samples."""
    client = await make_client(clock="manual")
    inference = [{"specification": "modelarts.vm.cpu.2u", "instance_count": 1}]
    labeled = await client.post(
        f"{BASE}/tasks",
        json={
            "task_type": "pre-label",
            "model_id": "c4989033-7584-44ee-a180-1c476b810e46",
            "config": {"inf_config_list": inference},
        },
    )
    grouped = await client.post(
        f"{BASE}/tasks",
        json={
            "task_type": "auto-grouping",
            "config": {"n_clusters": 2, "result_type": 1, "property": "size_group"},
        },
    )
    assert (labeled.status, grouped.status) == (200, 200), await labeled.text()
    await client.post("/_emulator/clock/advance", json={"seconds": 600})
    client.task_id = (await labeled.json())["task_id"]
    return client


@pytest.mark.parametrize(("operation_id", "url"), ANSWERS)
async def test_every_answer_fits_the_published_strict_document(pre_labeled, operation_id, url):
    # What /openapi.json publishes is what answers hold: a pre-labeling task's config says
    # algorithm_type supervisory, its labels annotated_by auto, and sample metadata carries
    # the grouping saved to samples (attribute bags stay open in answers).
    client = pre_labeled
    document = await (await client.get("/openapi.json")).json()
    schema = {
        "$ref": f"#/components/schemas/{operation_id}.response-200",
        "components": document["components"],
    }

    answer = await (await client.get(await _resolved(client, url))).json()

    errors = [error.message for error in Draft202012Validator(schema).iter_errors(answer)]
    assert errors == []


async def test_a_nested_field_the_request_table_does_not_list_is_ignored(tmp_path, make_client):
    # Lenient mode takes it and forgets it, as the service does: even an answer that would
    # take any further config field has none to show.
    def open_config(schema: dict) -> None:
        schema["$defs"]["SmartTaskConfig"]["additionalProperties"] = True

    schemas = schemas_with(tmp_path / "s", "AutoAnnotationProgress.response-200.json", open_config)
    client = await make_client(schemas_dir=schemas)
    config = {"algorithm_type": "fast", "team_note": "ignored"}

    started = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": config})
    task = await (await client.get(f"{TASKS_URL}/{(await started.json())['task_id']}")).json()

    assert started.status == 200
    assert task["config"]["algorithm_type"] == "fast"
    assert "team_note" not in task["config"]
