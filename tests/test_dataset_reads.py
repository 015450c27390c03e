"""Dataset and sample reads agree with the dataset as it is now: what the domain keeps of a
dataset (its samples in order, statistics, listings' findings) follows every change, also
one cut short by a refusal, and a deleted dataset is freed at once."""

from __future__ import annotations

import asyncio
import base64
import gc
import weakref

import pytest

from emulator.api import keys
from emulator.domain.clock import ManualClock
from emulator.domain.datasets import Datasets
from tests.conftest import DEMO_DATASET, DEMO_PROJECT
from tests.domain_support import FakeStorage

DATASET_URL = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}"
SAMPLES_URL = f"{DATASET_URL}/data-annotations/samples"
AUTO_LABEL = {"task_type": "auto-label", "config": {"algorithm_type": "fast"}}


def _name_no_path_holds(client) -> None:
    """Give the demo dataset a name its inner work path cannot hold, so the task's results
    cannot be written. UpdateDataset refuses such a name (schemas/overrides.json), as
    CreateDataset does; a seed or an older version's state could still hold one."""
    datasets = client.server.app[keys.EMULATOR].datasets
    datasets.get(DEMO_PROJECT, DEMO_DATASET).name = "renamed while running"


async def _json(response) -> dict:
    assert response.status == 200, await response.text()
    return await response.json()


async def test_get_dataset_counts_what_a_task_that_just_ended_labeled(make_client):
    """On the system clock a task's end is applied by the 0.1 s ticker or by the next read
    that advances tasks. GET dataset counts before it advances them (datasets.py:65), so
    the answer says no task runs but counts as if none had finished."""
    client = await make_client(clock="manual", task_duration=5)
    await _json(await client.get(DATASET_URL))  # statistics kept
    await _json(await client.post(f"{DATASET_URL}/tasks", json=AUTO_LABEL))
    # Time passes as on the system clock, before the ticker's next turn.
    client.server.app[keys.EMULATOR].clock.advance(60_000)

    body = await _json(await client.get(DATASET_URL))

    assert body["exist_running_task"] is False
    assert body["unconfirmed_sample_count"] == 6


async def test_list_datasets_counts_what_a_task_that_just_ended_labeled(make_client):
    client = await make_client(clock="manual", task_duration=5)
    await _json(await client.get(DATASET_URL))
    await _json(await client.post(f"{DATASET_URL}/tasks", json=AUTO_LABEL))
    client.server.app[keys.EMULATOR].clock.advance(60_000)

    listed = (await _json(await client.get(f"/v2/{DEMO_PROJECT}/datasets")))["datasets"]

    (demo,) = [d for d in listed if d["dataset_id"] == DEMO_DATASET]
    assert (demo["exist_running_task"], demo["unconfirmed_sample_count"]) == (False, 6)


async def test_a_refused_update_of_samples_changes_nothing(client):
    cats = await _json(await client.get(SAMPLES_URL, params={"label_name": "cat"}))
    sample_id = cats["samples"][0]["sample_id"]
    before = await _json(await client.get(f"{SAMPLES_URL}/{sample_id}"))
    await _json(await client.get(SAMPLES_URL, params={"label_name": "dog"}))  # kept
    change = {"samples": [{"sample_id": sample_id, "labels": [{"name": "dog"}, {"type": 0}]}]}
    assert (await client.put(SAMPLES_URL, json=change)).status == 400

    described = await _json(await client.get(f"{SAMPLES_URL}/{sample_id}"))
    dogs = await _json(await client.get(SAMPLES_URL, params={"label_name": "dog"}))

    assert described["labels"] == before["labels"]
    assert sample_id not in {s["sample_id"] for s in dogs["samples"]}


async def test_task_outputs_that_fail_half_way_leave_listings_agreeing_with_samples(
    make_client,
):
    """The task's outputs relabel every sample, then fail on the work path holding the
    name (outputs.py _label): the listings follow what was relabeled."""
    client = await make_client(clock="manual", task_duration=5)
    unlabeled = await _json(await client.get(SAMPLES_URL, params={"sample_state": "__NONE__"}))
    sample_id = unlabeled["samples"][0]["sample_id"]
    await _json(await client.post(f"{DATASET_URL}/tasks", json=AUTO_LABEL))
    _name_no_path_holds(client)
    await _json(await client.get(SAMPLES_URL, params={"sample_state": "__NONE__"}))  # kept
    advanced = await client.post("/_emulator/clock/advance", json={"seconds": 60})
    assert advanced.status == 200, await advanced.text()

    described = await _json(await client.get(f"{SAMPLES_URL}/{sample_id}"))
    listed = await _json(await client.get(SAMPLES_URL, params={"sample_state": "__NONE__"}))

    listed_ids = {s["sample_id"] for s in listed["samples"]}
    assert (described["sample_status"] == "__NONE__") == (sample_id in listed_ids)


def test_a_deleted_dataset_is_freed_without_the_cycle_collector():
    """The kept DatasetStatistics refers to its dataset (dataset._derived -> statistics ->
    dataset): a deleted dataset and all its samples wait for a full collection."""
    store = FakeStorage()
    store.create_bucket("bkt")
    datasets = Datasets([], store, ManualClock(start_ms=1_700_000_000_000))
    request = {
        "dataset_name": "n",
        "data_sources": [{"data_path": "/bkt/d/"}],
        "work_path": "/bkt/w/",
    }
    dataset = datasets.create("p", request)
    datasets.statistics("p", dataset.dataset_id)
    freed = weakref.ref(dataset)
    dataset_id = dataset.dataset_id
    del dataset
    gc.disable()
    try:
        datasets.delete("p", dataset_id)
        assert freed() is None
    finally:
        gc.enable()


async def test_a_task_whose_results_cannot_be_written_fails_with_the_reason(make_client):
    client = await make_client(clock="manual", task_duration=5)
    task_id = (await _json(await client.post(f"{DATASET_URL}/tasks", json=AUTO_LABEL)))["task_id"]
    _name_no_path_holds(client)

    advanced = await client.post("/_emulator/clock/advance", json={"seconds": 60})
    task = await _json(await client.get(f"{DATASET_URL}/tasks/{task_id}"))

    assert advanced.status == 200
    assert (task["status"], task["error_code"]) == (2, "ModelArts.4313")


async def test_the_background_ticker_outlives_a_failure(make_client, monkeypatch, caplog):
    client = await make_client()  # the system clock: tasks end on the ticker's turns
    tasks = client.server.app[keys.EMULATOR].tasks
    turns = []

    def advance() -> None:
        turns.append(1)
        if len(turns) == 1:
            raise RuntimeError("emulator bug")

    monkeypatch.setattr(tasks, "advance", advance)
    for _ in range(200):  # bounded: the ticker turns every 0.1 s
        if len(turns) >= 3:
            break
        await asyncio.sleep(0.05)

    assert len(turns) >= 3
    assert "finishing the tasks whose end has come failed" in caplog.text


@pytest.mark.parametrize("name", ["renamed while running", "", "x" * 101, "a/b"])
async def test_a_rename_to_what_no_path_can_hold_is_refused(client, name):
    response = await client.put(DATASET_URL, json={"dataset_name": name})

    body = await response.json()
    assert (response.status, body["error_code"]) == (400, "ModelArts.4200")
    assert "$.dataset_name" in body["error_msg"]


async def test_labels_follow_adds_deletes_and_adds_again_by_name(client):
    """Labels are looked up by name in an index that follows the dataset's list: what a
    request adds, deletes and adds again is what the next ones see."""
    labels_url = f"{DATASET_URL}/data-annotations/labels"
    many = [{"name": f"label-{number}"} for number in range(3000)]
    await _json(await client.post(labels_url, json={"labels": many + many[:10]}))
    deleted = {"delete_labels": [{"name": "label-5"}, {"name": "label-2999"}]}
    await _json(await client.put(DATASET_URL, json=deleted))
    await _json(await client.post(labels_url, json={"labels": [{"name": "label-5"}]}))
    updated = {"update_labels": [{"name": "label-2999", "property": {}}]}

    refused = await client.put(DATASET_URL, json=updated)
    names = [
        label["name"]
        for label in (await _json(await client.get(f"{labels_url}?limit=5000")))["labels"]
    ]

    assert refused.status == 400  # label-2999 is gone
    assert names[:2] == ["cat", "dog"]  # the demo dataset's own
    assert len(names) == len(set(names)) == 2 + 3000 - 2 + 1
    assert names[-1] == "label-5"


async def test_a_samples_size_is_the_bytes_of_its_object(client):
    """Seeded, uploaded with data, named by data_source or found under the data path: each
    sample reports its object's size (a data_source naming no object: 0)."""
    upload = {
        "samples": [
            {"name": "five.jpg", "data": base64.b64encode(b"12345").decode()},
            {"data_source": {"data_path": "obs://demo-bucket/images/unlabeled-01.jpg"}},
            {"data_source": {"data_path": "obs://demo-bucket/images/absent.jpg"}},
        ]
    }
    assert (await client.post(SAMPLES_URL, json=upload)).status == 200

    listed = await _json(await client.get(SAMPLES_URL, params={"limit": 100}))

    sizes = {sample["sample_name"]: sample["sample_size"] for sample in listed["samples"]}
    assert sizes["cat-01.jpg"] == len("demo image cat 1")  # seeded with labels
    assert sizes["unlabeled-01.jpg"] == len("demo image 1")
    assert sizes["five.jpg"] == 5
    assert sizes["absent.jpg"] == 0


async def test_a_bad_data_source_path_fails_its_sample_not_the_batch(client):
    upload = {
        "samples": [
            {"data_source": {"data_path": "/demo-bucket/images/a b.jpg"}},
            {"name": "kept.jpg", "data": base64.b64encode(b"kept").decode()},
        ]
    }

    answer = await _json(await client.post(SAMPLES_URL, json=upload))

    refused, kept = answer["results"]
    assert answer["success"] is False
    assert (refused["success"], refused["error_code"]) == (False, "ModelArts.4313")
    assert refused["name"] == "/demo-bucket/images/a b.jpg"
    assert "samples[].data_source.data_path" in refused["error_msg"]
    assert (kept["success"], kept["name"]) == (True, "/demo-bucket/images/kept.jpg")
