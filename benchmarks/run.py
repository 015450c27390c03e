"""Benchmarks: start-up time, throughput and latency, memory; beside a bare aiohttp server.

    python benchmarks/run.py [--duration 10] [--connections 16,64] [--history 100000]
                             [--starts 100000]

Needs ``wrk`` (Debian: ``apt-get install wrk``). With two or more cores the server runs
on core 0 and wrk on core 1 (``taskset``). Every server is started here on loopback and
stopped at the end; every load run is bounded by ``--duration``. The bare aiohttp server
is measured before and after the emulator in the same run, and the emulator is stated as
a share of their mean: on a shared machine absolute numbers drift, ratios much less. So
does the server's CPU time per request (from /proc), printed beside req/s. Start-up is
timed for both servers (best of five). Then ``history.py`` times list, get and stop at
1,000 and ``--history`` tasks, and a task start on a dataset of 16 and of ``--history``
samples; ``task_memory.py`` measures the resident memory after ``--starts`` task starts,
every task kept. Prints Markdown tables and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import compileall
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

import history

import emulator
from emulator.demo import DEMO_TASKS_PATH

HERE = Path(__file__).resolve().parent
TASKS = DEMO_TASKS_PATH
START_BODY = json.dumps(
    {"task_type": "auto-label", "collect_key_sample": True, "config": {"algorithm_type": "fast"}}
)
HEADERS = {"Content-Type": "application/json", "X-Auth-Token": "bench-token"}
# Any key passes OBS in the default (permissive) auth mode; unsigned requests do not.
OBS_SIGNED = {"Authorization": "AWS bench:c2lnbmF0dXJl"}
OBS_GET_KEY = "/bench-bucket/objects/existing.bin"
# The accept path is what is measured: tasks run for an hour and the running limit is
# lifted, so no task finishes (and writes results) during the measurement.
EMULATOR_FLAGS = [
    "--auth",
    "off",
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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: str, connections: int, duration: int, pid: int | None = None) -> dict:
    """One bounded load run; with ``pid``, also that server's CPU microseconds per request."""
    cpu_before = cpu_seconds(pid) if pid else 0.0
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
    cpu_used = cpu_seconds(pid) - cpu_before if pid else float("nan")

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    def millis(label: str) -> float:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = number(r"(\d+) requests in")
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": requests,
        "cpu_us": cpu_used / requests * 1e6 if requests else float("nan"),
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


def measure_startup(runs: int = 5, command=None) -> float:
    """Seconds from process start to the first successful task start (best of ``runs``);
    ``command(api_port, obs_port)`` is the emulator's unless given (the bare server's).

    The emulator's modules are compiled to bytecode first, as installing the package does:
    a source checkout run with PYTHONDONTWRITEBYTECODE set would compile them at every
    start instead, which costs more than the rest of the start together.
    """
    compileall.compile_dir(Path(emulator.__file__).parent, quiet=1)
    best = float("inf")
    for _ in range(runs):
        api_port, obs_port = free_port(), free_port()
        started = time.perf_counter()
        with server((command or emulator_command)(api_port, obs_port)):
            succeeded, _ = wait_until(api_port, "POST", TASKS, START_BODY)
        best = min(best, succeeded - started)
    return best


def bare_command(api_port: int, _obs_port: int) -> list[str]:
    return [sys.executable, str(HERE / "bare_server.py"), str(api_port)]


def measure_bare(connections: list[int], duration: int, label: str) -> dict:
    results = {}
    bare_port = free_port()
    with server(bare_command(bare_port, 0)) as process:
        wait_until(bare_port, "POST", TASKS, START_BODY)
        for count in connections:
            results[f"{label}_{count}"] = wrk(
                f"http://127.0.0.1:{bare_port}{TASKS}",
                "start_task.lua",
                count,
                duration,
                process.pid,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--history", type=int, default=100_000, help="tasks kept, large case")
    parser.add_argument("--starts", type=int, default=100_000, help="task starts kept, memory")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmarks need wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    connections = [int(c) for c in args.connections.split(",")]
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "duration_s": args.duration,
        "startup_s": measure_startup(),
        "bare_startup_s": measure_startup(command=bare_command),
    }
    results.update(measure_bare(connections, args.duration, "bare_before"))
    api_port, obs_port = free_port(), free_port()
    with server(emulator_command(api_port, obs_port)) as process:
        _, payload = wait_until(api_port, "POST", TASKS, START_BODY)
        task_id = json.loads(payload)["task_id"]
        time.sleep(2)  # the validation fast paths compile right after start
        obs = http.client.HTTPConnection("127.0.0.1", obs_port, timeout=5)
        obs.request("PUT", "/bench-bucket", headers=OBS_SIGNED)
        obs.getresponse().read()
        obs.request("PUT", OBS_GET_KEY, body=b"x" * 10240, headers=OBS_SIGNED)  # obs_get.lua's
        obs.getresponse().read()
        base = f"http://127.0.0.1:{api_port}"
        pid = process.pid
        for count in connections:
            results[f"start_{count}"] = wrk(
                base + TASKS, "start_task.lua", count, args.duration, pid
            )
            results[f"invalid_{count}"] = wrk(
                base + TASKS, "invalid_task.lua", count, args.duration, pid
            )
            results[f"start_new_body_{count}"] = wrk(
                base + TASKS, "start_new_body.lua", count, args.duration, pid
            )
            results[f"get_{count}"] = wrk(
                f"{base}{TASKS}/{task_id}", "get_task.lua", count, args.duration, pid
            )
            results[f"obs_put_{count}"] = wrk(
                f"http://127.0.0.1:{obs_port}/", "obs_put.lua", count, args.duration, pid
            )
            results[f"obs_get_{count}"] = wrk(
                f"http://127.0.0.1:{obs_port}/", "obs_get.lua", count, args.duration, pid
            )
        results["requests_total"] = sum(
            v["requests"] for v in results.values() if isinstance(v, dict) and "requests" in v
        )
        results["rss_mb_after_load"] = rss_mb(process.pid)
    results.update(measure_bare(connections, args.duration, "bare_after"))
    for count in connections:
        before, after = results[f"bare_before_{count}"], results[f"bare_after_{count}"]
        results[f"bare_{count}"] = {
            key: (before[key] + after[key]) / 2 for key in ("rps", "p99_ms", "cpu_us")
        }
    results["history"] = history.compare(1_000, args.history)
    results["samples"] = history.compare_samples(args.history)
    import task_memory  # here: it imports this module's helpers

    results["memory"] = task_memory.over_http(args.starts, 16)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results, connections))
    print()
    print(history.table(results["history"]))
    print()
    print(history.table(results["samples"], unit="samples"))
    return 0


def _share(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.0%}" if ceiling else "n/a"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def table(results: dict, connections: list[int]) -> str:
    """The README table: every emulator figure beside the bare server of the same run."""
    startup = results["startup_s"]
    rows = [
        f"Machine: {results['machine']}, {results['duration_s']} s per load run",
        "",
        "| Measure | Result | Share of bare (req/s; CPU per request) | Target | |",
        "|---|---|---|---|---|",
        f"| process start to first successful task start | {startup:.2f} s "
        f"(bare aiohttp: {results['bare_startup_s']:.2f} s) | "
        f"{startup / results['bare_startup_s']:.1f}x bare's time | < 0.5 s "
        f"| {_met(startup < 0.5)} |",
    ]
    for count in connections:
        bare = results[f"bare_{count}"]
        rows.append(
            f"| bare aiohttp (parse JSON only), {count} connections | {bare['rps']:.0f} req/s, "
            f"p99 {bare['p99_ms']:.1f} ms, {bare['cpu_us']:.0f} us CPU | the ceiling | | |"
        )
        for key, label, target in (
            ("start", "validated task start", 0.70),
            ("invalid", "invalid body (400)", 0.50),
        ):
            run = results[f"{key}_{count}"]
            share = run["rps"] / bare["rps"] if bare["rps"] else 0.0
            p99_ok = run["p99_ms"] <= 2 * bare["p99_ms"]
            rows.append(
                f"| {label}, {count} connections | {run['rps']:.0f} req/s, "
                f"p99 {run['p99_ms']:.1f} ms, {run['cpu_us']:.0f} us CPU | "
                f"{_share(run['rps'], bare['rps'])}; {_share(bare['cpu_us'], run['cpu_us'])} | "
                f">= {target:.0%} of bare, p99 <= 2x bare's | "
                f"{_met(share >= target)}; p99 {_met(p99_ok)} |"
            )
        new_body = results[f"start_new_body_{count}"]
        rows.append(
            f"| validated task start, a body not sent before, {count} connections | "
            f"{new_body['rps']:.0f} req/s, p99 {new_body['p99_ms']:.1f} ms, "
            f"{new_body['cpu_us']:.0f} us CPU | {_share(new_body['rps'], bare['rps'])}; "
            f"{_share(bare['cpu_us'], new_body['cpu_us'])} | (none: the target's is one body "
            "sent again) | |"
        )
        get = results[f"get_{count}"]
        rows.append(
            f"| GET task, {count} connections | {get['rps']:.0f} req/s, "
            f"p99 {get['p99_ms']:.1f} ms | {_share(get['rps'], bare['rps'])} | | |"
        )
        for key, label in (("obs_put", "OBS put 10 KB"), ("obs_get", "OBS get 10 KB")):
            run = results[f"{key}_{count}"]
            rows.append(
                f"| {label}, {count} connections | {run['rps']:.0f} req/s, "
                f"p99 {run['p99_ms']:.1f} ms, {run['cpu_us']:.0f} us CPU "
                f"(one free core: {1e6 / run['cpu_us']:,.0f} req/s) | "
                f"{_share(run['rps'], bare['rps'])}; {_share(bare['cpu_us'], run['cpu_us'])} | "
                f">= 3,000 req/s | {_met(run['rps'] >= 3000)} |"
            )
    memory = results["memory"]
    rows.append(
        f"| resident memory after {memory['tasks_added']:,} task starts, every task kept | "
        f"{memory['rss_mb_after_starts']:.0f} MB ({memory['rss_mb_after_startup']:.0f} MB "
        f"after start-up; {memory['bytes_per_task']:.0f} bytes per kept task) | | "
        f"<= 150 MB after 100,000 task starts | {_met(memory['rss_mb_after_starts'] <= 150)} |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
