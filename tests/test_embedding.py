"""Embedding the emulator in an aiohttp test suite: the README shows this test verbatim."""

import inspect

from emulator.app import create_app
from emulator.config import Config
from emulator.domain.clock import ManualClock
from tests.conftest import REPO


async def test_embedded_emulator(aiohttp_client):
    delays = []

    async def record(seconds: float) -> None:  # scripted delays cost no time
        delays.append(seconds)

    app = create_app(Config(obs_port=0), clock=ManualClock(sleeper=record))
    client = await aiohttp_client(app, headers={"X-Auth-Token": "any-token"})
    tasks = "/v2/05f2c3e4a1b04b0c9d8e7f6a5b4c3d21/datasets/DemoImageDataset001/tasks"
    slow = "name: slow\nactive: true\nrules:\n  - respond: {delay: 2500}\n"
    await client.post("/_emulator/scenarios", data=slow)

    started = await (await client.post(tasks, json={"task_type": "auto-label"})).json()
    await client.post("/_emulator/clock/advance", json={"seconds": 60})
    task = await (await client.get(f"{tasks}/{started['task_id']}")).json()

    assert task["status"] == 3  # succeeded
    assert delays == [2.5, 2.5]  # both answers were scripted to take 2.5 s
    health = await (await client.get("/_emulator/health")).json()
    assert health["obs_url"].startswith("http://127.0.0.1:")  # its OBS listener is up too


def test_the_readme_shows_the_embedding_example_verbatim():
    assert inspect.getsource(test_embedded_emulator) in (REPO / "README.md").read_text()


async def test_paths_given_as_text_are_taken_as_paths(aiohttp_client, tmp_path):
    # Code that builds a Config itself may pass the folders as strings.
    seed = tmp_path / "seed.yaml"
    seed.write_text((REPO / "emulator" / "data" / "default-seed.yaml").read_text())
    config = Config(obs_port=None, seed=str(seed), schemas_dir=str(REPO / "schemas"))

    client = await aiohttp_client(create_app(config), headers={"X-Auth-Token": "any-token"})
    tasks = "/v2/05f2c3e4a1b04b0c9d8e7f6a5b4c3d21/datasets/DemoImageDataset001/tasks"
    started = await client.post(tasks, json={"task_type": "auto-label"})

    assert started.status == 200, await started.text()
