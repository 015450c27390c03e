"""Start-up: what is read once per process still follows the files (an edited seed or
schemas folder is read again by the next app; the bundled seed, not checked at start,
passes its schema), and OBS storage loading after start changes no answer."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading

import aiohttp
import pytest
import yaml

from emulator import app as app_module
from emulator.api import keys
from emulator.app import create_app
from emulator.config import BUNDLED_SEED, Config
from emulator.contract import PayloadValidator, load_contract
from emulator.contract.loader import ContractError
from emulator.obs import deferred
from emulator.seed import SEED_SCHEMA, SeedError
from tests.conftest import DEMO_DATASET, DEMO_PROJECT, TASKS_URL, obs_url

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
    status = seed.stat()
    seed.write_text(SEED.replace("first-bucket", "other-bucket"))  # as long as before
    os.utime(seed, ns=(status.st_atime_ns, status.st_mtime_ns))  # and within the same tick

    client = await make_client(seed=seed)
    created = await client.post(
        "/v2/project1/datasets",
        json={
            "dataset_name": "edited",
            "data_sources": [{"data_path": "/other-bucket/data/"}],
            "work_path": "/other-bucket/work/",
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


def _nested(levels: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(levels // 2):  # two levels each: a schema and its properties
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


BROKEN_REFERENCES = {
    "a definition that is only a reference to itself": (
        {"Loop": {"$ref": "#/$defs/Loop"}},
        "#/$defs/Loop",
        "loops without reaching a schema: Loop -> Loop",
    ),
    "two definitions that refer to each other": (
        {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
        "#/$defs/A",
        "loops without reaching a schema: A -> B -> A",
    ),
    "a reference to no definition": ({}, "#/$defs/Missing", "names no entry of its $defs"),
    "a definition whose reference is not text": (
        {"Odd": {"$ref": 5}},
        "#/$defs/Odd",
        "$ref '5' names no entry of its $defs",
    ),
    "a reference outside the document": (
        {},
        "other.json#/$defs/X",
        "names no entry of its $defs",
    ),
    "a name a JSON pointer escapes": (
        {"a~1b": {"type": "string"}},
        "#/$defs/a~1b",
        "names no entry of its $defs (#/$defs/<name>, a name without '~', '%' or '/')",
    ),
    "another draft below the root": (
        {"Old": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}},
        "#/$defs/Old",
        "$schema is only read at a schema's root",
    ),
    "a reference below a base of its own": (
        {
            "Based": {"$id": "http://example.com/b", "items": {"$ref": "#/$defs/Odd"}},
            "Odd": {"type": "string"},
        },
        "#/$defs/Based",
        "$ref below a schema with an $id of its own",
    ),
    "items as a list": (
        {"Pair": {"type": "array", "items": [{"type": "string"}]}},
        "#/$defs/Pair",
        "items is one schema in 2020-12",
    ),
    "a dynamic reference": (
        {"Dynamic": {"$dynamicRef": "#nope"}},
        "#/$defs/Dynamic",
        "$dynamicRef is not supported",
    ),
    "a patternProperties name Python cannot compile": (
        {"Names": {"type": "object", "patternProperties": {"\\p{L}": {}}}},
        "#/$defs/Names",
        "pattern '\\\\p{L}'",
    ),
    "a definition nested 200 levels": (
        {"Deep": _nested(200)},
        "#/$defs/Deep",
        "nested deeper than 100 levels",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_REFERENCES))
def test_a_schemas_folder_whose_references_cannot_resolve_is_refused_at_start(tmp_path, case):
    """Validators and the defaults plan would recurse or spin on such a schema: the first
    request a 500, the next one a server that never answers again."""
    definitions, reference, reason = BROKEN_REFERENCES[case]
    schemas = tmp_path / "schemas"
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, schemas)
    request_schema = schemas / "CreateTask.request.json"
    document = json.loads(request_schema.read_text(encoding="utf-8"))
    document["$defs"].update(definitions)
    document["properties"]["extra"] = {"$ref": reference}
    request_schema.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ContractError, match=re.escape(reason)) as refused:
        create_app(Config(schemas_dir=schemas))
    assert "CreateTask.request.json" in str(refused.value)


def test_a_schemas_folder_with_a_pattern_python_cannot_compile_is_refused_at_start(tmp_path):
    """ECMA-262's \\p{L} is no Python syntax: every request of the operation was a 500."""
    schemas = tmp_path / "schemas"
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, schemas)
    request_schema = schemas / "CreateTask.request.json"
    document = json.loads(request_schema.read_text(encoding="utf-8"))
    document["properties"]["model_id"]["pattern"] = "^\\p{L}*$"
    request_schema.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ContractError, match=re.escape("pattern '^\\\\p{L}*$'")) as refused:
        create_app(Config(schemas_dir=schemas))
    assert "CreateTask.request.json" in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [
        {"examples": [{"task_type": "auto-label", "pattern": "*.jpg"}]},
        {"default": {"$ref": "#/$defs/NoSuchDefinition"}},
    ],
    ids=["pattern-in-an-example", "reference-in-a-default"],
)
async def test_keywords_inside_data_are_data(tmp_path, make_client, data):
    schemas = tmp_path / "schemas"
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, schemas)
    request_schema = schemas / "CreateTask.request.json"
    document = json.loads(request_schema.read_text(encoding="utf-8"))
    document.update(data)
    request_schema.write_text(json.dumps(document), encoding="utf-8")

    client = await make_client(schemas_dir=schemas)

    assert (await client.get("/_emulator/health")).status == 200


def test_a_bad_pattern_of_a_property_named_like_a_data_keyword_is_found(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(Config().with_defaults_resolved().schemas_dir, schemas)
    request_schema = schemas / "CreateTask.request.json"
    document = json.loads(request_schema.read_text(encoding="utf-8"))
    document["properties"]["default"] = {"type": "string", "pattern": "^\\p{L}*$"}
    request_schema.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ContractError, match=re.escape("pattern '^\\\\p{L}*$'")):
        create_app(Config(schemas_dir=schemas))


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


# --- OBS storage loads after start (emulator/obs/deferred.py) ------------------------------

SIGNED = {"Authorization": "AWS any-key:c2lnbmF0dXJl"}
SAFETY_NET_SECONDS = 60  # only reached when a test fails: nothing else would open the gate
SAMPLES = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/data-annotations/samples"


@pytest.fixture
def fresh_process(monkeypatch):
    """Apps start as in a process that has not imported moto, and only a need for the
    store loads it (the background start-up work comes after the test)."""
    monkeypatch.setattr(app_module, "moto_imported", lambda: False)
    monkeypatch.setattr(app_module, "FINISH_STARTING_AFTER", 3600)


@pytest.fixture
def gated_loading(monkeypatch, fresh_process):
    """The store's loading waits at a gate the test opens; ``entered``: loading began."""
    entered, release = threading.Event(), threading.Event()
    make_store = deferred._new_store

    def gated(region: str):
        entered.set()
        assert release.wait(SAFETY_NET_SECONDS)
        return make_store(region)

    monkeypatch.setattr(deferred, "_new_store", gated)
    yield entered, release
    release.set()  # before the app stops, whatever the test did


async def test_an_obs_request_while_storage_loads_is_answered_once_it_is_loaded(
    make_client, gated_loading
):
    entered, release = gated_loading
    client = await make_client()
    store = client.app[keys.OBS_STORE]
    base = obs_url(client)
    put = asyncio.create_task(
        client.session.put(f"{base}/demo-bucket/early.bin", data=b"early", headers=SIGNED)
    )
    assert await asyncio.to_thread(entered.wait, SAFETY_NET_SECONDS)  # the PUT loads it
    health = asyncio.create_task(client.get("/_emulator/health"))

    assert store.state == deferred.LOADING
    started = await client.post(TASKS_URL, json={"task_type": "auto-label"})  # no OBS change
    release.set()
    stored, ready = await put, await health
    fetched = await client.session.get(f"{base}/demo-bucket/early.bin", headers=SIGNED)

    assert started.status == 200
    assert stored.status == 200
    assert (fetched.status, await fetched.read()) == (200, b"early")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


async def test_answers_read_from_the_seed_record_are_what_loaded_storage_answers(
    make_client, gated_loading
):
    _, release = gated_loading
    client = await make_client()
    store = client.app[keys.OBS_STORE]
    before = await (await client.get(SAMPLES)).json()
    recorded = _storage_answers(store)
    assert store.state == deferred.NOT_LOADED

    release.set()
    assert (await client.get("/_emulator/health")).status == 200
    loaded = _storage_answers(store)
    after = await (await client.get(SAMPLES)).json()

    assert store.state == deferred.LOADED
    assert loaded == recorded
    assert after == before
    listed = await client.session.get(f"{obs_url(client)}/demo-bucket", headers=SIGNED)
    assert listed.status == 200 and "<Key>" in await listed.text()


def _storage_answers(store) -> dict:
    buckets = store.bucket_names()
    return {
        "version": store.version,
        "buckets": buckets,
        "kms": [store.bucket_uses_kms(b) for b in buckets],
        "objects": {
            b: [
                (o.key, o.size, o.last_modified_ms, store.get_object(b, o.key))
                for o in store.list_keys(b)
            ]
            for b in buckets
        },
        "prefixes": [store.prefix_exists(b, "images/") for b in buckets],
        "missing": (store.bucket_exists("no-such-bucket"), store.get_object(buckets[0], "none")),
    }


async def test_a_change_before_storage_loads_is_recorded_and_replayed_when_it_loads(
    make_client, fresh_process
):
    client = await make_client()
    store = client.app[keys.OBS_STORE]

    reset = await client.post("/_emulator/reset")  # empties OBS, then seeds it again
    state_after_reset = store.state
    fetched = await client.session.get(f"{obs_url(client)}/demo-bucket", headers=SIGNED)

    assert reset.status == 200
    assert state_after_reset == deferred.NOT_LOADED  # recorded: nothing waited for moto
    assert store.state == deferred.LOADED  # the OBS request loaded it
    assert fetched.status == 200  # with the seeded bucket the reset replayed


async def test_health_says_when_obs_storage_failed_to_load(make_client, monkeypatch, fresh_process):
    def broken(region: str):
        raise ImportError("moto is missing")

    monkeypatch.setattr(deferred, "_new_store", broken)
    client = await make_client()

    health = await client.get("/_emulator/health")
    put = await client.session.put(f"{obs_url(client)}/demo-bucket/k", data=b"x", headers=SIGNED)

    assert health.status == 503
    assert (await health.json())["obs"] == "storage failed to load"
    assert put.status < 500


async def test_a_reset_when_storage_failed_to_load_keeps_the_emulator_as_it_was(
    make_client, monkeypatch, fresh_process
):
    def broken(region: str):
        raise ImportError("moto is missing")

    monkeypatch.setattr(deferred, "_new_store", broken)
    client = await make_client()
    health = await client.get("/_emulator/health")  # loading begins, and fails
    datasets = f"/v2/{DEMO_PROJECT}/datasets"
    before = await (await client.get(datasets)).json()

    await client.post("/_emulator/reset")
    after = await (await client.get(datasets)).json()

    assert (await health.json())["obs"] == "storage failed to load"
    assert before["total_number"] == 1
    assert after == before


async def test_an_object_written_before_storage_loads_is_in_obs_once_it_is_loaded(
    make_client, fresh_process
):
    client = await make_client()
    store = client.app[keys.OBS_STORE]
    uploaded = await client.post(
        SAMPLES, json={"samples": [{"name": "early.jpg", "data": "ZWFybHk="}]}
    )
    assert uploaded.status == 200, await uploaded.text()
    assert store.state == deferred.NOT_LOADED  # recorded, not loaded

    fetched = await client.session.get(
        f"{obs_url(client)}/demo-bucket/images/early.jpg", headers=SIGNED
    )

    assert store.state == deferred.LOADED
    assert (fetched.status, await fetched.read()) == (200, b"early")


async def test_a_plain_obs_request_while_storage_loads_never_holds_up_the_api(
    make_client, gated_loading
):
    entered, release = gated_loading
    client = await make_client()
    url = f"{obs_url(client)}/demo-bucket/images/cat-01.jpg"
    async with aiohttp.ClientSession() as plain_client:  # no default headers: a plain GET
        fetch = asyncio.create_task(plain_client.get(url, headers=SIGNED))
        assert await asyncio.to_thread(entered.wait, SAFETY_NET_SECONDS)  # it loads storage

        clock = await client.get("/_emulator/clock")  # answered while storage still loads
        release.set()
        fetched = await fetch

        assert clock.status == 200
        assert (fetched.status, await fetched.read()) == (200, b"demo image cat 1")


async def test_changes_made_while_storage_loads_are_answered_at_once_and_kept(
    make_client, gated_loading
):
    entered, release = gated_loading
    client = await make_client()
    store = client.app[keys.OBS_STORE]
    store.begin_loading()
    assert await asyncio.to_thread(entered.wait, SAFETY_NET_SECONDS)

    # Each would wait for the gate if a change waited for moto on the event loop.
    uploaded = await client.post(
        SAMPLES, json={"samples": [{"name": "during.jpg", "data": "ZHVyaW5n"}]}
    )
    reset = await client.post("/_emulator/reset")
    again = await client.post(
        SAMPLES, json={"samples": [{"name": "after.jpg", "data": "YWZ0ZXI="}]}
    )
    state_meanwhile = store.state
    release.set()
    base = f"{obs_url(client)}/demo-bucket/images"
    during = await client.session.get(f"{base}/during.jpg", headers=SIGNED)
    after = await client.session.get(f"{base}/after.jpg", headers=SIGNED)
    seeded = await client.session.get(f"{base}/cat-01.jpg", headers=SIGNED)

    assert (uploaded.status, reset.status, again.status) == (200, 200, 200)
    assert state_meanwhile == deferred.LOADING
    assert store.state == deferred.LOADED
    assert during.status == 404  # the reset emptied OBS before seeding it again
    assert (after.status, await after.read()) == (200, b"after")
    assert (seeded.status, await seeded.read()) == (200, b"demo image cat 1")


async def test_storage_never_loads_after_an_app_closed_before_loading(make_client, fresh_process):
    client = await make_client()
    store = client.app[keys.OBS_STORE]
    await client.close()  # the app's cleanup closes its storage

    store.begin_loading()  # as the start-up thread would, late

    assert store.state == deferred.CLOSED
    assert not store.loaded
