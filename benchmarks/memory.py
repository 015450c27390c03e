"""Long run: does resident memory stay flat over 200,000 requests?

    python benchmarks/memory.py [--requests 200000]

Needs ``wrk``. The emulator runs with its defaults for the journal (1,000 entries) and
finished-task retention (10,000), a running limit of 1,000 tasks and tasks of 0.05 s, and
receives bounded wrk rounds of mixed requests: task starts (auto grouping saved to
samples, so finished tasks write nothing to OBS, whose contents are the user's and not
bounded; refused with ModelArts.4409 above the limit), GET task, list tasks and invalid
bodies. After
each round the resident memory is read; the curve is printed and compared with the
level after the first fifth of the run (flat means within 10 %).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

from run import (
    HERE,
    START_BODY,
    TASKS,
    emulator_command,
    free_port,
    pinned,
    rss_mb,
    server,
    wait_until,
)

ROUND_SECONDS = 3
MAX_ROUNDS = 150  # bounds the run (about 7.5 minutes) even on a slow machine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    api_port, obs_port = free_port(), free_port()
    command = emulator_command(
        api_port,
        obs_port,
        ["--log-level", "warning", "--max-running-tasks", "1000", "--task-duration", "0.05"],
    )
    with server(command) as process:
        _, payload = wait_until(api_port, "POST", TASKS, START_BODY)
        task_id = json.loads(payload)["task_id"]
        time.sleep(2)
        url = f"http://127.0.0.1:{api_port}"
        script = HERE / "mixed.lua"
        done, curve = 0, []
        for _ in range(MAX_ROUNDS):
            if done >= args.requests:
                break
            output = subprocess.run(
                pinned(
                    1,
                    [
                        "wrk",
                        "-t1",
                        "-c16",
                        f"-d{ROUND_SECONDS}s",
                        "-s",
                        str(script),
                        url,
                        "--",
                        TASKS,
                        task_id,
                    ],
                ),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            done += int(output.split(" requests in")[0].split()[-1])
            curve.append((done, rss_mb(process.pid)))
    print("requests  RSS MB")
    for count, rss in curve[::5] + curve[-1:]:
        print(f"{count:>8}  {rss:6.1f}")
    baseline = next(rss for count, rss in curve if count >= args.requests / 5)
    peak_after = max(rss for count, rss in curve if count >= args.requests / 5)
    growth = (peak_after - baseline) / baseline
    print(
        f"growth after the first fifth: {growth:+.1%} ({'flat' if growth <= 0.10 else 'NOT flat'}"
        f" within 10 %)"
    )
    return 0 if growth <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
