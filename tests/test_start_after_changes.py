"""A task start answers from the dataset as it is now: through HTTP, every change between
two starts (samples deleted, added, relabeled; a bucket encrypted through OBS) shows in the
next start, although the start's checks are not computed again while nothing changes."""

from __future__ import annotations

import asyncio
import hashlib

from emulator.codes import KMS_BUCKET, NO_UNLABELED_SAMPLES, TOO_FEW_PER_LABEL
from tests.conftest import TASKS_URL

SAMPLES_URL = TASKS_URL.replace("/tasks", "/data-annotations/samples")
AUTO_LABEL = {"task_type": "auto-label", "config": {"algorithm_type": "fast"}}
PRE_LABEL = {"task_type": "pre-label", "model_id": "c4989033-7584-44ee-a180-1c476b810e46"}


def _sample_id(key: str) -> str:
    return hashlib.md5(f"obs://demo-bucket/images/{key}".encode()).hexdigest()


async def _start(client, body: dict = AUTO_LABEL) -> tuple[int, dict]:
    response = await client.post(TASKS_URL, json=body)
    return response.status, await response.json()


async def _ok(response) -> dict:
    assert response.status == 200, await response.text()
    return await response.json()


async def test_deleting_and_adding_labeled_samples_shows_in_the_next_start(make_client):
    client = await make_client(max_running_tasks=100)
    status, _ = await _start(client)
    assert status == 200

    deleted = {"samples": [_sample_id("dog-01.jpg")]}
    await _ok(await client.post(f"{SAMPLES_URL}/delete", json=deleted))
    refused = await _start(client)
    added = {"samples": [{"name": "dog-06.jpg", "data": "eA==", "labels": [{"name": "dog"}]}]}
    await _ok(await client.post(SAMPLES_URL, json=added))
    accepted = await _start(client)

    assert (refused[0], refused[1]["error_code"]) == (400, TOO_FEW_PER_LABEL)
    assert "(labels dog)" in refused[1]["error_msg"]
    assert accepted[0] == 200 and len(accepted[1]["task_id"]) == 19


async def test_labeling_every_sample_shows_in_the_next_start(make_client):
    client = await make_client(max_running_tasks=100)
    assert (await _start(client))[0] == 200
    labeled = [
        {"sample_id": _sample_id(f"unlabeled-0{n}.jpg"), "labels": [{"name": "cat"}]}
        for n in range(1, 7)
    ]

    await _ok(await client.put(SAMPLES_URL, json={"samples": labeled}))
    status, body = await _start(client)

    assert (status, body["error_code"]) == (400, NO_UNLABELED_SAMPLES)


async def test_a_bucket_encrypted_through_obs_shows_in_the_next_start(make_client, serve_obs):
    client = await make_client(max_running_tasks=100)
    s3 = await serve_obs(client)
    assert (await _start(client))[0] == 200
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}

    await asyncio.to_thread(
        s3.put_bucket_encryption,
        Bucket="demo-bucket",
        ServerSideEncryptionConfiguration={"Rules": [rule]},
    )
    status, body = await _start(client)

    assert (status, body["error_code"]) == (401, KMS_BUCKET)
    assert (await _start(client, PRE_LABEL))[0] == 200  # pre-labeling does not mind KMS
