"""Plain object PUT, GET and HEAD are answered without moto's request layer, and the answer
is exactly moto's: the same requests sent to a twin listener over the same store, with that
shortcut turned off, get the same status, headers (in order) and body. Only request ids and
the Date header differ from one answer to the next; moto's clock is frozen so that both
objects of a pair carry the same Last-Modified."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from emulator.api import keys
from emulator.obs.server import (
    BODY_TIMEOUT,
    GATE,
    INLINE_BYTES,
    MAX_BODY_BYTES,
    STORE,
    create_obs_app,
)

SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}
BODY = b"plain object bytes \x00\xff" * 100
SHA256 = hashlib.sha256(BODY).hexdigest()
ACCESS_KEY = "DEMOACCESSKEY0000001"  # the bundled seed's
SECRET_KEY = "demo-secret-key-0000000000000000000000"
FROZEN = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC).replace(tzinfo=None)
_ID_HEADERS = {"x-amzn-requestid", "x-amz-request-id", "x-obs-request-id", "x-amz-version-id"}


class Listeners:
    """The emulator's OBS listener (shortcut on) and its twin (off), and who asked moto."""

    def __init__(self, fast, slow, handled: list[str]) -> None:
        self.fast, self.slow, self.handled = fast, slow, handled

    async def both(self, method: str, path: str, **kwargs) -> tuple:
        """The same request to each listener (the twin first); both normalised answers."""
        slow = await answer(self.slow, method, path, **kwargs)
        self.handled.clear()
        fast = await answer(self.fast, method, path, **kwargs)
        return slow, fast

    async def pair(self, method: str, slow_path: str, fast_path: str, **kwargs) -> tuple:
        """The twin answers for one object, the listener for another one like it."""
        slow = await answer(self.slow, method, slow_path, **kwargs)
        self.handled.clear()
        fast = await answer(self.fast, method, fast_path, **kwargs)
        return slow, fast


async def answer(client, method: str, path: str, **kwargs) -> tuple:
    """Status, headers in order (ids and Date replaced) and body, as the client got them."""
    response = await client.request(method, path, **kwargs)
    body = await response.read()
    headers = []
    for raw_name, raw_value in response.raw_headers:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name.lower() == "date":
            value = "<date>"
        elif name.lower() in _ID_HEADERS:
            value = "<id>"
        headers.append((name, value))
    body = re.sub(rb"<RequestId>[^<]*</RequestId>", b"<RequestId/>", body)
    return response.status, headers, body


@pytest.fixture
def frozen_moto_clock(monkeypatch):
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "utcnow", lambda: FROZEN)


async def _listeners(make_client, aiohttp_client, **config) -> Listeners:
    client = await make_client(**config)
    fast_app = client.app[keys.OBS_APP]
    gate = fast_app[GATE]
    slow_app = create_obs_app(
        fast_app[STORE],
        fast_app[MAX_BODY_BYTES],
        auth=gate.mode,
        credential_for=gate.credential_for,
        body_timeout=fast_app[BODY_TIMEOUT],
        plain_path=False,
    )
    store = fast_app[STORE]
    handled: list[str] = []
    handle = store.handle

    def recorded(method, path_qs, headers, body, *guard):
        handled.append(f"{method} {path_qs}")
        return handle(method, path_qs, headers, body, *guard)

    store.handle = recorded
    # The bytes as sent: a stored Content-Encoding is the object's, not the transfer's.
    fast = await aiohttp_client(fast_app, headers=SIGNED, auto_decompress=False)
    slow = await aiohttp_client(slow_app, headers=SIGNED, auto_decompress=False)
    store.create_bucket("plain")
    return Listeners(fast, slow, handled)


@pytest.fixture
async def obs(make_client, aiohttp_client, frozen_moto_clock) -> Listeners:
    return await _listeners(make_client, aiohttp_client)


PUT_HEADERS = {
    "binary": {"Content-Type": "application/octet-stream"},
    "text with metadata": {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-MD5": base64.b64encode(hashlib.md5(BODY).digest()).decode(),
        "Cache-Control": "no-cache",
        "Content-Disposition": 'attachment; filename="a.txt"',
        "Content-Language": "de",
        "Expires": "Thu, 01 Dec 2033 16:00:00 GMT",
        "X-Robots-Tag": "noindex",
        "x-amz-meta-Owner": "someone",
        "X-Amz-Meta-a.b": "dotted",
    },
    "encoded": {"Content-Type": "application/json", "Content-Encoding": "aws-chunked,gzip"},
    "as boto3 sends it": {
        "x-amz-checksum-crc32": "Xg5djw==",
        "x-amz-sdk-checksum-algorithm": "CRC32",
        "X-Amz-Date": "20260304T050607Z",
        "X-Amz-Content-SHA256": SHA256,
        "amz-sdk-invocation-id": "23ec490b-eee6-4506-a9fe-cb45d33c836a",
        "amz-sdk-request": "attempt=1; max=3",
        "User-Agent": "Boto3/1.44.8",
    },
    "as esdk-obs-python sends it": {
        "Content-Type": "text/plain",
        "Date": "Wed, 04 Mar 2026 05:06:07 GMT",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "User-Agent": "obs-sdk-python/3.26.6",
    },
}


@pytest.mark.parametrize("case", PUT_HEADERS)
async def test_put_then_get_and_head_answer_as_moto_does(obs, case):
    headers = PUT_HEADERS[case]
    slow_key, fast_key = f"/plain/slow/{case}.bin", f"/plain/fast/{case}.bin"
    slow_key, fast_key = (k.replace(" ", "-") for k in (slow_key, fast_key))

    put = await obs.pair("PUT", slow_key, fast_key, data=BODY, headers=headers)
    assert put[0] == put[1] and put[0][0] == 200
    assert obs.handled == []  # the listener did not ask moto's request layer
    for method in ("GET", "HEAD"):
        for asked in ({}, {"x-amz-checksum-mode": "ENABLED"}):
            answers = [
                await answer(listener, method, key, headers=asked)
                for listener in (obs.slow, obs.fast)
                for key in (slow_key, fast_key)
            ]
            assert all(got == answers[0] for got in answers), (method, asked)
            assert answers[0][0] == 200


async def test_an_object_without_content_type_or_bytes_answers_as_moto_does(obs):
    for body in (BODY, b""):
        put = await obs.pair(
            "PUT", "/plain/s.raw", "/plain/f.raw", data=body, skip_auto_headers=["Content-Type"]
        )
        got = await obs.pair("GET", "/plain/s.raw", "/plain/f.raw")
        assert put[0] == put[1] and got[0] == got[1]
        assert got[1][2] == body


async def test_objects_the_modelarts_side_wrote_answer_as_moto_does(obs):
    """The seed's images and what the service writes (store.put_object) read the same."""
    obs.fast.app[STORE].put_object("plain", "out/result.json", b"{}", "application/json")
    for path in ("/demo-bucket/images/cat-01.jpg", "/plain/out/result.json"):
        for method in ("GET", "HEAD"):
            slow, fast = await obs.both(method, path)
            assert slow == fast and slow[0] == 200
            assert obs.handled == []


@pytest.mark.parametrize(
    "key", ["dir/", "a//b", "a/b/c.txt", "x!$'()*,;=:@+~y", "UPPER_lower-1.2", "with space", "%41"]
)
async def test_keys_of_any_shape_answer_as_moto_does(obs, key):
    """Keys outside the plain path's characters go to moto; both are the same to the user."""
    put = await obs.both("PUT", f"/plain/{key}", data=BODY)
    got = await obs.both("GET", f"/plain/{key}")
    assert put[0] == put[1] and got[0] == got[1]
    assert got[1][0] == 200 and got[1][2] == BODY


async def test_an_object_larger_than_the_loop_takes_answers_as_moto_does(obs):
    large = bytes(range(256)) * (INLINE_BYTES // 128)
    put = await obs.pair("PUT", "/plain/s.large", "/plain/f.large", data=large)
    got = await obs.pair("GET", "/plain/s.large", "/plain/f.large")
    assert put[0] == put[1] and got[0] == got[1]
    assert got[1][2] == large and obs.handled == []


@pytest.mark.parametrize(
    "method, path",
    [
        ("PUT", "/no-such-bucket/k"),
        ("GET", "/no-such-bucket/k"),
        ("GET", "/plain/no-such-key"),
        ("HEAD", "/plain/no-such-key"),
    ],
)
async def test_missing_buckets_and_keys_are_refused_as_moto_refuses_them(obs, method, path):
    slow, fast = await obs.both(method, path, data=BODY if method == "PUT" else None)
    assert slow == fast
    assert slow[0] == 404


async def test_anonymous_requests_are_refused_the_same(obs):
    slow, fast = await obs.both("GET", "/plain/k", headers={"Authorization": ""})
    assert slow == fast
    assert (slow[0], b"<Code>AccessDenied</Code>" in slow[2]) == (403, True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=2-5"},
        {"If-None-Match": '"x"'},
        {"If-Modified-Since": "Wed, 04 Mar 2026 05:06:07 GMT"},
        {"x-amz-meta-under_score": "1"},
        {"Origin": "http://example.com"},
    ],
)
async def test_other_headers_go_to_moto_and_answer_the_same(obs, headers):
    await obs.fast.put("/plain/k", data=BODY)
    slow, fast = await obs.both("GET", "/plain/k", headers=headers)
    assert slow == fast
    assert obs.handled == ["GET /plain/k"]


@pytest.mark.parametrize("query", ["?acl", "?tagging", "?versionId=null", "?partNumber=1"])
async def test_sub_resources_go_to_moto_and_answer_the_same(obs, query):
    await obs.fast.put("/plain/k", data=BODY)
    slow, fast = await obs.both("GET", "/plain/k" + query)
    assert slow == fast
    assert obs.handled == ["GET /plain/k" + query]


async def test_a_versioned_bucket_answers_as_moto_does(obs):
    versioning = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    assert (await obs.slow.put("/plain?versioning", data=versioning)).status == 200
    put = await obs.pair("PUT", "/plain/s.v", "/plain/f.v", data=BODY)
    got = await obs.pair("GET", "/plain/s.v", "/plain/f.v")
    assert put[0] == put[1] and got[0] == got[1]
    assert "x-amz-version-id" in {name.lower() for name, _ in got[1][1]}


async def test_a_kms_bucket_answers_as_moto_does(obs):
    obs.fast.app[STORE].create_bucket("plain", kms_key_id="kms-key-1")
    put = await obs.pair("PUT", "/plain/s.k", "/plain/f.k", data=BODY)
    got = await obs.pair("GET", "/plain/s.k", "/plain/f.k")
    assert put[0] == put[1] and got[0] == got[1]
    assert ("x-amz-server-side-encryption", "aws:kms") in got[1][1]


async def test_a_bucket_with_a_policy_goes_to_moto(obs):
    policy = (
        b'{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",'
        b' "Action": "s3:GetObject", "Resource": "arn:aws:s3:::plain/*"}]}'
    )
    assert (await obs.slow.put("/plain?policy", data=policy)).status in (200, 204)
    await obs.fast.put("/plain/k", data=BODY)
    slow, fast = await obs.both("GET", "/plain/k")
    assert slow == fast and slow[0] == 403
    assert obs.handled == ["GET /plain/k"]


def _v2_signed(method: str, path: str, content_type: str = "") -> dict[str, str]:
    date = formatdate(usegmt=True)
    text = f"{method}\n\n{content_type}\n{date}\n{path}"
    digest = hmac.new(SECRET_KEY.encode(), text.encode(), hashlib.sha1).digest()
    signature = base64.b64encode(digest).decode()
    return {"Date": date, "Authorization": f"AWS {ACCESS_KEY}:{signature}"}


async def test_strict_mode_verifies_plain_requests_as_before(
    make_client, aiohttp_client, frozen_moto_clock
):
    obs = await _listeners(make_client, aiohttp_client, auth="strict")
    kind = {"Content-Type": "text/plain"}
    signed = _v2_signed("PUT", "/plain/k", "text/plain") | kind
    forged = signed | {"Authorization": f"AWS {ACCESS_KEY}:Zm9yZ2Vk"}

    refused = await obs.both("PUT", "/plain/k", data=BODY, headers=forged)
    stored = await obs.both("PUT", "/plain/k", data=BODY, headers=signed)
    got = await obs.both("GET", "/plain/k", headers=_v2_signed("GET", "/plain/k"))

    assert refused[0] == refused[1] and refused[0][0] == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused[0][2]
    assert stored[0] == stored[1] and stored[0][0] == 200
    assert got[0] == got[1] and got[0][2] == BODY
    assert obs.handled == []
