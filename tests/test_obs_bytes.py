"""OBS keeps the bytes: whatever the Content-Type, a PUT stores exactly what was sent."""

from __future__ import annotations

import pytest

from emulator.api import keys

# Any key passes in the default (permissive) mode, as long as the request is signed.
SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}
BODY = b"key=value&file=x&uploadId=1\r\n--x\r\n\x00\xff binary tail"


@pytest.fixture
async def obs(make_client, aiohttp_client):
    client = await make_client()
    return await aiohttp_client(client.app[keys.OBS_APP], headers=SIGNED)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",  # curl -d / --data-binary without -H
        "multipart/form-data; boundary=x",
        "text/plain; charset=utf-8",
        "application/octet-stream",
    ],
)
async def test_put_stores_exactly_the_bytes_sent(obs, content_type):
    assert (await obs.put("/byte-bucket")).status == 200

    put = await obs.put("/byte-bucket/k.bin", data=BODY, headers={"Content-Type": content_type})
    got = await obs.get("/byte-bucket/k.bin")

    assert put.status == 200
    assert (got.status, await got.read()) == (200, BODY)
    assert got.headers["Content-Type"] == content_type


async def test_put_without_content_type_stores_the_bytes(obs):
    await obs.put("/byte-bucket")
    put = await obs.put("/byte-bucket/raw", data=BODY, skip_auto_headers=["Content-Type"])
    got = await obs.get("/byte-bucket/raw")
    assert put.status == 200
    assert await got.read() == BODY
