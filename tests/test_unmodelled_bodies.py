"""A schemas folder of one's own may admit what the emulator cannot model (another type,
no default, a new option): such a request is refused naming the field, where it reached
code written for the bundled contract and answered 500. Limits the folder loosens stay
loosened."""

from __future__ import annotations

from tests.conftest import TASKS_URL
from tests.schema_folders import schemas_with, schemas_with_config

PREFACE = "The schemas folder admits this, but the emulator cannot model it: "


async def test_a_config_of_another_type_is_refused_naming_it(tmp_path, make_client):
    schemas = schemas_with_config(tmp_path / "s", {"type": "string"}, {})
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": "fast"})

    assert refused.status == 400
    body = await refused.json()
    assert body["error_code"] == "ModelArts.4200"
    assert PREFACE + "$.config: expected object" in body["error_msg"]


async def test_a_new_option_is_refused_naming_the_ones_modelled(tmp_path, make_client):
    def add_option(schema: dict) -> None:
        schema["properties"]["task_type"]["enum"].append("auto-segment")

    client = await make_client(
        schemas_dir=schemas_with(tmp_path / "s", "CreateTask.request.json", add_option)
    )

    refused = await client.post(TASKS_URL, json={"task_type": "auto-segment"})

    assert refused.status == 400
    assert (
        PREFACE + '$.task_type: expected one of ["auto-label"'
        in (await refused.json())["error_msg"]
    )


async def test_a_query_without_its_default_gets_the_modelled_one(tmp_path, make_client):
    def without_limit(schema: dict) -> None:
        del schema["properties"]["limit"]

    client = await make_client(
        schemas_dir=schemas_with(tmp_path / "s", "ListTasks.query.json", without_limit),
        max_running_tasks=20,
    )
    for _ in range(12):
        started = await client.post(TASKS_URL, json={"task_type": "auto-label"})
        assert started.status == 200, await started.text()

    listed = await client.get(TASKS_URL)

    assert listed.status == 200, await listed.text()
    assert len((await listed.json())["tasks"]) == 10


async def test_a_limit_the_folder_loosens_stays_loosened(tmp_path, make_client):
    def loosen(schema: dict) -> None:
        schema["properties"]["limit"]["maximum"] = 1000

    client = await make_client(
        schemas_dir=schemas_with(tmp_path / "s", "ListTasks.query.json", loosen)
    )

    listed = await client.get(TASKS_URL, params={"limit": "500"})

    assert listed.status == 200, await listed.text()


async def test_a_whole_number_the_folder_reads_as_a_float_pages_as_an_integer(
    tmp_path, make_client
):
    # JSON Schema counts 5.0 as an integer; slicing a page with it failed (500).
    def as_number(schema: dict) -> None:
        schema["properties"]["limit"]["type"] = "number"
        schema["properties"]["offset"]["default"] = 0.0

    labels = TASKS_URL.replace("/tasks", "/data-annotations/labels")
    client = await make_client(
        schemas_dir=schemas_with(tmp_path / "s", "ListLabels.query.json", as_number)
    )

    listed = await client.get(labels, params={"limit": "5"})

    assert listed.status == 200, await listed.text()


async def test_a_large_body_the_emulator_cannot_model_is_refused_naming_the_field(
    tmp_path, make_client
):
    # Bodies over 256 KiB are checked off the event loop, the shapes check included.
    schemas = schemas_with_config(tmp_path / "s", {"type": "string"}, {})
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": "x" * 300_000}
    )

    assert refused.status == 400
    assert PREFACE + "$.config: expected object" in (await refused.json())["error_msg"]
