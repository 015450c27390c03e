"""A schemas folder of one's own (``--schemas-dir``) is read as JSON Schema 2020-12 reads
it: references in any shape (a definition within itself, one shared so often that
writing the references out would not end), keywords only where a schema sits (a "$ref"
in an enum value is data), and keywords newer than draft 7 checked. Refusals name the
field."""

from __future__ import annotations

from tests.conftest import TASKS_URL
from tests.schema_folders import schemas_with_config

# Level n has two fields of level n + 1: written out, 2^30 copies of the last level.
LEVELS = {
    f"Level{n}": {
        "type": "object",
        "properties": {
            "left": {"$ref": f"#/$defs/Level{n + 1}"},
            "right": {"$ref": f"#/$defs/Level{n + 1}"},
        },
    }
    for n in range(30)
}
LEVELS["Level30"] = {"type": "object", "properties": {"size": {"type": "integer"}}}


async def test_a_definition_within_itself_names_the_deep_field(tmp_path, make_client):
    tree = {
        "type": "object",
        "properties": {"child": {"$ref": "#/$defs/Tree"}, "size": {"type": "integer"}},
    }
    schemas = schemas_with_config(tmp_path / "schemas", {"$ref": "#/$defs/Tree"}, {"Tree": tree})
    client = await make_client(schemas_dir=schemas)
    body = {"task_type": "auto-label", "config": {"child": {"child": {"size": "big"}}}}

    refused = await client.post(TASKS_URL, json=body)

    assert refused.status == 400
    assert "$.config.child.child.size: expected integer" in (await refused.json())["error_msg"]


async def test_definitions_shared_two_to_the_thirty_times_still_name_the_field(
    tmp_path, make_client
):
    schemas = schemas_with_config(tmp_path / "schemas", {"$ref": "#/$defs/Level0"}, LEVELS)
    client = await make_client(schemas_dir=schemas)
    config: dict = {"size": "big"}
    for _ in range(30):
        config = {"right": config}

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": config})

    assert refused.status == 400
    expected = "$.config" + ".right" * 30 + ".size: expected integer"
    assert expected in (await refused.json())["error_msg"]


async def test_coverage_lists_the_first_ten_thousand_of_countless_field_paths(
    tmp_path, make_client
):
    schemas = schemas_with_config(tmp_path / "schemas", {"$ref": "#/$defs/Level0"}, LEVELS)
    client = await make_client(schemas_dir=schemas)

    report = await (await client.get("/_emulator/coverage")).json()

    start = next(op for op in report["operations"] if op["operation_id"] == "CreateTask")
    assert start["documented_fields"] == 10_000
    assert start["fields_never_sent"][:3] == ["collect_key_sample", "config", "config.left"]


async def test_a_reference_written_in_an_enum_value_is_data(tmp_path, make_client):
    # The enum's one value is the object {"$ref": ...}: a body equal to its target is not it.
    schemas = schemas_with_config(
        tmp_path / "schemas", {"enum": [{"$ref": "#/$defs/Marker"}]}, {"Marker": {"type": "string"}}
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"type": "string"}}
    )
    accepted = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"$ref": "#/$defs/Marker"}}
    )

    assert refused.status == 400
    assert (
        '$.config: expected one of [{"$ref": "#/$defs/Marker"}]'
        in (await refused.json())["error_msg"]
    )
    assert accepted.status == 200, await accepted.text()


async def test_a_const_object_holding_a_reference_is_data(tmp_path, make_client):
    schemas = schemas_with_config(
        tmp_path / "schemas", {"const": {"$ref": "#/$defs/Marker"}}, {"Marker": {"type": "string"}}
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": "text"})
    accepted = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"$ref": "#/$defs/Marker"}}
    )

    assert refused.status == 400, await refused.text()
    assert accepted.status == 200, await accepted.text()


async def test_a_refusal_shows_a_referenced_schema_as_written(tmp_path, make_client):
    schemas = schemas_with_config(
        tmp_path / "schemas", {"not": {"$ref": "#/$defs/Banned"}}, {"Banned": {"enum": ["x"]}}
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": "x"})

    assert refused.status == 400
    assert (
        "should not be valid under {'$ref': '#/$defs/Banned'} (not)"
        in (await refused.json())["error_msg"]
    )


async def test_strict_mode_leaves_a_const_object_as_written(tmp_path, make_client):
    # Strict mode closes every object schema; a const holding "properties" is no schema.
    schemas = schemas_with_config(tmp_path / "schemas", {"const": {"properties": {"size": 1}}}, {})
    client = await make_client(schemas_dir=schemas, strict=True)

    accepted = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"properties": {"size": 1}}}
    )

    assert accepted.status == 200, await accepted.text()


async def test_a_keyword_newer_than_draft_7_is_checked(tmp_path, make_client):
    # The generated fast check knows drafts 4 to 7: it let prefixItems' violations through.
    schemas = schemas_with_config(
        tmp_path / "schemas", {"type": "array", "prefixItems": [{"type": "string"}]}, {}
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": [1]})

    assert refused.status == 400
    assert "$.config[0]: expected string" in (await refused.json())["error_msg"]


async def test_a_definition_with_a_base_of_its_own_and_no_reference_is_served(
    tmp_path, make_client
):
    schemas = schemas_with_config(
        tmp_path / "schemas",
        {"$ref": "#/$defs/Named"},
        {"Named": {"$id": "urn:example:named", "type": "string"}},
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": 5})

    assert refused.status == 400
    assert "$.config: expected string" in (await refused.json())["error_msg"]


async def test_a_pattern_that_can_backtrack_is_named_in_the_log_at_start(
    tmp_path, make_client, caplog
):
    config = {"type": "object", "properties": {"name": {"pattern": "^(a+)+$"}}}
    schemas = schemas_with_config(tmp_path / "schemas", config, {})

    client = await make_client(schemas_dir=schemas)
    accepted = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": {"name": "aaa"}}
    )

    assert accepted.status == 200, await accepted.text()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("pattern '^(a+)+$' has a repeat within a repeat" in w for w in warnings), warnings


async def test_keywords_beside_a_reference_are_checked(tmp_path, make_client):
    # The generated fast check reads a schema as draft 7, where "$ref" makes the keywords
    # beside it be ignored: this body passed it, and the published document refuses it.
    schemas = schemas_with_config(
        tmp_path / "schemas",
        {"$ref": "#/$defs/Settings", "required": ["size"]},
        {"Settings": {"type": "object"}},
    )
    client = await make_client(schemas_dir=schemas)

    refused = await client.post(TASKS_URL, json={"task_type": "auto-label", "config": {}})

    assert refused.status == 400
    assert "$.config.size: missing required field" in (await refused.json())["error_msg"]
