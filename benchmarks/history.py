"""Costs that must not grow with history: list, get and stop at 1,000 and 100,000 tasks.

    python benchmarks/history.py [--small 1000] [--large 100000]

In-process domain timing (no HTTP): the emulator's ``Tasks`` with the bundled seed, the
tasks started as the benchmark's task start does (auto labeling, every task kept running).
Prints microseconds per call at each size and the ratio large/small (target <= 1.2x).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config
from emulator.demo import DEMO_TASKS_PATH

START = {
    "task_type": "auto-label",
    "collect_key_sample": True,
    "config": {"algorithm_type": "fast"},
}
REPEAT = 2000  # calls timed per measurement (best of 5 rounds)
STOPS = 500  # tasks stopped (once each) per measurement


def _ids() -> tuple[str, str]:
    parts = DEMO_TASKS_PATH.strip("/").split("/")
    return parts[1], parts[3]


def _best_us(call, rounds: int = 5, repeat: int = REPEAT) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def measure(task_count: int) -> dict[str, float]:
    """Microseconds per list (first and a deep page), get and stop with ``task_count`` kept."""
    config = Config(obs_port=None, task_duration=3600, max_running_tasks=10**9, log_level="warning")
    tasks = create_app(config)[keys.EMULATOR].tasks
    project_id, dataset_id = _ids()
    started = [
        tasks.start(project_id, dataset_id, json.loads(json.dumps(START))).task_id
        for _ in range(task_count)
    ]
    middle = started[len(started) // 2]
    to_stop = iter(started)
    pages = task_count // 10 - 1
    return {
        "list_first_page_us": _best_us(lambda: tasks.page(project_id, dataset_id, count=10)),
        "list_last_page_us": _best_us(
            lambda: tasks.page(project_id, dataset_id, start=pages * 10, count=10)
        ),
        "get_us": _best_us(lambda: tasks.get(project_id, dataset_id, middle, poll=True)),
        "stop_us": _best_us(
            lambda: tasks.stop(project_id, dataset_id, next(to_stop)), rounds=1, repeat=STOPS
        ),
    }


def compare(small: int = 1_000, large: int = 100_000) -> dict:
    results = {
        "small": small,
        "large": large,
        "at_small": measure(small),
        "at_large": measure(large),
    }
    results["ratios"] = {
        name: results["at_large"][name] / results["at_small"][name] for name in results["at_small"]
    }
    return results


def table(results: dict) -> str:
    rows = [
        f"| call | {results['small']:,} tasks | {results['large']:,} tasks | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, ratio in results["ratios"].items():
        rows.append(
            f"| {name.removesuffix('_us').replace('_', ' ')} | "
            f"{results['at_small'][name]:.1f} us | {results['at_large'][name]:.1f} us | "
            f"{ratio:.2f}x | <= 1.2x |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    results = compare(args.small, args.large)
    print(table(results))
    (Path(__file__).resolve().parent / "history.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
