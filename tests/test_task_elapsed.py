"""``elapsed_time`` stops when the task ends, however far the manual clock jumps past it."""

from __future__ import annotations

from tests.conftest import TASKS_URL


async def test_elapsed_time_stops_at_the_end_of_the_task(make_client):
    client = await make_client(clock="manual", task_duration=3)
    started = await client.post(TASKS_URL, json={"task_type": "pre-label", "model_id": _MODEL})
    assert started.status == 200, await started.text()
    task_id = (await started.json())["task_id"]

    advanced = await client.post("/_emulator/clock/advance", json={"seconds": 100})
    assert advanced.status == 200
    task = await (await client.get(f"{TASKS_URL}/{task_id}")).json()

    assert (task["status"], task["elapsed_time"]) == (3, 3)


async def test_elapsed_time_of_a_running_task_follows_the_clock(make_client):
    client = await make_client(clock="manual", task_duration=10)
    started = await client.post(TASKS_URL, json={"task_type": "pre-label", "model_id": _MODEL})
    task_id = (await started.json())["task_id"]

    await client.post("/_emulator/clock/advance", json={"seconds": 4})
    task = await (await client.get(f"{TASKS_URL}/{task_id}")).json()

    assert (task["status"], task["elapsed_time"]) == (1, 4)


_MODEL = "c4989033-7584-44ee-a180-1c476b810e46"
