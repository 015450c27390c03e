"""Constraints the reference states in prose are enforced over HTTP, and defaults applied.

Each refusal is 400 ModelArts.4200 naming the field; lengths, character sets and option
lists hold in lenient mode too (lenient mode only converts strings and ignores unknown
fields).
"""

from __future__ import annotations

import base64

import pytest

from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL

DATASETS = f"/v2/{DEMO_PROJECT}/datasets"
SAMPLES = f"{DATASETS}/{DEMO_DATASET}/data-annotations/samples"
LABELS = f"{DATASETS}/{DEMO_DATASET}/data-annotations/labels"
STRICT = {"X-Emulator-Strict": "true"}


def _dataset(**fields) -> dict:
    return {
        "dataset_name": "ok-name",
        "work_path": "/demo-bucket/out/",
        "work_path_type": 0,
        "data_sources": [{"data_type": 0, "data_path": "/demo-bucket/in/"}],
        **fields,
    }


async def _refused(response, field: str) -> str:
    body = await response.json()
    assert (response.status, body["error_code"]) == (400, "ModelArts.4200"), body
    assert f"{field}: " in body["error_msg"], body
    return body["error_msg"]


@pytest.mark.parametrize("strict", [False, True])
async def test_a_long_dataset_name_full_of_angle_brackets_is_refused(client, strict):
    name = "<>" * 90
    response = await client.post(
        DATASETS, json=_dataset(dataset_name=name), headers=STRICT if strict else {}
    )

    message = await _refused(response, "$.dataset_name")
    assert "expected at most 100 characters, got 180" in message


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"dataset_name": "a" * 101}, "$.dataset_name"),
        ({"dataset_name": "new\n"}, "$.dataset_name"),
        ({"description": "d" * 257}, "$.description"),
        ({"description": "<script>"}, "$.description"),
        ({"work_path": "/a"}, "$.work_path"),
        ({"workforce_information": {"task_name": "t" * 65}}, "$.workforce_information.task_name"),
        (
            {"labels": [{"name": "cat", "attributes": [{"name": "n" * 65}]}]},
            "$.labels[0].attributes[0].name",
        ),
        ({"labels": [{"type": 0}]}, "$.labels[0].name"),
    ],
)
async def test_documented_length_and_character_rules_of_a_new_dataset(client, fields, named):
    response = await client.post(DATASETS, json=_dataset(**fields))

    await _refused(response, named)


async def test_label_attribute_name_up_to_64_characters(client):
    label = {"name": "zebra", "attributes": [{"name": "n" * 65, "type": "text"}]}
    response = await client.post(LABELS, json={"labels": [label]})

    await _refused(response, "$.labels[0].attributes[0].name")


async def test_sample_names_up_to_1024_characters(client):
    sample = {"name": "s" * 1025 + ".jpg", "data": base64.b64encode(b"img").decode()}
    response = await client.post(SAMPLES, json={"samples": [sample]})

    await _refused(response, "$.samples[0].name")


@pytest.mark.parametrize("strict", [False, True])
async def test_sample_data_is_a_base64_string_on_the_wire(client, strict):
    sample = {"name": "wire.jpg", "data": base64.b64encode(b"\xff\xd8\xff\xe0jpeg").decode()}
    response = await client.post(
        SAMPLES, json={"samples": [sample]}, headers=STRICT if strict else {}
    )

    assert response.status == 200, await response.text()


@pytest.mark.parametrize(("value", "status"), [("5", 400), ("600", 200), ("900", 200)])
async def test_sample_list_label_type_is_one_of_the_documented_options(client, value, status):
    response = await client.get(SAMPLES, params={"label_type": value})

    assert response.status == status
    if status == 400:
        await _refused(response, "$.label_type")


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"version_format": "Parquet"}, "$.config.version_format"),
        ({"confidence_scope": "0.10-1.50"}, "$.config.confidence_scope"),
        (
            {"samples": [{"metadata": {"@modelarts:hard": 2}}]},
            "$.config.samples[0].metadata.@modelarts:hard",
        ),
        (
            {"samples": [{"labels": [{"property": {"@modelarts:hard_coefficient": "1.5"}}]}]},
            "$.config.samples[0].labels[0].property.@modelarts:hard_coefficient",
        ),
    ],
)
async def test_documented_options_and_ranges_of_a_task(client, config, named):
    response = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": config})

    await _refused(response, named)


async def test_documented_defaults_fill_a_task_config(client):
    started = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"algorithm_type": "fast"}}
    )
    task_id = (await started.json())["task_id"]

    config = (await (await client.get(f"{TASKS_URL}/{task_id}")).json())["config"]

    assert config["collect_rule"] == "all"
    assert config["collect_sample"] is True
    assert config["stop_time"] == 15


async def test_a_default_never_overrides_a_value_sent(client):
    started = await client.post(
        TASKS_URL,
        json={"task_type": "auto-label", "config": {"collect_sample": False, "stop_time": 3}},
    )
    task_id = (await started.json())["task_id"]

    config = (await (await client.get(f"{TASKS_URL}/{task_id}")).json())["config"]

    assert (config["collect_sample"], config["stop_time"]) == (False, 3)


@pytest.mark.parametrize("label", [{}, {"name": ""}])
async def test_a_samples_label_needs_a_name_as_the_published_schema_says(client, label):
    sample = {"name": "cat.jpg", "data": base64.b64encode(b"img").decode(), "labels": [label]}
    response = await client.post(SAMPLES, json={"samples": [sample]})

    await _refused(response, "$.samples[0].labels[0].name")
