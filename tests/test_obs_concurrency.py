"""A large OBS upload is stored on a worker thread: the API keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import threading

from emulator.api import keys
from emulator.obs.server import STORE
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL

SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}
LARGE = b"\x00" * (32 * 1024 * 1024)
SAFETY_NET_SECONDS = 60  # only reached when the test fails: nothing else would release moto


def _hold_large_put(backend, order: list[str]) -> tuple[threading.Event, threading.Event]:
    """Hold moto's store of ``big.bin`` until the test releases it; returns (storing,
    release). Its completion is noted in ``order``."""
    storing, release = threading.Event(), threading.Event()
    store_object = backend.put_object

    def held_put_object(bucket_name, key_name, *args, **kwargs):
        if key_name == "big.bin":
            storing.set()
            release.wait(SAFETY_NET_SECONDS)
            order.append("large PUT stored")
        return store_object(bucket_name, key_name, *args, **kwargs)

    backend.put_object = held_put_object
    return storing, release


async def test_api_answers_while_a_large_put_is_being_stored(make_client, aiohttp_server):
    client = await make_client(clock="manual")
    started = await client.post(TASKS_URL, json={"task_type": "auto-label"})
    task_url = f"{TASKS_URL}/{(await started.json())['task_id']}"
    obs_app = client.app[keys.OBS_APP]
    obs = await aiohttp_server(obs_app)
    order: list[str] = []
    storing, release = _hold_large_put(obs_app[STORE]._backend, order)
    put = asyncio.create_task(
        client.session.put(obs.make_url("/demo-bucket/big.bin"), data=LARGE, headers=SIGNED)
    )
    assert await asyncio.to_thread(storing.wait, SAFETY_NET_SECONDS)

    samples = await client.get(
        f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/data-annotations/samples"
    )
    # The task finishes and writes its result manifest to OBS: a write that does not wait.
    await client.post("/_emulator/clock/advance", json={"seconds": 3600})
    task = await (await client.get(task_url)).json()
    order.append("API answered")
    release.set()
    stored = await put

    assert (samples.status, task["status"], stored.status) == (200, 3, 200)
    assert order == ["API answered", "large PUT stored"]
    assert obs_app[STORE].get_object("demo-bucket", "big.bin") == LARGE
    manifest = task["result"]["manifest_path"].lstrip("/").split("/", 1)
    assert obs_app[STORE].get_object(*manifest) is not None


async def test_a_small_request_waits_on_a_worker_not_on_the_event_loop(make_client, aiohttp_server):
    """While a large upload holds the store, a small plain GET (answered on the event loop
    when the store is free) waits its turn on a worker; the API keeps answering."""
    client = await make_client(clock="manual")
    obs_app = client.app[keys.OBS_APP]
    obs = await aiohttp_server(obs_app)
    order: list[str] = []
    storing, release = _hold_large_put(obs_app[STORE]._backend, order)
    url = obs.make_url("/demo-bucket/images/cat-01.jpg")
    put = asyncio.create_task(
        client.session.put(obs.make_url("/demo-bucket/big.bin"), data=LARGE, headers=SIGNED)
    )
    assert await asyncio.to_thread(storing.wait, SAFETY_NET_SECONDS)

    async def small_get():
        response = await client.session.get(url, headers=SIGNED)
        order.append("small GET answered")
        return response

    got = asyncio.create_task(small_get())
    listed = await client.get(f"/v2/{DEMO_PROJECT}/datasets")
    order.append("API answered")
    release.set()
    small, stored = await got, await put

    assert (listed.status, small.status, stored.status) == (200, 200, 200)
    assert order == ["API answered", "large PUT stored", "small GET answered"]
