"""OBS keeps what its buckets hold, nothing more: an emulator that serves a long CI run of
uploads must not keep every body it was ever sent."""

from __future__ import annotations

import gc

import pytest

from emulator.api import keys

SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}
WRITES = 40


@pytest.fixture
async def obs(make_client, aiohttp_client):
    client = await make_client()
    return await aiohttp_client(client.app[keys.OBS_APP], headers=SIGNED)


def _objects_alive(bucket: str) -> int:
    """How many object records of ``bucket`` are still in memory, held by anything."""
    from moto.s3.models import FakeKey

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, FakeKey) and o.bucket_name == bucket)


async def test_overwritten_and_deleted_objects_are_not_kept(obs):
    marker = b"overwrite-probe-"
    assert (await obs.put("/memory-bucket")).status == 200
    for number in range(WRITES):
        body = marker + str(number).encode() * 1024
        assert (await obs.put("/memory-bucket/same-key", data=body)).status == 200
        assert (await obs.put(f"/memory-bucket/gone-{number}", data=body)).status == 200
        assert (await obs.delete(f"/memory-bucket/gone-{number}")).status == 204

    # The one object the bucket holds; the 79 overwritten and deleted ones are gone.
    assert _objects_alive("memory-bucket") == 1
