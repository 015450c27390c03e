"""Shared fixtures: an emulator app on the bundled seed, reached through a real HTTP client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.app import create_app
from emulator.config import Config

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
DEMO_PROJECT = "05f2c3e4a1b04b0c9d8e7f6a5b4c3d21"
DEMO_DATASET = "DemoImageDataset001"
TASKS_URL = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/tasks"
# Any token passes the default (permissive) authentication; tests send one like a client.
ANY_TOKEN = "test-token"


def load_example(name: str) -> dict:
    return json.loads((REPO / "tests" / "examples" / name).read_text(encoding="utf-8"))


@pytest.fixture
def make_client(aiohttp_client):
    """Start an emulator with the given config fields; its client sends ``token`` if any."""

    async def start(token: str | None = ANY_TOKEN, **config_fields):
        headers = {"X-Auth-Token": token} if token else {}
        return await aiohttp_client(create_app(Config(**config_fields)), headers=headers)

    return start


@pytest.fixture
async def client(make_client):
    return await make_client()


@pytest.fixture
async def strict_client(make_client):
    return await make_client(strict=True)
