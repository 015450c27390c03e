"""OBS tenancy in strict mode reads every request as moto reads it: a path, a copy source or
a query that one parser would read as one bucket and moto as another never reaches another
domain's bucket. Requests are signed (SigV4) here and sent with exactly the path given, as
no SDK would send them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.client
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.api import keys
from tests.conftest import obs_url
from tests.test_obs_tenancy import (
    CAT,
    DEMO_AK,
    DEMO_SK,
    OTHER_AK,
    OTHER_SK,
    boto,
    listed,
    refusal,
    two_domain_seed,
)

CAT_BYTES = b"demo image cat 1"


@pytest.fixture
async def strict(make_client, tmp_path):
    return await make_client(token=None, auth="strict", seed=two_domain_seed(tmp_path))


def send(client, ak: str, sk: str, method: str, path: str, headers=None, body=b"", signed=None):
    """A SigV4-signed request for ``signed`` (default ``path``) sent with exactly ``path``:
    (status, body)."""
    base = obs_url(client)
    netloc = urlsplit(base).netloc
    request = AWSRequest(
        method=method, url=base + (signed or path), data=body, headers=dict(headers or {})
    )
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    request.headers["Host"] = netloc
    S3SigV4Auth(Credentials(ak, sk), "s3", "eu-de").add_auth(request)
    connection = http.client.HTTPConnection(netloc, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


async def sent(*args, **kwargs) -> tuple[int, bytes]:
    return await asyncio.to_thread(send, *args, **kwargs)


def error_code(payload: bytes) -> str:
    return payload.split(b"<Code>", 1)[1].split(b"</Code>", 1)[0].decode()


async def demo_cat(client) -> bytes:
    demo = boto(client, DEMO_AK, DEMO_SK)
    got = await asyncio.to_thread(demo.get_object, Bucket="demo-bucket", Key=CAT)
    return got["Body"].read()


def delete_body() -> tuple[dict[str, str], bytes]:
    body = f"<Delete><Object><Key>{CAT}</Key></Object></Delete>".encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return {"Content-MD5": md5, "Content-Type": "application/xml"}, body


async def test_the_raw_signer_reaches_the_owners_bucket(strict):
    """The requests below are refused for their paths, not for their signatures."""
    status, payload = await sent(strict, DEMO_AK, DEMO_SK, "GET", "/demo-bucket")

    assert status == 200
    assert CAT.encode() in payload


@pytest.mark.parametrize(
    "path", ["/demo-bucket;x", "/demo-bucket;", "/demo-bucket;x?list-type=2", "/;x"]
)
async def test_a_path_parameter_on_the_bucket_is_an_invalid_bucket_name(strict, path):
    status, payload = await sent(strict, OTHER_AK, OTHER_SK, "GET", path)

    assert (status, error_code(payload)) == (400, "InvalidBucketName")
    assert CAT.encode() not in payload


async def test_a_delete_through_a_path_parameter_deletes_nothing(strict):
    headers, body = delete_body()

    status, payload = await sent(
        strict, OTHER_AK, OTHER_SK, "POST", "/demo-bucket;x?delete", headers, body
    )

    assert (status, error_code(payload)) == (400, "InvalidBucketName")
    assert await demo_cat(strict) == CAT_BYTES


async def test_a_bucket_delete_through_a_path_parameter_is_refused(strict):
    status, payload = await sent(strict, OTHER_AK, OTHER_SK, "DELETE", "/demo-bucket;x")

    assert (status, error_code(payload)) == (400, "InvalidBucketName")
    assert "demo-bucket" in await asyncio.to_thread(listed, boto(strict, DEMO_AK, DEMO_SK))


async def test_a_create_through_a_path_parameter_makes_no_bucket(strict):
    status, payload = await sent(strict, DEMO_AK, DEMO_SK, "PUT", "/fresh;x")

    assert (status, error_code(payload)) == (400, "InvalidBucketName")
    assert not strict.app[keys.OBS_STORE].bucket_exists("fresh")


@pytest.mark.parametrize("path", ["/demo%2Dbucket", "/demo-bucket%3Bx", "/demo%2Fbucket/x"])
async def test_an_escaped_bucket_segment_never_reaches_another_domains_bucket(strict, path):
    status, payload = await sent(strict, OTHER_AK, OTHER_SK, "GET", path)

    assert status in (400, 403)
    assert CAT.encode() not in payload


def other_bucket_keys(client) -> list[str]:
    other = boto(client, OTHER_AK, OTHER_SK)
    listing = other.list_objects_v2(Bucket="other-bucket")
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.mark.parametrize(
    "source",
    [
        f"%2F%2Fdemo-bucket/{CAT}",  # decoded after moto splits: "//demo-bucket/..."
        f"/%2Fdemo-bucket/{CAT}",
        f"%2Fdemo-bucket%2F{CAT}",
        f"demo-bucket/{CAT}?versionId=null",
    ],
)
@pytest.mark.parametrize("header", ["x-amz-copy-source", "x-obs-copy-source"])
async def test_a_copy_out_of_another_domains_bucket_is_refused(strict, header, source):
    status, payload = await sent(
        strict, OTHER_AK, OTHER_SK, "PUT", "/other-bucket/stolen", {header: source}
    )

    assert (status, error_code(payload)) == (403, "AccessDenied")
    assert await asyncio.to_thread(other_bucket_keys, strict) == ["a"]


async def test_a_part_copied_out_of_another_domains_bucket_is_refused(strict):
    other = boto(strict, OTHER_AK, OTHER_SK)
    upload = await asyncio.to_thread(
        other.create_multipart_upload, Bucket="other-bucket", Key="stolen"
    )
    path = f"/other-bucket/stolen?partNumber=1&uploadId={upload['UploadId']}"
    headers = {"x-amz-copy-source": f"%2F%2Fdemo-bucket/{CAT}"}

    status, payload = await sent(strict, OTHER_AK, OTHER_SK, "PUT", path, headers)

    assert (status, error_code(payload)) == (403, "AccessDenied")


@pytest.mark.parametrize(
    ("header", "answer"),
    [
        ("x-amz-copy-source", (400, "InvalidRequest")),  # moto cannot read it either
        ("x-obs-copy-source", (200, None)),  # moto reads no OBS copy header: a plain PUT
    ],
)
@pytest.mark.parametrize("source", [f"//[demo-bucket/{CAT}", "http://[::1/demo-bucket/x"])
async def test_an_unreadable_copy_source_is_answered_as_in_the_other_modes(
    strict, header, answer, source
):
    status, payload = await sent(
        strict, DEMO_AK, DEMO_SK, "PUT", "/demo-bucket/copied", {header: source}
    )

    assert (status, error_code(payload) if status >= 400 else None) == answer
    assert (await sent(strict, DEMO_AK, DEMO_SK, "GET", "/demo-bucket"))[0] == 200


async def test_the_owner_copies_with_an_escaped_source(strict):
    """The same escaped copy source still works for the bucket's owner: moto's reading."""
    headers = {"x-amz-copy-source": f"%2F%2Fdemo-bucket/{CAT}"}

    status, _ = await sent(strict, DEMO_AK, DEMO_SK, "PUT", "/demo-bucket/copied", headers)

    demo = boto(strict, DEMO_AK, DEMO_SK)
    got = await asyncio.to_thread(demo.get_object, Bucket="demo-bucket", Key="copied")
    assert status == 200
    assert got["Body"].read() == CAT_BYTES


@pytest.mark.parametrize("query", ["x-id=CreateBucket", "anything-else", "unknown=1"])
async def test_a_create_with_a_query_moto_does_not_know_is_the_creators(strict, query):
    """moto creates a bucket for a PUT with a query it does not read (``?x-id=...``, as
    some SDKs add): that bucket is the creator's like any other it creates."""
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)

    status, _ = await sent(strict, DEMO_AK, DEMO_SK, "PUT", f"/demo-private?{query}")
    planted = await asyncio.to_thread(
        refusal, lambda: other.put_object(Bucket="demo-private", Key="k", Body=b"x")
    )

    assert status == 200
    assert strict.app[keys.OBS_STORE].owners.owner("demo-private") is not None
    assert "demo-private" in await asyncio.to_thread(listed, demo)
    assert "demo-private" not in await asyncio.to_thread(listed, other)
    assert planted == (403, "AccessDenied")


def bucket_names(payload: bytes) -> list[str]:
    return [part.split(b"</Name>", 1)[0].decode() for part in payload.split(b"<Name>")[1:]]


REFUSED_MAX_BUCKETS = {  # sent as, and as the signature canonicalises it
    "superscript two": ("%C2%B2", "%C2%B2"),
    "5000 digits": ("9" * 5000, "9" * 5000),
    "zero": ("0", "0"),
    "negative": ("-1", "-1"),
    "plus one": ("+1", "%2B1"),
    "space one": ("%201", "%201"),
    "letters": ("abc", "abc"),
    "above 10000": ("10001", "10001"),
    "empty": ("", ""),
}


@pytest.mark.parametrize("auth", ["strict", "permissive"])
@pytest.mark.parametrize("case", list(REFUSED_MAX_BUCKETS))
async def test_max_buckets_out_of_range_is_invalid_argument(make_client, tmp_path, auth, case):
    client = await make_client(token=None, auth=auth, seed=two_domain_seed(tmp_path))
    value, signed = REFUSED_MAX_BUCKETS[case]

    status, payload = await sent(
        client,
        OTHER_AK,
        OTHER_SK,
        "GET",
        f"/?max-buckets={value}",
        signed=f"/?max-buckets={signed}",
    )

    assert (status, error_code(payload)) == (400, "InvalidArgument")
    assert b"<ArgumentName>max-buckets</ArgumentName>" in payload


@pytest.mark.parametrize(
    "sent_as, signed",
    [
        ("max-buckets=%31", "max-buckets=1"),
        ("max%2Dbuckets=1", "max-buckets=1"),
        ("max-buckets=01", "max-buckets=01"),
        ("max-buckets=000001", "max-buckets=000001"),
        ("max-buckets=" + "0" * 5000 + "1", "max-buckets=" + "0" * 5000 + "1"),
    ],
)
async def test_an_escaped_max_buckets_counts_the_callers_own_buckets(strict, sent_as, signed):
    """Read decoded, as moto reads it: one of the caller's own buckets, not a page cut
    before the owners' filter (which was empty: demo-bucket comes first)."""
    status, payload = await sent(
        strict, OTHER_AK, OTHER_SK, "GET", f"/?{sent_as}", signed=f"/?{signed}"
    )

    assert status == 200
    assert len(bucket_names(payload)) == 1
    assert bucket_names(payload)[0] in ("other-bucket", "other-data")


async def test_max_buckets_in_a_form_body_does_not_cut_the_listing(strict):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    status, payload = await sent(
        strict, OTHER_AK, OTHER_SK, "GET", "/", headers, body=b"max-buckets=1"
    )

    assert status == 200
    assert sorted(bucket_names(payload)) == ["other-bucket", "other-data"]
