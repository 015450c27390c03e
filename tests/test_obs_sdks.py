"""OBS through the SDKs users point at it: boto3 and Huawei's esdk-obs-python."""

from __future__ import annotations

import json

import boto3
import pytest
from obs import ObsClient

from tests.conftest import DEMO_PROJECT


@pytest.fixture
def fresh(modelarts_emulator):
    return modelarts_emulator


@pytest.fixture
def s3(fresh):
    return boto3.client(
        "s3",
        endpoint_url=fresh.obs_url,
        aws_access_key_id="test-ak",
        aws_secret_access_key="test-sk",
        region_name="eu-de",
    )


def test_boto3_creates_puts_gets_lists_and_deletes(s3):
    s3.create_bucket(
        Bucket="user-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-de"}
    )
    s3.put_object(Bucket="user-bucket", Key="images/a.jpg", Body=b"jpeg bytes")

    assert s3.get_object(Bucket="user-bucket", Key="images/a.jpg")["Body"].read() == b"jpeg bytes"
    listed = s3.list_objects_v2(Bucket="user-bucket", Prefix="images/")["Contents"]
    assert [o["Key"] for o in listed] == ["images/a.jpg"]
    s3.delete_object(Bucket="user-bucket", Key="images/a.jpg")
    assert s3.list_objects_v2(Bucket="user-bucket").get("KeyCount") == 0


def test_boto3_sees_the_seeded_demo_bucket(s3):
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="demo-bucket")["Contents"]]
    assert "images/cat-01.jpg" in keys and "images/unlabeled-06.jpg" in keys


@pytest.mark.parametrize("signature", ["v2", "v4", "obs"])
def test_esdk_obs_works_with_each_signature(fresh, signature):
    client = ObsClient(
        access_key_id="test-ak",
        secret_access_key="test-sk",
        server=fresh.obs_url,
        path_style=True,
        signature=signature,
    )
    bucket = f"esdk-{signature}"
    try:
        assert client.createBucket(bucket).status == 200
        assert client.putContent(bucket, "folder/file.txt", "hello " + signature).status == 200
        got = client.getObject(bucket, "folder/file.txt", loadStreamInMemory=True)
        assert (got.status, got.body.buffer) == (200, f"hello {signature}".encode())
        listed = client.listObjects(bucket, prefix="folder/")
        assert [item.key for item in listed.body.contents] == ["folder/file.txt"]
        assert client.deleteObject(bucket, "folder/file.txt").status == 204
        assert client.listObjects(bucket).body.contents == []
    finally:
        client.close()


def test_uploaded_images_become_samples_of_a_dataset(fresh, s3):
    s3.create_bucket(Bucket="photos", CreateBucketConfiguration={"LocationConstraint": "eu-de"})
    for name in ("x.jpg", "y.png", "notes.txt"):
        s3.put_object(Bucket="photos", Key=f"in/{name}", Body=b"data")
    status, created, _ = fresh.call(
        "POST",
        f"/v2/{DEMO_PROJECT}/datasets",
        {
            "dataset_name": "photos",
            "dataset_type": 0,
            "work_path": "/photos/out/",
            "work_path_type": 0,
            "data_sources": [{"data_type": 0, "data_path": "/photos/in/"}],
        },
    )
    assert status == 201

    status, listed, _ = fresh.call(
        "GET", f"/v2/{DEMO_PROJECT}/datasets/{created['dataset_id']}/data-annotations/samples"
    )

    assert status == 200
    assert sorted(s["source"] for s in listed["samples"]) == [
        "obs://photos/in/x.jpg",
        "obs://photos/in/y.png",
    ]


def test_auto_labeling_results_are_read_back_with_esdk_obs(fresh):
    tasks = f"/v2/{DEMO_PROJECT}/datasets/DemoImageDataset001/tasks"
    status, started, _ = fresh.call(
        "POST", tasks, {"task_type": "auto-label", "collect_key_sample": True}
    )
    assert status == 200
    fresh.advance_clock(10)
    status, task, _ = fresh.call("GET", f"{tasks}/{started['task_id']}")
    assert task["status"] == 3
    manifest = task["result"]["manifest_path"]
    bucket, key = manifest.lstrip("/").split("/", 1)

    client = ObsClient(
        access_key_id="ak",
        secret_access_key="sk",
        server=fresh.obs_url,
        path_style=True,
        signature="obs",
    )
    try:
        got = client.getObject(bucket, key, loadStreamInMemory=True)
    finally:
        client.close()

    lines = [json.loads(line) for line in got.body.buffer.decode().splitlines()]
    assert sorted(line["source"] for line in lines) == [
        f"s3://demo-bucket/images/unlabeled-{i:02d}.jpg" for i in range(1, 7)
    ]
    assert all(
        line["annotation"][0]["annotated-by"] == "modelarts/active-learning" for line in lines
    )


def test_readme_obs_example_with_the_seed_keys(fresh):
    """The README's OBS snippet, as written there (the seed's keys work in every mode)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=fresh.obs_url,
        region_name="eu-de",
        aws_access_key_id="DEMOACCESSKEY0000001",
        aws_secret_access_key="demo-secret-key-0000000000000000000000",
    )
    s3.put_object(Bucket="demo-bucket", Key="images/new-01.jpg", Body=b"cat jpeg")

    obs = ObsClient(
        access_key_id="DEMOACCESSKEY0000001",
        secret_access_key="demo-secret-key-0000000000000000000000",
        server=fresh.obs_url,
        path_style=True,
        signature="obs",
    )
    try:
        got = obs.getObject("demo-bucket", "images/new-01.jpg", loadStreamInMemory=True)
    finally:
        obs.close()

    assert got.body.buffer == b"cat jpeg"
