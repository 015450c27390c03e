"""What building an app costs in one process: the import, the first app, each further one.

    python benchmarks/create_app.py [--apps 20]

A test suite builds an app per test; the first pays for reading the contract and the seed,
the rest find them read. Runs in a fresh interpreter so the first figures are a first's.
Prints the import time, the first app's and the best and median of the further apps'.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=20, help="further apps to build")
    args = parser.parse_args()
    started = time.perf_counter()
    from emulator.app import create_app
    from emulator.config import Config

    imported = time.perf_counter()
    create_app(Config(obs_port=None))
    first = time.perf_counter()
    further = []
    for _ in range(args.apps):
        before = time.perf_counter()
        create_app(Config(obs_port=None))
        further.append(time.perf_counter() - before)
    print(f"import emulator.app: {(imported - started) * 1000:.0f} ms")
    print(f"first create_app: {(first - imported) * 1000:.1f} ms")
    print(
        f"each further create_app ({args.apps}): best {min(further) * 1000:.1f} ms, "
        f"median {statistics.median(further) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
