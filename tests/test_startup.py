"""What start-up reads once per process must still follow the files: an edited seed or
schemas folder is read again by the next app; the bundled seed, not checked at start,
passes its schema."""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

from emulator.app import create_app
from emulator.config import BUNDLED_SEED, Config
from emulator.contract import PayloadValidator, load_contract
from emulator.seed import SEED_SCHEMA, SeedError
from tests.conftest import TASKS_URL

SEED = """\
buckets:
  - name: first-bucket
projects:
  - id: project1
    name: eu-de
"""


def test_the_bundled_seed_passes_the_seed_schema():
    contract = load_contract(Config().with_defaults_resolved().schemas_dir)
    document = yaml.safe_load(BUNDLED_SEED.read_text(encoding="utf-8"))

    assert PayloadValidator(contract.schema(SEED_SCHEMA)).validate(document, strict=True) == []


async def test_an_edited_seed_file_is_read_again_by_the_next_app(tmp_path, make_client):
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    create_app(Config(seed=seed))
    seed.write_text(SEED.replace("first-bucket", "second-bucket"))

    client = await make_client(seed=seed)
    created = await client.post(
        "/v2/project1/datasets",
        json={
            "dataset_name": "edited",
            "data_sources": [{"data_path": "/second-bucket/data/"}],
            "work_path": "/second-bucket/work/",
            "work_path_type": 0,
        },
    )

    assert created.status == 201, await created.text()


async def test_an_edited_seed_file_that_breaks_the_schema_is_refused(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    create_app(Config(seed=seed))
    seed.write_text(SEED + "unknown_section: 1\n")

    with pytest.raises(SeedError, match="unknown_section"):
        create_app(Config(seed=seed))


async def test_an_edited_schemas_folder_is_read_again_by_the_next_app(tmp_path, make_client):
    schemas = tmp_path / "schemas"
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, schemas)
    first = await make_client(schemas_dir=schemas)
    assert (await first.post(TASKS_URL, json={"task_type": "auto-label"})).status == 200
    request_schema = schemas / "CreateTask.request.json"
    text = request_schema.read_text(encoding="utf-8")
    required = '"required": ["model_id"], "properties"'
    request_schema.write_text(text.replace('"properties"', required, 1))
    stat = request_schema.stat()
    os.utime(request_schema, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    second = await make_client(schemas_dir=schemas)
    refused = await second.post(TASKS_URL, json={"task_type": "auto-label"})

    assert refused.status == 400
    assert "model_id" in (await refused.json())["error_msg"]
