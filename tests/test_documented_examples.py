"""Every example request of the reference pages, sent as documented.

The examples' ids (project, dataset, sample, task) are mapped onto resources the test
makes; the answer must have the documented status and every key of the documented
example answer, with the same JSON type.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from emulator.config import Config
from emulator.contract import load_contract
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, REPO

EXAMPLE_DATASET = "WxCREuCkBSAlQr9xrde"  # a dataset id some pages write literally
PRE_LABEL_EXAMPLE = {  # the page's pre-labeling example, with the bundled seed's model
    "task_type": "pre-label",
    "model_id": "c4989033-7584-44ee-a180-1c476b810e46",
    "collect_key_sample": True,
    "config": {"inf_config_list": [{"specification": "modelarts.vm.cpu.2u", "instance_count": 1}]},
}
SAMPLE_ID = re.compile(r"^[0-9a-f]{32}$")


def _examples() -> list[tuple[str, str, str, object]]:
    """(operation id, method, path and query, body or None) for every example request."""
    contract = load_contract(Config().with_defaults_resolved().schemas_dir)
    found = []
    for operation in contract.operations.values():
        for line in operation.examples.get("request_lines", []):
            method, target = line.split(" ", 1)
            found.append((operation.operation_id, method, target, None))
        for body in operation.examples["request"]:
            found.append((operation.operation_id, operation.method, operation.path, body))
    return found


EXAMPLES = _examples()


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def _differences(documented: object, answered: object, path: str = "$") -> list[str]:
    if _json_type(documented) != _json_type(answered):
        return [f"{path}: documented {_json_type(documented)}, answered {_json_type(answered)}"]
    if isinstance(documented, dict):
        found = []
        for key, value in documented.items():
            if key not in answered:
                found.append(f"{path}.{key}: missing")
            elif not key.startswith("@"):  # attribute bags carry what the example set
                found += _differences(value, answered[key], f"{path}.{key}")
        return found
    if isinstance(documented, list) and documented and answered:
        # Each documented item is matched by some answered item (lists mix kinds of tasks).
        found = []
        for item in documented:
            each = [_differences(item, candidate, f"{path}[]") for candidate in answered]
            if all(each):
                found += min(each, key=len)
        return found
    return []


class World:
    """The demo project, made ready for every example: buckets, samples, tasks."""

    def __init__(self, client, s3) -> None:
        self.client, self.s3 = client, s3
        self.base = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}"

    async def prepare(self) -> None:
        await asyncio.to_thread(self.s3.create_bucket, Bucket="test-obs")  # the pages' bucket
        await self._start({"task_type": "auto-label"})
        await self._start(PRE_LABEL_EXAMPLE)
        await self.client.post("/_emulator/clock/advance", json={"seconds": 600})
        self.running_task = await self._start({"task_type": "auto-label"})
        auto = await self._get(f"{self.base}/auto-annotations/samples")
        self.auto_sample = auto["samples"][0]["sample_id"]
        listing = await self._get(f"{self.base}/data-annotations/samples", limit=100)
        self.samples = [s["sample_id"] for s in listing["samples"]]

    async def _start(self, body: dict) -> str:
        response = await self.client.post(f"{self.base}/tasks", json=body)
        assert response.status == 200, await response.text()
        return (await response.json())["task_id"]

    async def _get(self, url: str, **query) -> dict:
        response = await self.client.get(url, params={k: str(v) for k, v in query.items()})
        assert response.status == 200, await response.text()
        return await response.json()

    def target(self, operation_id: str, path: str) -> str:
        sample = self.auto_sample if "auto-annotations" in path else self.samples[0]
        return (
            path.replace("{project_id}", DEMO_PROJECT)
            .replace("{dataset_id}", DEMO_DATASET)
            .replace(EXAMPLE_DATASET, DEMO_DATASET)
            .replace("{sample_id}", sample)
            .replace("{task_id}", self.running_task)
        )

    def body(self, example: object) -> object:
        """The example with its sample ids replaced by samples of the demo dataset."""
        ids = iter(self.samples[-2:])

        def swap(value: object) -> object:
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(item) for item in value]
            if isinstance(value, str) and SAMPLE_ID.match(value):
                return next(ids)
            return value

        return swap(example)


@pytest.fixture
async def world(make_client, serve_obs):
    client = await make_client(clock="manual")
    prepared = World(client, await serve_obs(client))
    await prepared.prepare()
    return prepared


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "example"),
    EXAMPLES,
    ids=[f"{e[0]}-{i}" for i, e in enumerate(EXAMPLES)],
)
async def test_documented_example_gets_the_documented_answer(
    world, operation_id, method, path, example
):
    operation = load_contract(Config().with_defaults_resolved().schemas_dir).operations[
        operation_id
    ]
    documented = operation.examples["responses"]
    status = int(next(iter(documented))) if documented else min(operation.status_codes)
    body = None if example is None else world.body(example)

    response = await world.client.request(method, world.target(operation_id, path), json=body)

    assert response.status == status, await response.text()
    if documented:
        answered = await response.json()
        example_answer = next(iter(documented.values()))[0]
        assert _differences(example_answer, answered) == [], json.dumps(answered)[:2000]


def test_every_page_with_an_example_is_covered():
    pages = {operation_id for operation_id, *_ in EXAMPLES}
    assert len(EXAMPLES) >= 22 and len(pages) == 19
    assert (REPO / "schemas" / "operations.json").is_file()
