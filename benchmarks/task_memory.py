"""What a kept task costs: resident memory after 100,000 task starts, all of them kept.

    python benchmarks/task_memory.py [--starts 100000] [--connections 16] [--in-process]

Needs ``wrk``, which sends the starts from core 1 (the server runs on core 0).
The emulator runs as ``run.py`` runs it (``--auth off --max-running-tasks 1000000000
--task-duration 3600``), so every task started stays running and is kept as the service
keeps it. Prints the resident memory after start-up (one task started), after ``--starts``
more task starts (the benchmark's auto-labeling body) and the bytes per kept task: the
difference divided by the count. The target is at most 150 MB after 100,000 starts.

``--in-process`` instead starts the tasks through the domain in this process under
tracemalloc and prints the bytes per task and the lines that allocated them (the domain's
share alone, without the HTTP layer, the journal or the allocator's slack).
The run is bounded by ``--starts`` and by MAX_SECONDS.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc

from run import (
    EMULATOR_FLAGS,
    HERE,
    START_BODY,
    TASKS,
    emulator_command,
    free_port,
    pinned,
    request,
    rss_mb,
    server,
    wait_until,
)

MAX_SECONDS = 600  # bounds the run even on a slow, shared machine
TARGET_MB = 150
SCRIPT = "start_tasks_n.lua"


def _kept_tasks(api_port: int) -> int:
    status, payload = request(api_port, "GET", f"{TASKS}?limit=1")
    return json.loads(payload)["total_count"] if status == 200 else -1


def _start_tasks(api_port: int, total: int, connections: int) -> int:
    """About ``total`` task starts over ``connections`` connections (wrk, one thread, on
    core 1); returns how many tasks the emulator keeps then. wrk's script stops sending
    after ``total`` answers, but wrk itself waits out its duration: it is ended as soon as
    the emulator holds the tasks."""
    goal = _kept_tasks(api_port) + total
    url = f"http://127.0.0.1:{api_port}{TASKS}"
    command = pinned(
        1,
        ["wrk", "-t1", f"-c{connections}", f"-d{MAX_SECONDS}s", "-s", str(HERE / SCRIPT), url],
    )
    env = {**os.environ, "STARTS": str(total)}
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as load:
        try:
            while load.poll() is None and _kept_tasks(api_port) < goal:
                time.sleep(1)
        finally:
            load.terminate()
    return _kept_tasks(api_port)


def over_http(starts: int, connections: int) -> dict:
    """RSS of a real emulator process before and after ``starts`` task starts."""
    api_port, obs_port = free_port(), free_port()
    with server(emulator_command(api_port, obs_port, EMULATOR_FLAGS)) as process:
        wait_until(api_port, "POST", TASKS, START_BODY)
        time.sleep(2)  # the validation fast paths compile right after start
        before, kept_before = rss_mb(process.pid), _kept_tasks(api_port)
        started = time.monotonic()
        _start_tasks(api_port, starts, connections)
        seconds = time.monotonic() - started
        time.sleep(1)  # the last answers in flight
        after, kept = rss_mb(process.pid), _kept_tasks(api_port)
    added = kept - kept_before
    return {
        "rss_mb_after_startup": before,
        "rss_mb_after_starts": after,
        "tasks_added": added,
        "tasks_kept": kept,
        "seconds": seconds,
        "bytes_per_task": (after - before) * 1024 * 1024 / added if added > 0 else float("nan"),
    }


def in_process(starts: int, top: int = 12) -> dict:
    """tracemalloc over ``starts`` task starts through the domain, no HTTP."""
    from emulator.api import keys
    from emulator.app import create_app
    from emulator.config import Config
    from emulator.demo import DEMO_TASKS_PATH

    parts = DEMO_TASKS_PATH.strip("/").split("/")
    project_id, dataset_id = parts[1], parts[3]
    config = Config(obs_port=None, task_duration=3600, max_running_tasks=10**9, log_level="warning")
    tasks = create_app(config)[keys.EMULATOR].tasks
    tasks.start(project_id, dataset_id, json.loads(START_BODY))  # first-use caches
    bodies = [json.loads(START_BODY) for _ in range(starts)]  # the request bodies are not ours
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    for body in bodies:
        tasks.start(project_id, dataset_id, body)
    del bodies
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    stats = after.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in stats)
    return {
        "starts": starts,
        "bytes_per_task": total / starts,
        "lines": [
            (str(stat.traceback[0]), stat.size_diff / starts, stat.count_diff / starts)
            for stat in stats[:top]
            if stat.size_diff > 0
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--in-process", action="store_true", help="tracemalloc, no HTTP")
    args = parser.parse_args()
    if args.in_process:
        result = in_process(args.starts)
        print(f"domain bytes per kept task (tracemalloc): {result['bytes_per_task']:.0f}")
        print("bytes/task  objects/task  line")
        for line, size, count in result["lines"]:
            print(f"{size:10.1f}  {count:12.2f}  {line}")
        return 0
    if shutil.which("wrk") is None:
        print("this benchmark needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    result = over_http(args.starts, args.connections)
    after, added = result["rss_mb_after_starts"], result["tasks_added"]
    print(f"RSS after start-up: {result['rss_mb_after_startup']:.1f} MB")
    print(
        f"RSS after {added:,} task starts ({result['tasks_kept']:,} tasks kept, "
        f"{result['seconds']:.0f} s): {after:.1f} MB"
    )
    print(f"bytes per kept task: {result['bytes_per_task']:.0f}")
    verdict = "met" if after <= TARGET_MB and added >= args.starts else "not met"
    print(f"target <= {TARGET_MB} MB after {args.starts:,} starts: {verdict}")
    return 0 if added >= args.starts else 1


if __name__ == "__main__":
    sys.exit(main())
