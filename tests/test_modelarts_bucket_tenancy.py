"""Strict tenancy on the ModelArts side of OBS: a project's requests name only its own
account's buckets (or buckets no account owns), as the OBS listener allows. Found by a
hostile probe: another account's user created a dataset on a foreign bucket, listed and
wrote its objects, deleted them with ``delete_source`` and wrote task outputs there."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_DATASET, DEMO_PROJECT
from tests.test_auth import password_body
from tests.test_tenancy import OTHER_PROJECT, _token, other_user, two_domain_document, write_seed

OTHER_BUCKET = "other-bucket"
OTHER_DATASETS = f"/v2/{OTHER_PROJECT}/datasets"


@pytest.fixture
def seed_with_other_bucket(tmp_path):
    document = two_domain_document()
    document["buckets"].append(
        {
            "name": OTHER_BUCKET,
            "domain": "other-domain",
            "objects": [{"key": "images/own.jpg", "text": "the other account's image"}],
        }
    )
    return write_seed(tmp_path, document)


@pytest.fixture
async def other_account(make_client, seed_with_other_bucket):
    """A strict emulator and the other account's token for its own project."""
    client = await make_client(token=None, auth="strict", seed=seed_with_other_bucket)
    token = await _token(client, other_user({"project": {"name": "eu-de"}}))
    return client, {"X-Auth-Token": token}


def _dataset(data_path: str, work_path: str) -> dict:
    return {
        "dataset_name": "crossing",
        "dataset_type": 0,
        "data_sources": [{"data_path": data_path}],
        "work_path": work_path,
        "work_path_type": 0,
    }


async def _code(response) -> tuple[int, str]:
    return response.status, (await response.json())["error_code"]


@pytest.mark.parametrize(
    ("data_path", "work_path"),
    [
        ("/demo-bucket/images/", f"/{OTHER_BUCKET}/work/"),
        (f"/{OTHER_BUCKET}/images/", "/demo-bucket/work/"),
    ],
    ids=["data-path-foreign", "work-path-foreign"],
)
async def test_a_dataset_on_another_accounts_bucket_is_refused(other_account, data_path, work_path):
    client, token = other_account

    response = await client.post(OTHER_DATASETS, json=_dataset(data_path, work_path), headers=token)

    assert await _code(response) == (400, "ModelArts.4314")
    assert "demo-bucket belongs to another account" in (await response.json())["error_msg"]


async def test_a_dataset_on_the_accounts_own_bucket_is_created(other_account):
    client, token = other_account
    own = _dataset(f"/{OTHER_BUCKET}/images/", f"/{OTHER_BUCKET}/work/")

    response = await client.post(OTHER_DATASETS, json=own, headers=token)

    assert response.status == 201, await response.text()


async def test_a_task_cannot_write_its_output_to_another_accounts_bucket(other_account):
    client, token = other_account
    own = _dataset(f"/{OTHER_BUCKET}/images/", f"/{OTHER_BUCKET}/work/")
    created = await client.post(OTHER_DATASETS, json=own, headers=token)
    dataset_id = (await created.json())["dataset_id"]
    grouping = {
        "task_type": "auto-grouping",
        "config": {"n_clusters": 2, "output_dir": "/demo-bucket/pwned/"},
    }

    response = await client.post(
        f"{OTHER_DATASETS}/{dataset_id}/tasks", json=grouping, headers=token
    )

    assert await _code(response) == (400, "ModelArts.4314")


async def test_a_sample_cannot_point_into_another_accounts_bucket(other_account):
    client, token = other_account
    own = _dataset(f"/{OTHER_BUCKET}/images/", f"/{OTHER_BUCKET}/work/")
    created = await client.post(OTHER_DATASETS, json=own, headers=token)
    dataset_id = (await created.json())["dataset_id"]
    samples_url = f"{OTHER_DATASETS}/{dataset_id}/data-annotations/samples"
    body = {"samples": [{"name": "x.jpg", "data_source": {"data_path": "/demo-bucket/images/"}}]}

    response = await client.post(samples_url, json=body, headers=token)

    (result,) = (await response.json())["results"]
    assert result["error_code"] == "ModelArts.4314"


async def test_the_owner_still_uses_its_own_bucket(make_client, seed_with_other_bucket):
    client = await make_client(token=None, auth="strict", seed=seed_with_other_bucket)
    token = await _token(client, password_body(scope={"project": {"id": DEMO_PROJECT}}))
    tasks = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks"
    grouping = {
        "task_type": "auto-grouping",
        "config": {"n_clusters": 2, "output_dir": "/demo-bucket/groups/"},
    }

    response = await client.post(tasks, json=grouping, headers={"X-Auth-Token": token})

    assert response.status == 200, await response.text()


async def test_permissive_mode_keeps_every_bucket_usable(make_client, seed_with_other_bucket):
    client = await make_client(seed=seed_with_other_bucket)
    crossing = _dataset("/demo-bucket/images/", f"/{OTHER_BUCKET}/work/")

    response = await client.post(OTHER_DATASETS, json=crossing)

    assert response.status == 201, await response.text()
