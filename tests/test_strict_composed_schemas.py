"""Strict mode on a schemas folder of one's own whose objects are described in parts
(``allOf``, ``oneOf``, ``if``/``then``, a ``$ref`` beside fields, ``not``): a field any
part describes is documented, strict mode refuses only what lenient mode refuses plus
undocumented fields, and both published documents say what each mode enforces."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from tests.conftest import TASKS_URL
from tests.schema_folders import schemas_with_config

STRICT = {"X-Emulator-Strict": "true"}
LENIENT = {"X-Emulator-Strict": "false"}
BASE = {"type": "object", "properties": {"name": {"type": "string"}}}
SPLIT_CONFIG = {
    "type": "object",
    "allOf": [
        {"properties": {"size": {"type": "integer"}}},
        {"properties": {"shape": {"type": "object", "properties": {"sides": {}}}}},
    ],
}


async def _start(client, config: object, headers: dict) -> tuple[int, str]:
    response = await client.post(
        TASKS_URL, json={"task_type": "auto-label", "config": config}, headers=headers
    )
    return response.status, await response.text()


async def test_fields_described_in_two_all_of_parts_are_documented(tmp_path, make_client):
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", SPLIT_CONFIG, {}))

    status, text = await _start(client, {"size": 1, "shape": {"sides": 3}}, STRICT)

    assert status == 200, text


async def test_an_undocumented_field_beside_parts_is_named(tmp_path, make_client):
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", SPLIT_CONFIG, {}))
    config = {"size": 1, "shape": {"sides": 3, "colour": "red"}, "weight": 2}

    status, text = await _start(client, config, STRICT)

    assert status == 400
    assert "$.config.shape.colour: unknown field" in text
    assert "$.config.weight: unknown field" in text


async def test_a_field_two_parts_describe_takes_both_descriptions(tmp_path, make_client):
    config = {
        "allOf": [
            {"properties": {"shape": {"properties": {"sides": {"type": "integer"}}}}},
            {"properties": {"shape": {"properties": {"colour": {"type": "string"}}}}},
        ]
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    status, text = await _start(client, {"shape": {"sides": 3, "colour": "red"}}, STRICT)

    assert status == 200, text


async def test_a_definition_beside_fields_of_its_own_documents_both(tmp_path, make_client):
    config = {"$ref": "#/$defs/Base", "properties": {"size": {"type": "integer"}}}
    client = await make_client(
        schemas_dir=schemas_with_config(tmp_path / "s", config, {"Base": BASE})
    )

    accepted = await _start(client, {"name": "a", "size": 1}, STRICT)
    refused = await _start(client, {"name": "a", "size": 1, "other": 0}, STRICT)

    assert accepted[0] == 200, accepted[1]
    assert refused[0] == 400
    assert "$.config.other: unknown field" in refused[1]


async def test_a_field_of_a_branch_that_does_not_apply_is_refused_with_why(tmp_path, make_client):
    config = {
        "type": "object",
        "properties": {"kind": {"type": "string"}},
        "if": {"properties": {"kind": {"const": "polygon"}}},
        "then": {"properties": {"sides": {"type": "integer"}}},
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    accepted = await _start(client, {"kind": "polygon", "sides": 3}, STRICT)
    refused = await _start(client, {"kind": "circle", "sides": 3}, STRICT)

    assert accepted[0] == 200, accepted[1]
    assert refused[0] == 400
    assert "$.config.sides: field described only by a part of the schema" in refused[1]


async def test_strict_mode_refuses_what_one_of_refuses_in_lenient_mode(tmp_path, make_client):
    # Both open alternatives match {"size": 1}: oneOf refuses it. Closing each branch would
    # have made exactly one match, and strict mode accept what the schema refuses.
    config = {
        "oneOf": [
            {"properties": {"size": {"type": "integer"}}},
            {"properties": {"name": {"type": "string"}}},
        ]
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    lenient = await _start(client, {"size": 1}, LENIENT)
    strict = await _start(client, {"size": 1}, STRICT)

    assert lenient[0] == 400, lenient[1]
    assert strict[0] == 400, strict[1]


async def test_strict_mode_does_not_close_what_not_forbids(tmp_path, make_client):
    # Closing the object inside "not" would make it match less, and "not" pass more.
    config = {
        "type": "object",
        "properties": {"shape": {}},
        "not": {
            "properties": {"shape": {"properties": {"sides": {"const": 0}}, "required": ["sides"]}},
            "required": ["shape"],
        },
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    for headers in (LENIENT, STRICT):
        status, text = await _start(client, {"shape": {"sides": 0, "colour": "red"}}, headers)
        assert status == 400, (headers, text)


async def test_the_strict_document_closes_the_value_and_leaves_its_parts_open(
    tmp_path, make_client
):
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", SPLIT_CONFIG, {}))

    document = await (await client.get("/openapi.json")).json()

    config = document["components"]["schemas"]["CreateTask.request"]["properties"]["config"]
    assert config["unevaluatedProperties"] is False
    assert "additionalProperties" not in config["allOf"][1]
    assert config["allOf"][1]["properties"]["shape"]["additionalProperties"] is False
    body = {"size": 1, "shape": {"sides": 3}}
    assert Draft202012Validator(config).is_valid(body)
    assert not Draft202012Validator(config).is_valid({**body, "weight": 2})


async def test_the_lenient_document_keeps_what_the_schema_closes_itself(tmp_path, make_client):
    config = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "size": {"type": "integer"},
            "marker": {"const": {"type": "integer", "additionalProperties": False}},
        },
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    document = await (await client.get("/openapi.json", params={"mode": "lenient"})).json()
    refused = await _start(client, {"size": 1, "other": 2}, LENIENT)

    published = document["components"]["schemas"]["CreateTask.request"]["properties"]["config"]
    assert published["additionalProperties"] is False
    assert published["properties"]["size"]["x-emulator-converts-strings"] is True
    assert published["properties"]["marker"]["const"] == {
        "type": "integer",
        "additionalProperties": False,
    }
    assert refused[0] == 400
    assert "$.config.other: unknown field" in refused[1]


async def test_a_field_a_pattern_also_matches_takes_both_descriptions(tmp_path, make_client):
    config = {
        "type": "object",
        "properties": {"shape": {"properties": {"sides": {}}}},
        "patternProperties": {"^sha": {"properties": {"colour": {}}}},
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    status, text = await _start(client, {"shape": {"sides": 3, "colour": "red"}}, STRICT)

    assert status == 200, text


async def test_a_field_only_the_condition_describes_is_documented(tmp_path, make_client):
    config = {
        "type": "object",
        "if": {"properties": {"kind": {"const": "polygon"}}},
        "then": {"properties": {"sides": {"type": "integer"}}},
        "else": {"properties": {"radius": {"type": "number"}}},
    }
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    accepted = await _start(client, {"kind": "circle", "radius": 2}, STRICT)
    refused = await _start(client, {"kind": "circle", "radius": 2, "colour": "red"}, STRICT)

    assert accepted[0] == 200, accepted[1]
    assert refused[0] == 400
    assert "$.config.colour: unknown field" in refused[1]


async def test_fields_of_every_any_of_branch_that_applies_are_documented(tmp_path, make_client):
    config = {"anyOf": [{"properties": {"size": {}}}, {"properties": {"name": {}}}]}
    client = await make_client(schemas_dir=schemas_with_config(tmp_path / "s", config, {}))

    accepted = await _start(client, {"size": 1, "name": "a"}, STRICT)
    refused = await _start(client, {"size": 1, "weight": 2}, STRICT)

    assert accepted[0] == 200, accepted[1]
    assert refused[0] == 400
    assert "$.config.weight: unknown field" in refused[1]
