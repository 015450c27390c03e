"""The intelligent-task story as a client lives it, on the manual clock.

A dataset is created over images uploaded to OBS, labeled, auto labeled, polled through
every status, listed, read back, and another task is stopped; every precondition error
comes with its catalog code.
"""

from __future__ import annotations

import asyncio

import pytest

from emulator.api import keys
from tests.conftest import DEMO_DATASET, DEMO_PROJECT

PROJECT = DEMO_PROJECT
DATASETS = f"/v2/{PROJECT}/datasets"


@pytest.fixture
async def story(make_client, serve_obs):
    """A manual-clock emulator, its OBS served too, and a boto3 client for that OBS."""
    client = await make_client(clock="manual", task_duration=10)
    return client, await serve_obs(client)


async def _upload(s3, bucket: str, names: list[str]) -> None:
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    for name in names:
        await asyncio.to_thread(s3.put_object, Bucket=bucket, Key=f"in/{name}", Body=b"img")


async def _json(response, status: int = 200):
    assert response.status == status, await response.text()
    return await response.json() if response.status != 204 else None


async def _dataset(
    client,
    s3,
    *,
    labeled: dict[str, int],
    unlabeled: int,
    dataset_type: int = 0,
    bucket: str = "story",
) -> str:
    """A dataset over new images: ``labeled`` maps label names to how many samples have them."""
    names = [f"{label}-{i}.jpg" for label, count in labeled.items() for i in range(count)]
    names += [f"new-{i}.jpg" for i in range(unlabeled)]
    await _upload(s3, bucket, names)
    created = await _json(
        await client.post(
            DATASETS,
            json={
                "dataset_name": bucket,
                "dataset_type": dataset_type,
                "work_path": f"/{bucket}/out/",
                "work_path_type": 0,
                "data_sources": [{"data_type": 0, "data_path": f"/{bucket}/in/"}],
                "labels": [{"name": name} for name in labeled],
            },
        ),
        201,
    )
    dataset_id = created["dataset_id"]
    samples_url = f"{DATASETS}/{dataset_id}/data-annotations/samples"
    listed = await _json(await client.get(samples_url, params={"limit": 100}))
    updates = []
    for sample in listed["samples"]:
        label = sample["sample_name"].split("-")[0]
        if label in labeled:
            updates.append({"sample_id": sample["sample_id"], "labels": [{"name": label}]})
    if updates:
        result = await _json(await client.put(samples_url, json={"samples": updates}))
        assert result["success"] is True
    return dataset_id


async def _advance(client, seconds: float) -> None:
    await _json(await client.post("/_emulator/clock/advance", json={"seconds": seconds}))


async def _start(client, dataset_id: str, body: dict, status: int = 200):
    return await _json(await client.post(f"{DATASETS}/{dataset_id}/tasks", json=body), status)


async def _error_code(client, dataset_id: str, body: dict) -> str:
    response = await client.post(f"{DATASETS}/{dataset_id}/tasks", json=body)
    assert response.status >= 400
    return (await response.json())["error_code"]


async def test_active_learning_passes_through_every_status_to_succeeded(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5, "dog": 5}, unlabeled=4)
    task_id = (await _start(client, dataset_id, {"task_type": "auto-label"}))["task_id"]
    url = f"{DATASETS}/{dataset_id}/tasks/{task_id}"

    seen = []
    for step in (0, 1.0, 1.0, 3.0, 5.0):
        await _advance(client, step)
        task = await _json(await client.get(url))
        seen.append((task["status"], task["progress"]))

    assert [status for status, _ in seen] == [-1, 0, 1, 1, 3]
    assert 0 < seen[3][1] < 100 and seen[4][1] == 100.0
    assert task["code"] == "ModelArts.4916" and task["message"] == "Auto labeling task executed."
    assert task["elapsed_time"] == 10


async def test_succeeded_task_labels_every_unlabeled_sample_for_confirmation(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5, "dog": 5}, unlabeled=4)
    task_id = (await _start(client, dataset_id, {"task_type": "auto-label"}))["task_id"]
    await _advance(client, 10)

    task = await _json(await client.get(f"{DATASETS}/{dataset_id}/tasks/{task_id}"))
    auto = await _json(await client.get(f"{DATASETS}/{dataset_id}/auto-annotations/samples"))

    assert auto["sample_count"] == 4 == task["result"]["unconfirmed_sample_count"]
    assert {s["sample_name"] for s in auto["samples"]} == {f"new-{i}.jpg" for i in range(4)}
    for sample in auto["samples"]:
        assert sample["sample_status"] == "__UNCHECK__"
        assert sample["labels"][0]["name"] in ("cat", "dog")
        assert sample["labels"][0]["annotated_by"] == "auto"  # (the table's options: human, auto)
        assert 0 <= sample["labels"][0]["score"] <= 1
        assert "@modelarts:hard" in sample["metadata"]
    one = auto["samples"][0]
    detail = await _json(
        await client.get(f"{DATASETS}/{dataset_id}/auto-annotations/samples/{one['sample_id']}")
    )
    assert detail["labels"] == one["labels"]


async def test_auto_labels_match_the_manifest_written_to_obs(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5, "dog": 5}, unlabeled=3)
    body = {
        "task_type": "auto-label",
        "collect_key_sample": True,
        "config": {"annotation_output": "/story/results/"},
    }
    task_id = (await _start(client, dataset_id, body))["task_id"]
    await _advance(client, 10)
    task = await _json(await client.get(f"{DATASETS}/{dataset_id}/tasks/{task_id}"))
    assert task["result"]["manifest_path"] == f"/story/results/{task_id}/result.manifest"

    import json

    obj = await asyncio.to_thread(
        s3.get_object, Bucket="story", Key=f"results/{task_id}/result.manifest"
    )
    lines = [json.loads(line) for line in obj["Body"].read().decode().splitlines()]
    auto = await _json(await client.get(f"{DATASETS}/{dataset_id}/auto-annotations/samples"))
    by_id = {s["sample_id"]: s for s in auto["samples"]}
    assert len(lines) == 3
    for line in lines:
        label = by_id[line["id"]]["labels"][0]
        assert line["annotation"][0]["name"] == label["name"]
        assert line["annotation"][0]["confidence"] == label["score"]


async def test_outputs_are_the_same_for_the_same_task(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5}, unlabeled=5)
    task_id = (await _start(client, dataset_id, {"task_type": "auto-label"}))["task_id"]
    await _advance(client, 10)
    first = await _json(await client.get(f"{DATASETS}/{dataset_id}/auto-annotations/samples"))

    emulator = client.app[keys.EMULATOR]
    task = emulator.tasks.get(PROJECT, dataset_id, task_id)
    dataset = emulator.datasets.get(PROJECT, dataset_id)
    from emulator.domain import outputs

    outputs.apply(task, dataset, emulator.store, emulator.models, 0)
    again = await _json(await client.get(f"{DATASETS}/{dataset_id}/auto-annotations/samples"))
    assert [s["labels"] for s in again["samples"]] == [s["labels"] for s in first["samples"]]


async def test_list_tasks_pages_filters_and_counts(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5}, unlabeled=5)
    for index in range(3):
        await _start(
            client, dataset_id, {"task_type": "auto-label", "config": {"name": f"run-{index}"}}
        )
        await _advance(client, 10)
    await _start(client, dataset_id, {"task_type": "auto-grouping", "config": {"n_clusters": 2}})
    tasks_url = f"{DATASETS}/{dataset_id}/tasks"

    default = await _json(await client.get(tasks_url))
    second_page = await _json(await client.get(tasks_url, params={"limit": 2, "offset": 1}))
    named = await _json(await client.get(tasks_url, params={"task_name": "run-1"}))
    grouping = await _json(await client.get(tasks_url, params={"type": "auto-grouping"}))

    assert default["total_count"] == 3  # labeling tasks only when no type is given
    assert [t["task_name"] for t in default["tasks"]] == ["run-2", "run-1", "run-0"]
    assert [t["task_name"] for t in second_page["tasks"]] == ["run-0"]
    assert [t["task_name"] for t in named["tasks"]] == ["run-1"]
    assert grouping["total_count"] == 1 and grouping["tasks"][0]["type"] == 2


async def test_list_tasks_refuses_a_limit_over_100(story):
    client, _ = story
    response = await client.get(f"{DATASETS}/{DEMO_DATASET}/tasks", params={"limit": 101})

    body = await _json(response, 400)
    assert body["error_code"] == "ModelArts.4200" and "$.limit" in body["error_msg"]


async def test_stopped_task_passes_through_stopping_to_stopped(story):
    client, _ = story
    dataset_id = DEMO_DATASET
    task_id = (await _start(client, dataset_id, {"task_type": "auto-label"}))["task_id"]
    url = f"{DATASETS}/{dataset_id}/tasks/{task_id}"
    await _advance(client, 3)

    await _json(await client.post(f"{url}/stop"), 204)
    stopping = await _json(await client.get(url))
    await _advance(client, 1)
    stopped = await _json(await client.get(url))

    assert stopping["status"] == 4 and stopped["status"] == 5
    assert stopped["progress"] == stopping["progress"] < 100


async def test_stopping_twice_or_after_success_or_unknown_task_is_refused(story):
    client, _ = story
    tasks = f"{DATASETS}/{DEMO_DATASET}/tasks"
    stopped = (await _start(client, DEMO_DATASET, {}))["task_id"]
    await _json(await client.post(f"{tasks}/{stopped}/stop"), 204)
    done = (await _start(client, DEMO_DATASET, {}))["task_id"]
    await _advance(client, 10)

    again = await _json(await client.post(f"{tasks}/{stopped}/stop"), 400)
    finished = await _json(await client.post(f"{tasks}/{done}/stop"), 409)
    unknown = await _json(await client.post(f"{tasks}/NoSuchTask000000000/stop"), 400)

    assert again["error_code"] == "ModelArts.4393"
    assert finished["error_code"] == "ModelArts.2796"
    assert unknown["error_code"] == "ModelArts.4612"


async def test_active_learning_needs_labeled_samples(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={}, unlabeled=3)
    assert await _error_code(client, dataset_id, {"task_type": "auto-label"}) == "ModelArts.4405"


async def test_active_learning_needs_five_samples_per_label(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5, "dog": 4}, unlabeled=3)
    assert await _error_code(client, dataset_id, {"task_type": "auto-label"}) == "ModelArts.4406"


async def test_active_learning_needs_unlabeled_samples(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={"cat": 5}, unlabeled=0)
    assert await _error_code(client, dataset_id, {"task_type": "auto-label"}) == "ModelArts.4407"


async def test_running_task_limit_per_dataset(make_client):
    client = await make_client(clock="manual", max_running_tasks=2)
    url = f"{DATASETS}/{DEMO_DATASET}/tasks"
    for _ in range(2):
        assert (await client.post(url, json={})).status == 200

    response = await client.post(url, json={})

    assert (await _json(response, 400))["error_code"] == "ModelArts.4409"


async def test_auto_grouping_only_on_image_datasets(story):
    client, s3 = story
    dataset_id = await _dataset(client, s3, labeled={}, unlabeled=0, dataset_type=100)
    body = {"task_type": "auto-grouping", "config": {"n_clusters": 2}}
    assert await _error_code(client, dataset_id, body) == "ModelArts.4820"


@pytest.mark.parametrize("groups", [1, 201, None])
async def test_auto_grouping_needs_2_to_200_groups(client, groups):
    body = {"task_type": "auto-grouping", "config": {"n_clusters": groups}}
    if groups is None:
        body["config"] = {}
    response = await client.post(f"{DATASETS}/{DEMO_DATASET}/tasks", json=body)

    error = await _json(response, 400)
    assert error["error_code"] == "ModelArts.4622" and "n_clusters" in error["error_msg"]


async def test_auto_grouping_needs_fewer_groups_than_samples(client):
    body = {"task_type": "auto-grouping", "config": {"n_clusters": 6}}
    response = await client.post(f"{DATASETS}/{DEMO_DATASET}/tasks", json=body)

    assert (await _json(response, 400))["error_code"] == "ModelArts.4622"


async def test_pre_labeling_needs_a_model_id(client):
    response = await client.post(
        f"{DATASETS}/{DEMO_DATASET}/tasks", json={"task_type": "pre-label"}
    )

    assert (await _json(response, 400))["error_code"] == "ModelArts.4934"


async def test_pre_labeling_needs_a_model_that_exists(client):
    body = {"task_type": "pre-label", "model_id": "no-such-model"}
    response = await client.post(f"{DATASETS}/{DEMO_DATASET}/tasks", json=body)

    error = await _json(response, 404)
    assert error == {
        "error_code": "ModelArts.3001",
        "error_msg": "Model (no-such-model) does not exist.",
    }


async def test_auto_grouping_saved_to_samples_sets_the_attribute(story):
    client, _ = story
    body = {
        "task_type": "auto-grouping",
        "config": {"n_clusters": 2, "result_type": 1, "property": "size_group"},
    }
    await _start(client, DEMO_DATASET, body)
    await _advance(client, 10)

    listed = await _json(
        await client.get(
            f"{DATASETS}/{DEMO_DATASET}/data-annotations/samples",
            params={"sample_state": "__NONE__"},
        )
    )

    assert listed["sample_count"] == 6
    assert {s["metadata"]["size_group"] for s in listed["samples"]} <= {0, 1}


async def test_auto_grouping_saved_to_obs_writes_the_grouping(story):
    client, s3 = story
    body = {"task_type": "auto-grouping", "config": {"n_clusters": 3, "result_type": 0}}
    task_id = (await _start(client, DEMO_DATASET, body))["task_id"]
    await _advance(client, 10)
    task = await _json(await client.get(f"{DATASETS}/{DEMO_DATASET}/tasks/{task_id}"))
    bucket, key = task["result"]["manifest_path"].lstrip("/").split("/", 1)

    obj = await asyncio.to_thread(s3.get_object, Bucket=bucket, Key=key)

    import json

    lines = [json.loads(line) for line in obj["Body"].read().decode().splitlines()]
    assert len(lines) == 6 and {line["group"] for line in lines} <= {0, 1, 2}


async def test_200_concurrent_starts_yield_200_distinct_listed_tasks(make_client):
    client = await make_client(clock="manual", max_running_tasks=1000)
    url = f"{DATASETS}/{DEMO_DATASET}/tasks"

    responses = await asyncio.gather(*(client.post(url, json={}) for _ in range(200)))
    ids = {(await r.json())["task_id"] for r in responses}
    listed = set()
    for page in range(2):
        body = await _json(await client.get(url, params={"limit": 100, "offset": page}))
        assert body["total_count"] == 200
        listed |= {task["task_id"] for task in body["tasks"]}

    assert len(ids) == 200 and listed == ids
