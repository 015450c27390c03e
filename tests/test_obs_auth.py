"""OBS follows --auth: off lets anyone in, permissive wants a signature (any key), strict
verifies V2, V4 and OBS signatures against the seed's keys. Proved with boto3 and
esdk-obs-python in each signature mode, and with raw requests for what clients never send."""

from __future__ import annotations

import asyncio
import hashlib
import io
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from obs import CompleteMultipartUploadRequest, CompletePart, ObsClient

from emulator.api import keys
from emulator.auth.identity import Credential, Domain, User
from emulator.auth.s3_signature import S3Error, S3Request, verify

ACCESS_KEY = "DEMOACCESSKEY0000001"
SECRET_KEY = "demo-secret-key-0000000000000000000000"
TEMP_ACCESS_KEY = "DEMOTEMPACCESSKEY001"
TEMP_SECRET_KEY = "demo-temporary-secret-key-000000000000"
TEMP_TOKEN = "demo-security-token"
BOTO_SIGNATURES = ["s3v4", "s3"]  # botocore still ships "s3" (AWS V2, HmacV1)
ESDK_SIGNATURES = ["v2", "v4", "obs"]


@pytest.fixture
def obs_server(make_client, aiohttp_server):
    """An emulator in the given auth mode; returns its OBS listener's URL."""

    async def start(auth: str) -> str:
        client = await make_client(auth=auth)
        server = await aiohttp_server(client.app[keys.OBS_APP])
        return str(server.make_url("")).rstrip("/")

    return start


def boto(url: str, signature: str, ak=ACCESS_KEY, sk=SECRET_KEY, token=None):
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        aws_session_token=token,
        region_name="eu-de",
        config=BotoConfig(signature_version=signature, s3={"addressing_style": "path"}),
    )


def esdk(url: str, signature: str, ak=ACCESS_KEY, sk=SECRET_KEY, token=None) -> ObsClient:
    return ObsClient(
        access_key_id=ak,
        secret_access_key=sk,
        security_token=token,
        server=url,
        path_style=True,
        signature=signature,
    )


def raw(method: str, url: str, data: bytes | None = None, headers: dict | None = None):
    """``(status, body)`` of an unsigned (or hand-signed) request."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def error_code(body: bytes) -> str:
    return ET.fromstring(body).findtext("Code")


def boto_cycle(s3, bucket: str) -> list:
    """Create, put, get, list, delete: what each step answered."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"payload")
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]]
    s3.delete_object(Bucket=bucket, Key="dir/a b+c.txt")
    return [got, listed, s3.list_objects_v2(Bucket=bucket)["KeyCount"]]


def esdk_cycle(client: ObsClient, bucket: str) -> list:
    try:
        statuses = [client.createBucket(bucket).status]
        statuses.append(client.putContent(bucket, "dir/file.txt", "payload").status)
        got = client.getObject(bucket, "dir/file.txt", loadStreamInMemory=True)
        listed = client.listObjects(bucket, prefix="dir/")
        statuses.append(client.deleteObject(bucket, "dir/file.txt").status)
        return [statuses, got.body.buffer, [item.key for item in listed.body.contents]]
    finally:
        client.close()


# --- off ------------------------------------------------------------------------------


async def test_off_lets_anonymous_requests_do_anything(obs_server):
    url = await obs_server("off")

    steps = [
        await asyncio.to_thread(raw, "PUT", f"{url}/open-bucket"),
        await asyncio.to_thread(raw, "PUT", f"{url}/open-bucket/k", b"v"),
        await asyncio.to_thread(raw, "PUT", f"{url}/demo-bucket/images/cat-01.jpg", b"w"),
        await asyncio.to_thread(raw, "GET", f"{url}/open-bucket/k"),
        await asyncio.to_thread(raw, "GET", f"{url}/open-bucket?list-type=2"),
        await asyncio.to_thread(raw, "DELETE", f"{url}/open-bucket/k"),
    ]

    assert [status for status, _ in steps] == [200, 200, 200, 200, 200, 204]
    assert steps[3][1] == b"v"
    assert b"<Key>k</Key>" in steps[4][1]


# --- permissive -----------------------------------------------------------------------

ANONYMOUS_STEPS = [
    ("PUT", "/new-bucket", None),
    ("PUT", "/demo-bucket/new-key.txt", b"new"),
    ("PUT", "/demo-bucket/images/cat-01.jpg", b"overwritten"),
    ("GET", "/demo-bucket/images/cat-01.jpg", None),
    ("GET", "/demo-bucket?list-type=2", None),
    ("GET", "/", None),
    ("DELETE", "/demo-bucket/images/cat-01.jpg", None),
    ("POST", "/demo-bucket?delete", b"<Delete><Object><Key>x</Key></Object></Delete>"),
]


@pytest.mark.parametrize(("method", "path", "data"), ANONYMOUS_STEPS)
async def test_permissive_answers_anonymous_requests_as_a_private_bucket(
    obs_server, method, path, data
):
    url = await obs_server("permissive")

    status, body = await asyncio.to_thread(raw, method, url + path, data)

    assert (status, error_code(body)) == (403, "AccessDenied")


async def test_permissive_anonymous_requests_write_nothing(obs_server):
    url = await obs_server("permissive")
    for method, path, data in ANONYMOUS_STEPS:
        await asyncio.to_thread(raw, method, url + path, data)
    s3 = boto(url, "s3v4", ak="any-key", sk="any-secret")

    cat = await asyncio.to_thread(s3.get_object, Bucket="demo-bucket", Key="images/cat-01.jpg")
    listed = await asyncio.to_thread(s3.list_objects_v2, Bucket="demo-bucket")
    buckets = await asyncio.to_thread(s3.list_buckets)

    assert cat["Body"].read() == b"demo image cat 1"
    assert "new-key.txt" not in [o["Key"] for o in listed["Contents"]]
    assert [b["Name"] for b in buckets["Buckets"]] == ["demo-bucket"]


async def test_permissive_answers_anonymous_head_with_403_and_no_body(obs_server):
    url = await obs_server("permissive")
    assert await asyncio.to_thread(raw, "HEAD", f"{url}/demo-bucket/images/cat-01.jpg") == (
        403,
        b"",
    )


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_permissive_lets_boto3_in_with_any_key(obs_server, signature):
    url = await obs_server("permissive")
    s3 = boto(url, signature, ak="unknown-key", sk="wrong-secret")

    got = await asyncio.to_thread(boto_cycle, s3, f"any-{signature}")

    assert got == [b"payload", ["dir/a b+c.txt"], 0]


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
async def test_permissive_lets_esdk_in_with_any_key(obs_server, signature):
    url = await obs_server("permissive")
    client = esdk(url, signature, ak="unknown-key", sk="wrong-secret")

    got = await asyncio.to_thread(esdk_cycle, client, f"any-{signature}")

    assert got == [[200, 200, 204], b"payload", ["dir/file.txt"]]


async def test_permissive_refuses_an_authorization_header_of_no_known_kind(obs_server):
    url = await obs_server("permissive")
    status, body = await asyncio.to_thread(
        raw, "GET", f"{url}/demo-bucket", None, {"Authorization": "Bearer x"}
    )
    assert (status, error_code(body)) == (400, "InvalidArgument")


# --- strict: real clients -------------------------------------------------------------


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_strict_accepts_boto3_signed_with_a_seed_key(obs_server, signature):
    url = await obs_server("strict")

    got = await asyncio.to_thread(boto_cycle, boto(url, signature), f"strict-{signature}")

    assert got == [b"payload", ["dir/a b+c.txt"], 0]


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
async def test_strict_accepts_esdk_signed_with_a_seed_key(obs_server, signature):
    url = await obs_server("strict")

    got = await asyncio.to_thread(esdk_cycle, esdk(url, signature), f"strict-{signature}")

    assert got == [[200, 200, 204], b"payload", ["dir/file.txt"]]


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_strict_accepts_temporary_keys_with_their_token(obs_server, signature):
    url = await obs_server("strict")
    s3 = boto(url, signature, ak=TEMP_ACCESS_KEY, sk=TEMP_SECRET_KEY, token=TEMP_TOKEN)

    got = await asyncio.to_thread(boto_cycle, s3, f"temp-{signature}")

    assert got == [b"payload", ["dir/a b+c.txt"], 0]


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
async def test_strict_accepts_esdk_temporary_keys_with_their_token(obs_server, signature):
    url = await obs_server("strict")
    client = esdk(url, signature, ak=TEMP_ACCESS_KEY, sk=TEMP_SECRET_KEY, token=TEMP_TOKEN)

    got = await asyncio.to_thread(esdk_cycle, client, f"temp-{signature}")

    assert got == [[200, 200, 204], b"payload", ["dir/file.txt"]]


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_strict_accepts_boto3_presigned_urls(obs_server, signature):
    url = await obs_server("strict")
    s3 = boto(url, signature)
    presigned = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "demo-bucket", "Key": "images/cat-01.jpg"}
    )

    assert await asyncio.to_thread(raw, "GET", presigned) == (200, b"demo image cat 1")


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
async def test_strict_accepts_esdk_signed_urls(obs_server, signature):
    url = await obs_server("strict")
    client = esdk(url, signature)
    signed = client.createSignedUrl("GET", "demo-bucket", "images/cat-01.jpg", expires=300)
    client.close()

    got = await asyncio.to_thread(
        raw, "GET", signed.signedUrl, None, signed.actualSignedRequestHeaders
    )

    assert got == (200, b"demo image cat 1")


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
@pytest.mark.parametrize(
    ("ak", "sk", "code"),
    [
        ("UNKNOWNACCESSKEY0001", SECRET_KEY, "InvalidAccessKeyId"),
        (ACCESS_KEY, "wrong-secret", "SignatureDoesNotMatch"),
    ],
)
async def test_strict_refuses_boto3_with_unknown_key_or_bad_signature(
    obs_server, signature, ak, sk, code
):
    url = await obs_server("strict")
    s3 = boto(url, signature, ak=ak, sk=sk)

    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(s3.put_object, Bucket="demo-bucket", Key="x", Body=b"x")

    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    listed = await asyncio.to_thread(boto(url, signature).list_objects_v2, Bucket="demo-bucket")
    assert "x" not in [o["Key"] for o in listed["Contents"]]


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
@pytest.mark.parametrize(
    ("ak", "sk", "code"),
    [
        ("UNKNOWNACCESSKEY0001", SECRET_KEY, "InvalidAccessKeyId"),
        (ACCESS_KEY, "wrong-secret", "SignatureDoesNotMatch"),
    ],
)
async def test_strict_refuses_esdk_with_unknown_key_or_bad_signature(
    obs_server, signature, ak, sk, code
):
    url = await obs_server("strict")
    client = esdk(url, signature, ak=ak, sk=sk)
    try:
        refused = await asyncio.to_thread(client.putContent, "demo-bucket", "x", "x")
    finally:
        client.close()

    assert (refused.status, refused.errorCode) == (403, code)


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_strict_refuses_a_temporary_key_without_its_token(obs_server, signature):
    url = await obs_server("strict")
    s3 = boto(url, signature, ak=TEMP_ACCESS_KEY, sk=TEMP_SECRET_KEY)

    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(s3.list_objects_v2, Bucket="demo-bucket")

    assert refused.value.response["Error"]["Code"] == "InvalidToken"


async def test_strict_refuses_anonymous_requests(obs_server):
    url = await obs_server("strict")
    status, body = await asyncio.to_thread(raw, "PUT", f"{url}/demo-bucket/k", b"v")
    assert (status, error_code(body)) == (403, "AccessDenied")


# --- strict: what clients never send ---------------------------------------------------


def _v4_signed(url: str, body: bytes) -> dict:
    request = AWSRequest("PUT", url, data=body)
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "eu-de").add_auth(request)
    return dict(request.headers.items())


async def test_strict_refuses_a_body_swapped_after_signing(obs_server):
    url = await obs_server("strict")
    headers = _v4_signed(f"{url}/demo-bucket/k", b"signed body")

    status, body = await asyncio.to_thread(
        raw, "PUT", f"{url}/demo-bucket/k", b"forged body", headers
    )

    assert (status, error_code(body)) == (400, "XAmzContentSHA256Mismatch")


async def test_strict_accepts_the_body_it_was_signed_for(obs_server):
    url = await obs_server("strict")
    headers = _v4_signed(f"{url}/demo-bucket/k", b"signed body")

    status, _ = await asyncio.to_thread(raw, "PUT", f"{url}/demo-bucket/k", b"signed body", headers)

    assert status == 200


async def test_strict_signature_mismatch_says_what_was_signed(obs_server):
    url = await obs_server("strict")
    s3 = boto(url, "s3", sk="wrong-secret")

    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(s3.get_object, Bucket="demo-bucket", Key="images/cat-01.jpg")

    error = refused.value.response["Error"]
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["StringToSign"].startswith("GET\n")
    assert error["StringToSign"].endswith("\n/demo-bucket/images/cat-01.jpg")


async def test_a_header_signed_thousands_of_times_over_is_echoed_cut(obs_server):
    url = await obs_server("strict")
    headers = _v4_signed(f"{url}/demo-bucket/k", b"")
    headers["Authorization"] = headers["Authorization"].replace(
        "SignedHeaders=", "SignedHeaders=" + "x-big;" * 1000
    )
    headers["x-big"] = "y" * 8000

    status, body = await asyncio.to_thread(raw, "PUT", f"{url}/demo-bucket/k", b"", headers)

    canonical = ET.fromstring(body).findtext("CanonicalRequest")
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")
    assert len(canonical) < 70_000  # of 8 MB it would have shown whole
    assert canonical.endswith(" more characters]")


# --- time limits (the signature module, with the clock moved instead of waited for) -------


def _presigned_request(signature: str) -> S3Request:
    s3 = boto("http://127.0.0.1:9", signature)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "demo-bucket", "Key": "k"}, ExpiresIn=60
    )
    parts = urlsplit(url)
    return S3Request("GET", parts.path, parts.query, {"host": parts.netloc})


def _seed_credential(access_key: str) -> Credential | None:
    user = User("u", "demo-user", "p", Domain("d", "demo-domain"))
    return Credential(ACCESS_KEY, SECRET_KEY, user) if access_key == ACCESS_KEY else None


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
def test_presigned_urls_work_until_they_expire(signature):
    request = _presigned_request(signature)
    now = datetime.now(UTC)

    assert verify(request, _seed_credential, now).access_key == ACCESS_KEY
    with pytest.raises(S3Error) as expired:
        verify(request, _seed_credential, now + timedelta(seconds=120))
    assert (expired.value.code, expired.value.message) == ("AccessDenied", "Request has expired")


async def test_strict_refuses_a_request_signed_long_ago(obs_server, monkeypatch):
    url = await obs_server("strict")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime(2020, 1, 1))
    request = AWSRequest("GET", f"{url}/demo-bucket")
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "eu-de").add_auth(request)

    status, body = await asyncio.to_thread(
        raw, "GET", f"{url}/demo-bucket", None, dict(request.headers.items())
    )

    assert (status, error_code(body)) == (403, "RequestTimeTooSkewed")


async def test_strict_v4_must_sign_the_host(obs_server):
    url = await obs_server("strict")
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/eu-de/s3/aws4_request, "
        "SignedHeaders=x-nothing, Signature=00"
    )

    status, body = await asyncio.to_thread(
        raw, "GET", f"{url}/demo-bucket", None, {"Authorization": authorization}
    )

    assert (status, error_code(body)) == (400, "AuthorizationHeaderMalformed")


@pytest.mark.parametrize("signature", BOTO_SIGNATURES)
async def test_strict_accepts_boto3_multipart_uploads(obs_server, signature):
    url = await obs_server("strict")
    s3 = boto(url, signature)
    data = bytes(range(256)) * (9 * 4096)  # 9 MiB: boto3 switches to multipart at 8 MiB

    def upload_and_read() -> bytes:
        s3.upload_fileobj(io.BytesIO(data), "demo-bucket", "multi/part.bin")
        return s3.get_object(Bucket="demo-bucket", Key="multi/part.bin")["Body"].read()

    assert await asyncio.to_thread(upload_and_read) == data


@pytest.mark.parametrize("signature", ESDK_SIGNATURES)
async def test_strict_accepts_esdk_multipart_uploads(obs_server, signature):
    url = await obs_server("strict")
    client = esdk(url, signature)
    part = b"p" * (5 * 1024 * 1024)

    def upload_and_read() -> tuple:
        started = client.initiateMultipartUpload("demo-bucket", "multi/esdk.bin")
        upload_id = started.body.uploadId
        first = client.uploadPart("demo-bucket", "multi/esdk.bin", 1, upload_id, part)
        second = client.uploadPart("demo-bucket", "multi/esdk.bin", 2, upload_id, b"tail")
        parts = [CompletePart(1, first.body.etag), CompletePart(2, second.body.etag)]
        done = client.completeMultipartUpload(
            "demo-bucket", "multi/esdk.bin", upload_id, CompleteMultipartUploadRequest(parts)
        )
        got = client.getObject("demo-bucket", "multi/esdk.bin", loadStreamInMemory=True)
        return started.status, done.status, got.body.buffer

    try:
        got = await asyncio.to_thread(upload_and_read)
    finally:
        client.close()

    assert got == (200, 200, part + b"tail")
