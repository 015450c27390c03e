"""Long run: does resident memory stay flat over 100,000 mixed requests?

    python benchmarks/memory.py [--requests 100000] [--connections 32]

The emulator runs with its defaults for the journal (1,000 entries), finished-task
retention (10,000) and the token table (10,000), a running limit of 1,000 tasks, tasks
of 0.05 s and ``--auth off`` (OBS then takes anonymous puts; IAM still issues a token for
every token request). 32 client connections send, in turn: task starts (a quarter of the
mix; auto grouping saved to samples, so finished tasks write nothing to OBS; refused with
ModelArts.4409 above the running limit), GET task, list tasks, OBS puts (1 KB over a fixed
set of 1,000 keys), invalid bodies, IAM token requests (password method; every one issues
a token) and project look-ups. Every 10,000 requests it prints the resident memory and,
apart from it, what the emulated cloud must keep: the tasks it holds and the OBS objects.
Flat means the peak from the checkpoint where those reach their bound (else from the first
fifth) is within 10 % of the level there.
The run is bounded by --requests and by MAX_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import xml.etree.ElementTree as ElementTree

import aiohttp
from run import TASKS, emulator_command, free_port, rss_mb, server, wait_until

CHECKPOINT = 10_000
MAX_SECONDS = 900  # bounds the run even on a slow, shared machine
OBS_KEYS = 1_000
HEADERS = {"X-Auth-Token": "bench", "Content-Type": "application/json"}
GROUPING = json.dumps(
    {"task_type": "auto-grouping", "config": {"n_clusters": 2, "result_type": 1}}
).encode()
TOKEN_BODY = json.dumps(
    {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "demo-user",
                        "password": "demo-password",
                        "domain": {"name": "demo-domain"},
                    }
                },
            },
            "scope": {"project": {"name": "eu-de"}},
        }
    }
).encode()


# Starts are a quarter of the mix, so the finished tasks the emulator keeps (10,000) reach
# their bound at about 40,000 requests, and the rest of the run shows what memory does
# once the emulated cloud's own state has stopped growing.
KINDS = ("start", "get task", "list tasks", "OBS put", "start", "bad JSON", "token", "projects")


def _request(n: int, api: str, obs: str, task_id: str) -> tuple[str, str, bytes | None]:
    kind = KINDS[n % len(KINDS)]
    if kind == "start":
        return "POST", api + TASKS, GROUPING
    if kind == "get task":
        return "GET", f"{api}{TASKS}/{task_id}", None
    if kind == "list tasks":
        return "GET", f"{api}{TASKS}?limit=10", None
    if kind == "OBS put":
        return "PUT", f"{obs}/demo-bucket/load/{n // len(KINDS) % OBS_KEYS}", b"x" * 1024
    if kind == "bad JSON":
        return "POST", api + TASKS, b'{"task_type": 7, "config": ['
    if kind == "token":
        return "POST", api + "/v3/auth/tokens", TOKEN_BODY
    return "GET", api + "/v3/projects?name=eu-de", None


async def _kept(session: aiohttp.ClientSession, api: str, obs: str) -> tuple[int, int]:
    """Tasks the emulator holds for the demo dataset, and objects in the demo bucket."""
    async with session.get(f"{api}{TASKS}?type=auto-grouping&limit=1") as response:
        tasks = (await response.json())["total_count"]
    objects, token = 0, None
    while True:
        query = "?list-type=2" + (f"&continuation-token={token}" if token else "")
        async with session.get(f"{obs}/demo-bucket{query}") as response:
            root = ElementTree.fromstring(await response.read())
        space = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
        objects += len(root.findall(f"{space}Contents"))
        token = root.findtext(f"{space}NextContinuationToken")
        if not token:
            return tasks, objects


async def drive(api: str, obs: str, pid: int, task_id: str, total: int, connections: int):
    curve: list[tuple[int, float, int, int, float]] = []
    counter = iter(range(total))
    deadline = time.monotonic() + MAX_SECONDS
    errors = 0
    statuses: dict[tuple[str, int], int] = {}
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=connections * 2)
    async with aiohttp.ClientSession(headers=HEADERS, connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for n in counter:
                if time.monotonic() > deadline:
                    return
                method, url, body = _request(n, api, obs, task_id)
                try:
                    async with session.request(method, url, data=body) as response:
                        await response.read()
                        key = (KINDS[n % len(KINDS)], response.status)
                        statuses[key] = statuses.get(key, 0) + 1
                        if response.status >= 500:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                done = n + 1
                if done % CHECKPOINT == 0:
                    tasks, objects = await _kept(session, api, obs)
                    point = (done, rss_mb(pid), tasks, objects, time.monotonic() - started)
                    curve.append(point)
                    print(
                        f"{point[0]:>8}  {point[1]:6.1f}  {point[2]:>6}  {point[3]:>7}"
                        f"  {point[4]:6.1f}",
                        flush=True,
                    )

        print("requests  RSS MB   tasks  objects  seconds", flush=True)
        await asyncio.gather(*(worker() for _ in range(connections)))
    return curve, errors, statuses


def _judged_from(curve: list[tuple[int, float, int, int, float]]) -> tuple[int, str]:
    """The checkpoint from which flatness is judged: where the kept tasks and objects reached
    their final level (memory they hold is the emulated cloud's, counted apart), else the
    first fifth."""
    final_tasks, final_objects = curve[-1][2], curve[-1][3]
    for index, (_, _, tasks, objects, _) in enumerate(curve[:-1]):
        if tasks >= 0.99 * final_tasks and objects >= 0.99 * final_objects:
            return index, "kept tasks and objects at their bound"
    return max(0, len(curve) // 5 - 1), "the first fifth; kept state still growing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})  # the server runs on core 0
    api_port, obs_port = free_port(), free_port()
    command = emulator_command(
        api_port,
        obs_port,
        [
            *("--log-level", "warning", "--auth", "off"),
            *("--max-running-tasks", "1000", "--task-duration", "0.05"),
        ],
    )
    with server(command) as process:
        _, payload = wait_until(api_port, "POST", TASKS, GROUPING.decode())
        task_id = json.loads(payload)["task_id"]
        api, obs = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{obs_port}"
        curve, errors, statuses = asyncio.run(
            drive(api, obs, process.pid, task_id, args.requests, args.connections)
        )
    if len(curve) < 2:
        print("too few checkpoints to judge", file=sys.stderr)
        return 1
    start, why = _judged_from(curve)
    baseline = curve[start][1]
    peak_after = max(point[1] for point in curve[start:])
    growth = (peak_after - baseline) / baseline
    verdict = "flat" if growth <= 0.10 else "NOT flat"
    print("answers:", ", ".join(f"{k[0]} {k[1]}: {v}" for k, v in sorted(statuses.items())))
    print(f"5xx or failed requests: {errors}")
    print(f"growth after {curve[start][0]} requests ({why}): {growth:+.1%} ({verdict} within 10 %)")
    return 0 if growth <= 0.10 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
