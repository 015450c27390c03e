"""OBS path rules on task start, and the KMS rule, each with the catalog's code."""

from __future__ import annotations

import asyncio

import pytest

from emulator.domain.tasks import INPUT_PATHS, OUTPUT_PATHS
from tests.conftest import DEMO_PROJECT, TASKS_URL

ALL_FIELDS = [*INPUT_PATHS, *OUTPUT_PATHS, "export_params.export_new_dataset_work_path"]


def _body(field: str, value: str) -> dict:
    if field.startswith("export_params."):
        return {"config": {"export_params": {field.split(".", 1)[1]: value}}}
    return {"config": {field: value}}


async def _code(client, body: dict) -> tuple[int, str | None]:
    response = await client.post(TASKS_URL, json=body)
    if response.status == 200:
        return 200, None
    return response.status, (await response.json())["error_code"]


@pytest.mark.parametrize("field", ALL_FIELDS)
@pytest.mark.parametrize("form", ["/demo-bucket/images/", "obs://demo-bucket/images/"])
async def test_existing_path_is_accepted_in_both_forms(client, field, form):
    assert await _code(client, _body(field, form)) == (200, None)


@pytest.mark.parametrize("field", ALL_FIELDS)
@pytest.mark.parametrize(
    "path",
    [
        "/demo-bucket/out put/",
        "/demo-bucket/a\x01b/",
        "/demo-bucket/../etc/",
        "demo-bucket/images/",
        "/demo-bucket/a*b/",
    ],
)
async def test_invalid_characters_are_4313(client, field, path):
    assert await _code(client, _body(field, path)) == (400, "ModelArts.4313")


@pytest.mark.parametrize("field", ALL_FIELDS)
async def test_double_slash_inside_is_4315(client, field):
    assert await _code(client, _body(field, "/demo-bucket//images/")) == (400, "ModelArts.4315")


@pytest.mark.parametrize("field", ALL_FIELDS)
async def test_missing_bucket_is_4311(client, field):
    assert await _code(client, _body(field, "/no-such-bucket/dir/")) == (400, "ModelArts.4311")


@pytest.mark.parametrize("field", INPUT_PATHS)
async def test_input_path_that_does_not_exist_is_4312(client, field):
    body = _body(field, "/demo-bucket/nothing/here.manifest")
    assert await _code(client, body) == (400, "ModelArts.4312")


@pytest.mark.parametrize("field", OUTPUT_PATHS)
async def test_output_path_need_not_exist_yet(client, field):
    assert await _code(client, _body(field, "/demo-bucket/new/folder/")) == (200, None)


@pytest.mark.parametrize("field", ALL_FIELDS)
@pytest.mark.parametrize("path", ["/demo-bucket/", "obs://demo-bucket", "/demo-bucket"])
async def test_bare_bucket_is_4205(client, field, path):
    assert await _code(client, _body(field, path)) == (400, "ModelArts.4205")


@pytest.fixture
async def kms_dataset(client, serve_obs):
    """A dataset whose data path is in a bucket with KMS default encryption (set over S3)."""
    s3 = await serve_obs(client)
    await asyncio.to_thread(s3.create_bucket, Bucket="secret-bucket")
    await asyncio.to_thread(
        s3.put_bucket_encryption,
        Bucket="secret-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "kms-key-1",
                    }
                }
            ]
        },
    )
    for index in range(4):
        await asyncio.to_thread(
            s3.put_object, Bucket="secret-bucket", Key=f"in/{index}.jpg", Body=b"img"
        )
    response = await client.post(
        f"/v2/{DEMO_PROJECT}/datasets",
        json={
            "dataset_name": "secret",
            "dataset_type": 0,
            "work_path": "/demo-bucket/out/",
            "work_path_type": 0,
            "data_sources": [{"data_path": "/secret-bucket/in/"}],
        },
    )
    assert response.status == 201
    return f"/v2/{DEMO_PROJECT}/datasets/{(await response.json())['dataset_id']}/tasks"


@pytest.mark.parametrize(
    "body",
    [{"task_type": "auto-label"}, {"task_type": "auto-grouping", "config": {"n_clusters": 2}}],
)
async def test_kms_bucket_refuses_active_learning_and_grouping(client, kms_dataset, body):
    response = await client.post(kms_dataset, json=body)

    assert response.status == 401
    assert (await response.json())["error_code"] == "ModelArts.4826"


async def test_kms_bucket_accepts_pre_labeling(client, kms_dataset):
    body = {"task_type": "pre-label", "model_id": "c4989033-7584-44ee-a180-1c476b810e46"}

    response = await client.post(kms_dataset, json=body)

    assert response.status == 200
