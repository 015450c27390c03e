"""Input moto does not expect is a 4xx S3 error document, never a 500, on the OBS listener."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from emulator.api import keys
from emulator.obs.server import create_obs_app
from emulator.obs.store import ObjectStore

SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}


@pytest.fixture
async def obs(make_client, aiohttp_client):
    client = await make_client()
    return await aiohttp_client(client.app[keys.OBS_APP], headers=SIGNED)


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("POST", "/demo-bucket?delete", b"<a<b>", "MalformedXML"),
        ("PUT", "/new-bucket", b"<a<b>", "MalformedXML"),
        ("PUT", "/demo-bucket?tagging", b"xyz", "MalformedXML"),
        ("GET", "/demo-bucket?max-keys=abc", b"", "InvalidRequest"),
        ("POST", "/demo-bucket/k?uploadId=nope", b"xyz", "InvalidRequest"),
    ],
)
async def test_malformed_requests_are_400_and_the_listener_keeps_serving(
    obs, method, path, body, code
):
    response = await obs.request(method, path, data=body)
    document = ET.fromstring(await response.read())

    assert (response.status, document.findtext("Code")) == (400, code)
    assert response.headers["x-obs-error-code"] == code
    assert (await obs.get("/demo-bucket/images/cat-01.jpg")).status == 200


def _delete_document(count: int, start_tag: str = "<Object>") -> bytes:
    objects = "".join(
        f"{start_tag}<Key>images/cat-0{n % 5 + 1}.jpg</Key></Object>" for n in range(count)
    )
    return f"<Delete>{objects}</Delete>".encode()


@pytest.mark.parametrize("start_tag", ["<Object>", "<Object\n>", "<Object\t >"])
async def test_a_delete_of_more_than_1000_keys_is_malformed_and_deletes_nothing(obs, start_tag):
    response = await obs.post("/demo-bucket?delete", data=_delete_document(1001, start_tag))
    document = ET.fromstring(await response.read())

    assert (response.status, document.findtext("Code")) == (400, "MalformedXML")
    assert (await obs.get("/demo-bucket/images/cat-01.jpg")).status == 200


async def test_a_delete_of_1000_keys_is_answered(obs):
    response = await obs.post("/demo-bucket?delete", data=_delete_document(1000))

    assert response.status == 200
    assert (await obs.get("/demo-bucket/images/cat-01.jpg")).status == 404


async def test_header_bytes_that_are_not_utf8_are_refused_in_strict_mode(
    make_client, aiohttp_server
):
    client = await make_client(auth="strict")
    server = await aiohttp_server(client.app[keys.OBS_APP])
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"GET /demo-bucket HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Authorization: AWS \xff\xfe:c2ln\r\n\r\n"
    )
    await writer.drain()
    answer = await reader.readuntil(b"</Error>")  # the connection may linger after it
    writer.close()

    assert answer.startswith(b"HTTP/1.1 403 ")
    assert b"<Code>InvalidAccessKeyId</Code>" in answer


async def _raw_exchange(server, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(request)
    await writer.drain()
    answer = await reader.readuntil(b"</Error>")  # the connection may linger after it
    writer.close()
    return answer


async def test_a_body_that_stops_arriving_is_408_after_the_body_timeout(
    make_client, aiohttp_server
):
    client = await make_client(body_timeout=0.5)
    server = await aiohttp_server(client.app[keys.OBS_APP])

    answer = await _raw_exchange(
        server,
        b"PUT /demo-bucket/slow HTTP/1.1\r\nHost: x\r\nAuthorization: AWS k:c2ln\r\n"
        b"Content-Length: 100\r\n\r\nx",  # one byte of the promised hundred, then silence
    )

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"<Code>RequestTimeout</Code>" in answer


async def test_a_body_over_the_size_limit_is_entity_too_large(aiohttp_server):
    # The real limit is 256 MiB (emulator/app.py); a listener with a small one shows the rule.
    small = create_obs_app(
        ObjectStore(), 1024, auth="off", credential_for=lambda _: None, body_timeout=30
    )
    server = await aiohttp_server(small)

    answer = await _raw_exchange(
        server,
        b"PUT /demo-bucket/big HTTP/1.1\r\nHost: x\r\nAuthorization: AWS k:c2ln\r\n"
        b"Connection: close\r\nContent-Length: 2048\r\n\r\n" + b"x" * 2048,
    )

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"<Code>EntityTooLarge</Code>" in answer
