"""The ids the bundled seed (``emulator/data/default-seed.yaml``) declares, for code that
targets it: the pytest plugin, tests, benchmarks. A test checks the seed still has them."""

from __future__ import annotations

DEMO_PROJECT = "05f2c3e4a1b04b0c9d8e7f6a5b4c3d21"
DEMO_DATASET = "DemoImageDataset001"
DEMO_TASKS_PATH = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks"
