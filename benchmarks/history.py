"""Costs that must not grow with history: list, get and stop at 1,000 and 100,000 tasks;
a task start, a dataset's details and statistics, sample listings (every sample, first and
last page; labeled samples, newest first) and one sample's details on a dataset of 16
samples and of 100,000.

    python benchmarks/history.py [--small 1000] [--large 100000] [--samples 100000]

In-process domain timing (no HTTP): the emulator's ``Tasks`` with the bundled seed, the
tasks started as the benchmark's task start does (auto labeling, every task kept running).
Prints microseconds per call at each size and the ratio large/small (target <= 1.2x).
The dataset calls are timed on the seeded dataset (16 samples) and on the same dataset
with unlabeled samples added up to ``--samples``.
"""

from __future__ import annotations

import argparse
import json
import time

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config
from emulator.demo import DEMO_TASKS_PATH
from emulator.domain.model import SampleFilter, SampleState

START = {
    "task_type": "auto-label",
    "collect_key_sample": True,
    "config": {"algorithm_type": "fast"},
}
REPEAT = 20000  # calls timed per round (best of 15 rounds)
STOPS = 300  # tasks stopped (once each) per round, 3 rounds
STARTS = 2000  # tasks started per round, 5 rounds


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


def _tasks():
    config = Config(obs_port=None, task_duration=3600, max_running_tasks=10**9, log_level="warning")
    return create_app(config)[keys.EMULATOR].tasks


def _calls(task_count: int) -> dict:
    """The calls to time, on an emulator holding ``task_count`` tasks (all running)."""
    tasks = _tasks()
    project_id, dataset_id = _ids()
    started = [
        tasks.start(project_id, dataset_id, json.loads(json.dumps(START))).task_id
        for _ in range(task_count)
    ]
    middle = started[len(started) // 2]
    to_stop = iter(started)
    last_page = (task_count // 10 - 1) * 10
    return {
        "list_first_page_us": lambda: tasks.page(project_id, dataset_id, count=10),
        "list_last_page_us": lambda: tasks.page(project_id, dataset_id, start=last_page, count=10),
        "get_us": lambda: tasks.get(project_id, dataset_id, middle, poll=True),
        "stop_us": lambda: tasks.stop(project_id, dataset_id, next(to_stop)),
    }


def _sample_calls(sample_count: int) -> tuple[dict, int]:
    """The calls to time on the seeded dataset holding ``sample_count`` samples (at least
    the seed's; the added ones unlabeled), and how many it holds: a task start, and what
    the dataset and sample operations ask of the domain."""
    tasks = _tasks()
    datasets = tasks.datasets
    project_id, dataset_id = _ids()
    dataset = datasets.get(project_id, dataset_id)
    datasets.discover(dataset)
    missing = sample_count - len(dataset.samples)
    if missing > 0:
        entries = [{"name": f"added-{n}.jpg"} for n in range(missing)]
        datasets.add_samples(project_id, dataset_id, entries)
    body = json.dumps(START)
    every, labeled = SampleFilter(), SampleFilter(state=SampleState.LABELED, newest_first=True)
    last_page = (len(dataset.samples) // 10 - 1) * 10
    middle = sorted(dataset.samples)[len(dataset.samples) // 2]
    calls = {
        "start_us": lambda: tasks.start(project_id, dataset_id, json.loads(body)),
        "get_dataset_us": lambda: datasets.statistics(project_id, dataset_id),
        "list_samples_first_page_us": lambda: datasets.find_samples(project_id, dataset_id, every)[
            :10
        ],
        "list_samples_last_page_us": lambda: datasets.find_samples(project_id, dataset_id, every)[
            last_page : last_page + 10
        ],
        "list_labeled_samples_us": lambda: datasets.find_samples(project_id, dataset_id, labeled)[
            :10
        ],
        "describe_sample_us": lambda: datasets.sample(project_id, dataset_id, middle),
    }
    return calls, len(dataset.samples)


def _alternating(calls: dict, small: int, large: int, plan: dict) -> dict:
    """Microseconds per call at both sizes, timed in alternating rounds (best of each), so
    that a busy machine slows both alike."""
    best: dict[int, dict[str, float]] = {small: {}, large: {}}
    for name in calls[small]:
        rounds, repeat = plan.get(name, (15, REPEAT))
        for _ in range(rounds):
            for size in (small, large):
                took = _best_us(calls[size][name], rounds=1, repeat=repeat)
                best[size][name] = min(best[size].get(name, float("inf")), took)
    results = {"small": small, "large": large, "at_small": best[small], "at_large": best[large]}
    results["ratios"] = {name: best[large][name] / best[small][name] for name in best[small]}
    return results


def compare(small: int = 1_000, large: int = 100_000) -> dict:
    """List, get and stop with ``small`` and ``large`` tasks kept."""
    calls = {small: _calls(small), large: _calls(large)}
    return _alternating(calls, small, large, {"stop_us": (3, STOPS)})


def compare_samples(large: int = 100_000) -> dict:
    """A task start and the dataset and sample reads on the seeded dataset as seeded, and
    with ``large`` samples."""
    (small_calls, small), (large_calls, large) = _sample_calls(0), _sample_calls(large)
    calls = {small: small_calls, large: large_calls}
    return _alternating(calls, small, large, {"start_us": (5, STARTS)})


def table(results: dict, unit: str = "tasks") -> str:
    rows = [
        f"| call | {results['small']:,} {unit} | {results['large']:,} {unit} | ratio | target |",
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
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    print(table(compare(args.small, args.large)))
    print()
    print(table(compare_samples(args.samples), "samples"))


if __name__ == "__main__":
    main()
