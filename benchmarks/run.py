"""Benchmarks: start-up time, throughput and latency, memory; beside a bare aiohttp server.

    python benchmarks/run.py [--duration 10] [--connections 16,64]

Needs ``wrk`` (Debian: ``apt-get install wrk``). With two or more cores the server runs
on core 0 and wrk on core 1 (``taskset``). Every server is started here on loopback and
stopped at the end; every load run is bounded by ``--duration``. Prints a Markdown table
and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from emulator.demo import DEMO_TASKS_PATH

HERE = Path(__file__).resolve().parent
TASKS = DEMO_TASKS_PATH
START_BODY = json.dumps(
    {"task_type": "auto-label", "collect_key_sample": True, "config": {"algorithm_type": "fast"}}
)
HEADERS = {"Content-Type": "application/json", "X-Auth-Token": "bench-token"}
# Any key passes OBS in the default (permissive) auth mode; unsigned requests do not.
OBS_SIGNED = {"Authorization": "AWS bench:c2lnbmF0dXJl"}
# The accept path is what is measured: tasks run for an hour and the running limit is
# lifted, so no task finishes (and writes results) during the measurement.
EMULATOR_FLAGS = [
    "--log-level",
    "warning",
    "--max-running-tasks",
    "1000000000",
    "--task-duration",
    "3600",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pinned(core: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core), *command]
    return command


def request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until(port: int, method: str, path: str, body: str | None, limit_s: float = 30):
    """Poll until the request succeeds; returns the moment it first did."""
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        try:
            status, payload = request(port, method, path, body)
            if status < 300:
                return time.perf_counter(), payload
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no successful {method} {path} within {limit_s} s")


@contextmanager
def server(command: list[str]):
    process = subprocess.Popen(
        pinned(0, command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, script: str, connections: int, duration: int) -> dict:
    command = pinned(
        1,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(HERE / script),
            url,
        ],
    )
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    def millis(label: str) -> float:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": number(r"(\d+) requests in"),
        "non_2xx": number(r"Non-2xx or 3xx responses:\s+(\d+)"),
        "p50_ms": millis("50%"),
        "p99_ms": millis("99%"),
    }


def emulator_command(api_port: int, obs_port: int, flags: list[str] = EMULATOR_FLAGS) -> list[str]:
    return [
        sys.executable,
        "-m",
        "emulator",
        "--port",
        str(api_port),
        "--obs-port",
        str(obs_port),
        *flags,
    ]


def measure_startup(runs: int = 3) -> float:
    """Seconds from process start to the first successful task start (best of ``runs``)."""
    best = float("inf")
    for _ in range(runs):
        api_port, obs_port = free_port(), free_port()
        started = time.perf_counter()
        with server(emulator_command(api_port, obs_port)):
            succeeded, _ = wait_until(api_port, "POST", TASKS, START_BODY)
        best = min(best, succeeded - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", default="16,64")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmarks need wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    connections = [int(c) for c in args.connections.split(",")]
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "startup_s": measure_startup(),
    }
    api_port, obs_port = free_port(), free_port()
    with server(emulator_command(api_port, obs_port)) as process:
        _, payload = wait_until(api_port, "POST", TASKS, START_BODY)
        task_id = json.loads(payload)["task_id"]
        time.sleep(2)  # the validation fast paths compile right after start
        obs = http.client.HTTPConnection("127.0.0.1", obs_port, timeout=5)
        obs.request("PUT", "/bench-bucket", headers=OBS_SIGNED)
        obs.getresponse().read()
        base = f"http://127.0.0.1:{api_port}"
        for count in connections:
            results[f"start_{count}"] = wrk(base + TASKS, "start_task.lua", count, args.duration)
            results[f"get_{count}"] = wrk(
                f"{base}{TASKS}/{task_id}", "get_task.lua", count, args.duration
            )
            results[f"obs_put_{count}"] = wrk(
                f"http://127.0.0.1:{obs_port}/", "obs_put.lua", count, args.duration
            )
        results["requests_total"] = sum(
            v["requests"] for v in results.values() if isinstance(v, dict)
        )
        results["rss_mb_after_load"] = rss_mb(process.pid)
    bare_port = free_port()
    with server([sys.executable, str(HERE / "bare_server.py"), str(bare_port)]):
        wait_until(bare_port, "POST", TASKS, START_BODY)
        for count in connections:
            results[f"bare_{count}"] = wrk(
                f"http://127.0.0.1:{bare_port}{TASKS}", "start_task.lua", count, args.duration
            )
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results, connections))
    return 0


def table(results: dict, connections: list[int]) -> str:
    rows = [
        f"Machine: {results['machine']}",
        "",
        "| Measure | Result | Target |",
        "|---|---|---|",
        f"| start to first successful task start | {results['startup_s']:.2f} s | < 0.5 s |",
    ]
    for count in connections:
        start, bare = results[f"start_{count}"], results[f"bare_{count}"]
        share = start["rps"] / bare["rps"] if bare["rps"] else float("nan")
        rows += [
            f"| validated task start, {count} connections | {start['rps']:.0f} req/s, "
            f"p50 {start['p50_ms']:.1f} ms, p99 {start['p99_ms']:.1f} ms | "
            f"{'p99 < 10 ms, ' if count == 16 else ''}>= 70 % of bare |",
            f"| bare aiohttp (parse JSON only), {count} connections | {bare['rps']:.0f} req/s, "
            f"p99 {bare['p99_ms']:.1f} ms | ceiling |",
            f"| emulator / bare, {count} connections | {share:.0%} | >= 70 % |",
            f"| GET task, {count} connections | {results[f'get_{count}']['rps']:.0f} req/s, "
            f"p99 {results[f'get_{count}']['p99_ms']:.1f} ms | |",
            f"| OBS put 10 KB, {count} connections | "
            f"{results[f'obs_put_{count}']['rps']:.0f} req/s, "
            f"p99 {results[f'obs_put_{count}']['p99_ms']:.1f} ms | >= 1600 req/s |",
        ]
    rows.append(
        f"| resident memory after {results['requests_total']:.0f} requests | "
        f"{results['rss_mb_after_load']:.0f} MB | < 150 MB after 100,000 |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
