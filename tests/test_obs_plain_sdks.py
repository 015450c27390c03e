"""Objects that plain PUTs stored directly are moto's objects: boto3 and esdk-obs-python see
them in listings, copies, ranges, tags, versions and multipart uploads as before."""

from __future__ import annotations

import pytest
from obs import ObsClient

BODY = b"directly stored bytes " * 64


@pytest.fixture
def s3(modelarts_emulator):
    client = modelarts_emulator.s3_client()
    client.create_bucket(Bucket="direct", CreateBucketConfiguration={"LocationConstraint": "eu-de"})
    return client


def test_boto3_puts_an_object_that_moto_lists_copies_and_ranges(s3):
    put = s3.put_object(
        Bucket="direct", Key="a/one.bin", Body=BODY, ContentType="image/png", Metadata={"o": "me"}
    )

    head = s3.head_object(Bucket="direct", Key="a/one.bin")
    listed = s3.list_objects_v2(Bucket="direct", Prefix="a/")["Contents"]
    s3.copy_object(Bucket="direct", Key="b/copy.bin", CopySource="direct/a/one.bin")
    copied = s3.get_object(Bucket="direct", Key="b/copy.bin")
    ranged = s3.get_object(Bucket="direct", Key="a/one.bin", Range="bytes=0-7")

    assert (head["ContentLength"], head["ContentType"], head["Metadata"]) == (
        len(BODY),
        "image/png",
        {"o": "me"},
    )
    assert head["ETag"] == put["ETag"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [
        ("a/one.bin", len(BODY), put["ETag"])
    ]
    assert (copied["Body"].read(), copied["ContentType"]) == (BODY, "image/png")
    assert ranged["Body"].read() == BODY[:8]


def test_overwriting_an_object_drops_its_tags(s3):
    s3.put_object(Bucket="direct", Key="t.txt", Body=b"one")
    s3.put_object_tagging(
        Bucket="direct", Key="t.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    tagged = s3.get_object_tagging(Bucket="direct", Key="t.txt")["TagSet"]
    s3.put_object(Bucket="direct", Key="t.txt", Body=b"two")

    assert tagged == [{"Key": "k", "Value": "v"}]
    assert s3.get_object_tagging(Bucket="direct", Key="t.txt")["TagSet"] == []
    assert s3.get_object(Bucket="direct", Key="t.txt")["Body"].read() == b"two"


def test_a_versioned_bucket_keeps_every_plain_put(s3):
    s3.put_bucket_versioning(Bucket="direct", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="direct", Key="v.txt", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket="direct", Key="v.txt", Body=b"two")["VersionId"]

    versions = s3.list_object_versions(Bucket="direct", Prefix="v.txt")["Versions"]
    old = s3.get_object(Bucket="direct", Key="v.txt", VersionId=first)
    latest = s3.get_object(Bucket="direct", Key="v.txt")

    assert sorted(v["VersionId"] for v in versions) == sorted([first, second])
    assert old["Body"].read() == b"one"
    assert (latest["Body"].read(), latest["VersionId"]) == (b"two", second)


def test_a_multipart_object_is_read_back_by_a_plain_get(s3):
    upload = s3.create_multipart_upload(Bucket="direct", Key="mp.bin")["UploadId"]
    part = s3.upload_part(Bucket="direct", Key="mp.bin", PartNumber=1, UploadId=upload, Body=BODY)
    s3.complete_multipart_upload(
        Bucket="direct",
        Key="mp.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    got = s3.get_object(Bucket="direct", Key="mp.bin")

    assert got["Body"].read() == BODY
    assert got["ETag"].endswith('-1"')


@pytest.mark.parametrize("signature", ["v2", "v4", "obs"])
def test_esdk_obs_puts_reads_lists_and_copies(modelarts_emulator, s3, signature):
    client = ObsClient(
        access_key_id="test-ak",
        secret_access_key="test-sk",
        server=modelarts_emulator.obs_url,
        path_style=True,
        signature=signature,
    )
    try:
        put = client.putContent("direct", "e/one.txt", "hello " + signature)
        meta = client.getObjectMetadata("direct", "e/one.txt")
        got = client.getObject("direct", "e/one.txt", loadStreamInMemory=True)
        copied = client.copyObject("direct", "e/one.txt", "direct", "e/two.txt")
        listed = client.listObjects("direct", prefix="e/")
    finally:
        client.close()

    assert (put.status, meta.status, got.status, copied.status) == (200, 200, 200, 200)
    assert meta.body.etag == put.body.etag
    assert (meta.body.contentLength, meta.body.contentType) == (len(signature) + 6, "text/plain")
    assert got.body.buffer == f"hello {signature}".encode()
    assert [item.key for item in listed.body.contents] == ["e/one.txt", "e/two.txt"]
    assert s3.get_object(Bucket="direct", Key="e/two.txt")["Body"].read() == got.body.buffer
