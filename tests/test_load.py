"""Load without loss: 1,000 concurrent requests of mixed kinds, every answer and the end state
checked."""

from __future__ import annotations

import asyncio
import random

import pytest

from emulator.api import keys
from tests.conftest import TASKS_URL, obs_url

FAKE_SIGNATURE = {  # the OBS listener accepts any signature, as documented
    "Authorization": "AWS4-HMAC-SHA256 Credential=ak/20260101/eu-de/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
}


@pytest.fixture
async def served(make_client):
    return await make_client(clock="manual", max_running_tasks=100_000)


async def test_thousand_concurrent_mixed_requests_lose_nothing(served):
    client = served
    session = client.session
    obs = obs_url(client)
    await session.put(f"{obs}/load-bucket", headers=FAKE_SIGNATURE)
    seeded = [(await (await client.post(TASKS_URL, json={})).json())["task_id"] for _ in range(50)]
    kinds = (
        ["start"] * 400
        + ["get"] * 200
        + ["list"] * 100
        + ["stop"] * 50
        + ["put"] * 150
        + ["obs-get"] * 100
    )
    random.Random(7).shuffle(kinds)
    stop_targets = iter(seeded)

    async def one(index: int, kind: str):
        if kind == "start":
            response = await client.post(TASKS_URL, json={"config": {"name": f"load-{index}"}})
            return kind, response.status, (await response.json())["task_id"]
        if kind == "get":
            response = await client.get(f"{TASKS_URL}/{seeded[index % len(seeded)]}")
            return kind, response.status, (await response.json())["task_id"]
        if kind == "list":
            response = await client.get(TASKS_URL, params={"limit": 100})
            return kind, response.status, (await response.json())["total_count"]
        if kind == "stop":
            response = await client.post(f"{TASKS_URL}/{next(stop_targets)}/stop")
            return kind, response.status, None
        if kind == "put":
            response = await session.put(
                f"{obs}/load-bucket/k/{index}", data=b"v" * index, headers=FAKE_SIGNATURE
            )
            return kind, response.status, index
        response = await session.get(f"{obs}/demo-bucket/images/cat-01.jpg", headers=FAKE_SIGNATURE)
        return kind, response.status, await response.read()

    results = await asyncio.gather(*(one(i, kind) for i, kind in enumerate(kinds)))

    by_kind: dict[str, list] = {}
    for kind, status, value in results:
        by_kind.setdefault(kind, []).append((status, value))
    assert {status for status, _ in by_kind["start"]} == {200}
    assert {status for status, _ in by_kind["get"]} == {200}
    assert {status for status, _ in by_kind["list"]} == {200}
    assert {status for status, _ in by_kind["stop"]} == {204}
    assert {status for status, _ in by_kind["put"]} == {200}
    assert {(status, body) for status, body in by_kind["obs-get"]} == {(200, b"demo image cat 1")}

    started = {task_id for _, task_id in by_kind["start"]}
    assert len(started) == 400
    listed = set()
    for page in range(5):
        body = await (await client.get(TASKS_URL, params={"limit": 100, "offset": page})).json()
        listed |= {task["task_id"] for task in body["tasks"]}
    assert listed == started | set(seeded)
    store = client.app[keys.EMULATOR].store
    assert len(store.list_keys("load-bucket", "k/")) == 150
    assert all(store.get_object("load-bucket", f"k/{i}") == b"v" * i for _, i in by_kind["put"])
