"""OBS tenancy in strict mode: a bucket belongs to one domain. Another domain's keys get 403
AccessDenied on it, 409 BucketAlreadyExists on its name, and ListBuckets lists the caller's
own buckets; permissive mode is unchanged, and the ModelArts side keeps the same owners
(also tests/test_modelarts_bucket_tenancy.py). Proved with boto3 and esdk-obs-python
signing with the seed's keys."""

from __future__ import annotations

import asyncio
import json

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from obs import ObsClient

from emulator import app as app_module
from emulator.api import keys
from emulator.seed import SeedError
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, obs_url
from tests.test_auth import signed
from tests.test_tenancy import (
    OTHER_AK,
    OTHER_PROJECT,
    OTHER_SK,
    two_domain_document,
    write_seed,
)

DEMO_AK, DEMO_SK = "DEMOACCESSKEY0000001", "demo-secret-key-0000000000000000000000"
OTHER_DATASET = "OtherDataset001"
CAT = "images/cat-01.jpg"
LARGE = b"x" * (100 * 1024)  # above the listener's inline limit: answered on a worker


def two_domain_seed(tmp_path, bucket_domain: str = "other-domain"):
    """The bundled seed plus a second domain that owns a declared bucket (``other-bucket``)
    and, through its project's dataset paths, an undeclared one (``other-data``)."""
    document = two_domain_document()
    document["buckets"].append(
        {"name": "other-bucket", "domain": bucket_domain, "objects": [{"key": "a", "text": "A"}]}
    )
    dataset = {
        "id": OTHER_DATASET,
        "name": "other-images",
        "type": 0,
        "data_path": "/other-data/images/",
        "work_path": "/other-data/output/",
    }
    document["projects"][-1]["datasets"] = [dataset]  # the other domain's project
    return write_seed(tmp_path, document)


@pytest.fixture
def seed(tmp_path):
    return two_domain_seed(tmp_path)


@pytest.fixture
async def strict(make_client, seed):
    return await make_client(token=None, auth="strict", seed=seed)


def boto(client, ak: str, sk: str):
    return boto3.client(
        "s3",
        endpoint_url=obs_url(client),
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        region_name="eu-de",
        config=BotoConfig(s3={"addressing_style": "path"}),
    )


def esdk(client, ak: str, sk: str) -> ObsClient:
    return ObsClient(
        access_key_id=ak,
        secret_access_key=sk,
        server=obs_url(client),
        path_style=True,
        signature="obs",
    )


def refusal(call) -> tuple[int, str]:
    """The HTTP status and S3 error code a boto3 call was refused with."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def listed(s3) -> list[str]:
    return sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"])


OTHER_DOMAINS_CALLS = {
    "get object": lambda s3: s3.get_object(Bucket="demo-bucket", Key=CAT),
    "get a large object": lambda s3: s3.get_object(Bucket="demo-bucket", Key="large"),
    "put object": lambda s3: s3.put_object(Bucket="demo-bucket", Key=CAT, Body=b"stolen"),
    "put a large object": lambda s3: s3.put_object(Bucket="demo-bucket", Key=CAT, Body=LARGE),
    "list objects": lambda s3: s3.list_objects_v2(Bucket="demo-bucket"),
    "head object": lambda s3: s3.head_object(Bucket="demo-bucket", Key=CAT),
    "head bucket": lambda s3: s3.head_bucket(Bucket="demo-bucket"),
    "delete object": lambda s3: s3.delete_object(Bucket="demo-bucket", Key=CAT),
    "delete bucket": lambda s3: s3.delete_bucket(Bucket="demo-bucket"),
    "copy from it": lambda s3: s3.copy_object(
        Bucket="other-bucket", Key="copy", CopySource={"Bucket": "demo-bucket", "Key": CAT}
    ),
}


@pytest.mark.parametrize("operation", list(OTHER_DOMAINS_CALLS))
async def test_another_domains_keys_get_403_on_a_bucket_and_change_nothing(strict, operation):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    await asyncio.to_thread(demo.put_object, Bucket="demo-bucket", Key="large", Body=LARGE)

    status, code = await asyncio.to_thread(refusal, lambda: OTHER_DOMAINS_CALLS[operation](other))

    assert status == 403
    assert code in ("AccessDenied", "403")  # a HEAD's answer has no body, so no code
    got = await asyncio.to_thread(demo.get_object, Bucket="demo-bucket", Key=CAT)
    assert got["Body"].read() == b"demo image cat 1"
    copied = await asyncio.to_thread(other_bucket_keys, strict)
    assert copied == ["a"]


def other_bucket_keys(client) -> list[str]:
    """What the other domain's own bucket holds (read with the other domain's keys)."""
    other = boto(client, OTHER_AK, OTHER_SK)
    return [item["Key"] for item in other.list_objects_v2(Bucket="other-bucket")["Contents"]]


async def test_the_owner_reads_its_bucket_on_both_paths(strict):
    demo = boto(strict, DEMO_AK, DEMO_SK)

    await asyncio.to_thread(demo.put_object, Bucket="demo-bucket", Key="large", Body=LARGE)
    small = await asyncio.to_thread(demo.get_object, Bucket="demo-bucket", Key=CAT)
    large = await asyncio.to_thread(demo.get_object, Bucket="demo-bucket", Key="large")

    assert (small["Body"].read(), large["Body"].read()) == (b"demo image cat 1", LARGE)


async def test_creating_a_name_another_domain_owns_is_409_with_both_sdks(strict):
    other = boto(strict, OTHER_AK, OTHER_SK)
    client = esdk(strict, OTHER_AK, OTHER_SK)

    boto_refusal = await asyncio.to_thread(
        refusal, lambda: other.create_bucket(Bucket="demo-bucket")
    )
    try:
        esdk_answer = await asyncio.to_thread(client.createBucket, "demo-bucket")
    finally:
        client.close()

    assert boto_refusal == (409, "BucketAlreadyExists")
    assert (esdk_answer.status, esdk_answer.errorCode) == (409, "BucketAlreadyExists")


async def test_list_buckets_lists_only_the_callers_own_buckets(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)

    assert await asyncio.to_thread(listed, demo) == ["demo-bucket"]
    assert await asyncio.to_thread(listed, other) == ["other-bucket", "other-data"]


async def test_a_bucket_created_by_a_domain_is_its_own(strict):
    client = esdk(strict, OTHER_AK, OTHER_SK)
    try:
        created = await asyncio.to_thread(client.createBucket, "fresh-bucket")
        stored = await asyncio.to_thread(client.putContent, "fresh-bucket", "k", "mine")
        got = await asyncio.to_thread(
            client.getObject, "fresh-bucket", "k", loadStreamInMemory=True
        )
    finally:
        client.close()
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)

    assert (created.status, stored.status, got.body.buffer) == (200, 200, b"mine")
    assert await asyncio.to_thread(
        refusal, lambda: demo.get_object(Bucket="fresh-bucket", Key="k")
    ) == (403, "AccessDenied")
    assert "fresh-bucket" not in await asyncio.to_thread(listed, demo)
    assert "fresh-bucket" in await asyncio.to_thread(listed, other)


async def test_a_deleted_bucket_loses_its_owner(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    await asyncio.to_thread(other.create_bucket, Bucket="passed-on")
    await asyncio.to_thread(other.delete_bucket, Bucket="passed-on")

    await asyncio.to_thread(demo.create_bucket, Bucket="passed-on")

    assert "passed-on" in await asyncio.to_thread(listed, demo)
    assert await asyncio.to_thread(refusal, lambda: other.list_objects_v2(Bucket="passed-on")) == (
        403,
        "AccessDenied",
    )


async def test_reset_restores_the_seeds_owners(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    await asyncio.to_thread(other.create_bucket, Bucket="fresh-bucket")

    reset = await strict.post("/_emulator/reset")
    await asyncio.to_thread(demo.create_bucket, Bucket="fresh-bucket")

    assert reset.status == 200
    assert await asyncio.to_thread(listed, demo) == ["demo-bucket", "fresh-bucket"]
    assert await asyncio.to_thread(listed, other) == ["other-bucket", "other-data"]
    assert await asyncio.to_thread(
        refusal, lambda: demo.get_object(Bucket="other-bucket", Key="a")
    ) == (403, "AccessDenied")


async def test_seed_owners_hold_before_storage_loads(make_client, seed, monkeypatch):
    monkeypatch.setattr(app_module, "moto_imported", lambda: False)
    monkeypatch.setattr(app_module, "FINISH_STARTING_AFTER", 3600)
    strict = await make_client(token=None, auth="strict", seed=seed)
    store = strict.app[keys.OBS_STORE]
    other = boto(strict, OTHER_AK, OTHER_SK)

    before = await asyncio.to_thread(
        refusal, lambda: other.get_object(Bucket="demo-bucket", Key=CAT)
    )
    refused_unloaded = store.state
    own = await asyncio.to_thread(other.get_object, Bucket="other-bucket", Key="a")
    after = await asyncio.to_thread(
        refusal, lambda: other.get_object(Bucket="demo-bucket", Key=CAT)
    )

    assert before == after == (403, "AccessDenied")
    assert refused_unloaded == "not loaded"  # refused before storage was even needed
    assert own["Body"].read() == b"A"
    assert store.loaded


async def test_permissive_mode_does_not_check_owners(make_client, seed):
    permissive = await make_client(seed=seed)
    other = boto(permissive, OTHER_AK, OTHER_SK)

    got = await asyncio.to_thread(other.get_object, Bucket="demo-bucket", Key=CAT)

    assert got["Body"].read() == b"demo image cat 1"
    assert await asyncio.to_thread(listed, other) == ["demo-bucket", "other-bucket", "other-data"]


async def test_the_modelarts_side_still_reads_each_domains_buckets(strict):
    demo_url = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}"
    other_url = f"/v2/{OTHER_PROJECT}/datasets/{OTHER_DATASET}"

    demo = await strict.get(demo_url, headers=signed(strict, "GET", demo_url))
    other = await strict.get(
        other_url,
        headers=signed(
            strict,
            "GET",
            other_url,
            ak=OTHER_AK,
            sk=OTHER_SK,
            extra={"X-Project-Id": OTHER_PROJECT},
        ),
    )

    assert demo.status == 200, await demo.text()
    assert (await demo.json())["total_sample_count"] == 16  # the seed's objects in demo-bucket
    assert other.status == 200, await other.text()
    assert (await other.json())["work_path"] == "/other-data/output/"


async def test_a_dataset_whose_bucket_passed_to_another_domain_is_refused(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    await asyncio.to_thread(other.delete_bucket, Bucket="other-data")  # its dataset's bucket
    await asyncio.to_thread(demo.create_bucket, Bucket="other-data")
    await asyncio.to_thread(demo.put_object, Bucket="other-data", Key="images/a.jpg", Body=b"a")
    samples_url = f"/v2/{OTHER_PROJECT}/datasets/{OTHER_DATASET}/data-annotations/samples"

    def as_other(method: str, body: bytes = b"") -> dict:
        return signed(
            strict,
            method,
            samples_url,
            body,
            ak=OTHER_AK,
            sk=OTHER_SK,
            extra={"X-Project-Id": OTHER_PROJECT},
        )

    sample = json.dumps({"samples": [{"name": "b.jpg", "data": "Yg=="}]}).encode()
    listed = await strict.get(samples_url, headers=as_other("GET"))
    added = await strict.post(samples_url, data=sample, headers=as_other("POST", sample))

    for refused in (listed, added):
        body = await refused.json()
        assert (refused.status, body["error_code"]) == (400, "ModelArts.4314")
        assert "bucket other-data belongs to another account" in body["error_msg"]
    kept = await asyncio.to_thread(demo.list_objects_v2, Bucket="other-data")
    assert [entry["Key"] for entry in kept["Contents"]] == ["images/a.jpg"]


async def test_a_seed_bucket_owned_by_an_unknown_domain_is_a_seed_error(make_client, tmp_path):
    with pytest.raises(SeedError, match="bucket 'other-bucket': no domain named 'nowhere'"):
        await make_client(auth="strict", seed=two_domain_seed(tmp_path, bucket_domain="nowhere"))


async def test_a_create_that_fails_leaves_the_name_free(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    broken = await asyncio.to_thread(
        refusal,
        lambda: other.create_bucket(Bucket="contested", ACL="no-such-acl"),
    )
    # moto made the bucket before it refused the ACL: the failed create removes it again,
    # so no bucket is left that nobody owns (and every domain could use).
    left_behind = await asyncio.to_thread(
        refusal, lambda: demo.put_object(Bucket="contested", Key="k", Body=b"demo's")
    )

    await asyncio.to_thread(demo.create_bucket, Bucket="contested")

    assert broken[0] == 400
    assert left_behind == (404, "NoSuchBucket")
    assert "contested" in await asyncio.to_thread(listed, demo)
    assert "contested" not in await asyncio.to_thread(listed, other)


async def test_a_sub_resource_put_on_a_bucket_nobody_owns_does_not_claim_it(strict):
    strict.app[keys.OBS_STORE].create_bucket("loose")  # as code creating buckets directly
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    tags = {"TagSet": [{"Key": "set-by", "Value": "other"}]}

    await asyncio.to_thread(other.put_bucket_tagging, Bucket="loose", Tagging=tags)
    read_back = await asyncio.to_thread(demo.get_bucket_tagging, Bucket="loose")

    assert read_back["TagSet"] == tags["TagSet"]  # still open to every domain
    assert "loose" in await asyncio.to_thread(listed, demo)
    assert "loose" in await asyncio.to_thread(listed, other)


def names(s3, **paging) -> list[str]:
    return [bucket["Name"] for bucket in s3.list_buckets(**paging)["Buckets"]]


async def test_max_buckets_counts_the_callers_own_buckets(strict):
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    await asyncio.to_thread(demo.create_bucket, Bucket="demo-second")
    everything = await asyncio.to_thread(names, other)

    first = await asyncio.to_thread(names, other, MaxBuckets=1)
    both = await asyncio.to_thread(names, other, MaxBuckets=2)
    demos = await asyncio.to_thread(names, demo, MaxBuckets=5)
    prefixed = await asyncio.to_thread(names, other, Prefix="other-d", MaxBuckets=1)

    assert sorted(everything) == ["other-bucket", "other-data"]
    assert prefixed == ["other-data"]  # the other parameters still reach moto
    # demo-bucket comes first in the emulator's listing: the page is other's first bucket.
    assert (first, both) == (everything[:1], everything)
    assert sorted(demos) == ["demo-bucket", "demo-second"]
