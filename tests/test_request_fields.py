"""Every documented field of the start-task body, walked from the generated schema.

For each field (nested objects included) a valid value is accepted, and a value of the
wrong type, outside its enum, outside its range or against its format is refused with
ModelArts.4200 naming that field's JSON path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.contract.validation import json_path
from tests.conftest import REPO, TASKS_URL

SCHEMA = json.loads(Path(REPO / "schemas" / "CreateTask.request.json").read_text())
PATTERN_SAMPLES = {
    "confidence_scope": ("0.10-0.90", "0.10-1.50"),
    "@modelarts:start_time": ("00:01:02.345", "1:2:3"),
    "@modelarts:end_time": ("10:59:59.000", "10:60:00.000"),
    "@modelarts:hard_reasons": ("3-6", "3,6"),
    "sample_time": ("20240101-20240131", "January"),
    "@modelarts:hard_coefficient": ("0.25", "1.5"),
}


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def leaves(node: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(path, schema) for every field that is not itself a documented object."""
    node = _resolve(node)
    if "properties" in node:
        for name, child in node["properties"].items():
            yield from leaves(child, (*path, name))
    elif node.get("type") == "array" and "properties" in _resolve(node.get("items", {})):
        yield from leaves(node["items"], (*path, 0))
    else:
        yield path, node


def nested_objects(node: dict, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path, name) of every documented nested object reachable from the body."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        yield path, name
    node = _resolve(node)
    for child_name, child in node.get("properties", {}).items():
        yield from nested_objects(child, (*path, child_name))
    if node.get("type") == "array" and "items" in node:
        yield from nested_objects(node["items"], (*path, 0))


def body_with(path: tuple, value: object) -> dict:
    body: dict = {}
    container: object = body
    for key, following in zip(path, (*path[1:], None), strict=True):
        if following is None:
            container[key] = value
        else:
            child: object = [] if isinstance(following, int) else {}
            if isinstance(container, list):
                container.append(child)
            else:
                container[key] = child
            container = child
    return body


def _as_array(schema: dict, values: list) -> list:
    """Each value as the array field's content, repeated up to the array's minimum size."""
    size = max(1, schema.get("minItems", 1))
    return [[v] * size for v in values]


def valid_values(path: tuple, schema: dict) -> list:
    if schema.get("type") == "array" and "items" not in schema:
        return [[[0, 10], [50, 95]]]
    scalar = schema.get("items", schema) if schema.get("type") == "array" else schema
    kind = scalar.get("type")
    if "enum" in scalar:
        values = list(scalar["enum"])
    elif "pattern" in scalar:
        values = [PATTERN_SAMPLES[path[-1]][0]]
    elif kind == "integer":
        values = [max(scalar.get("minimum", 1), min(1, scalar.get("maximum", 1)))]
    elif kind == "number":
        values = [0.5]
    elif kind == "boolean":
        values = [True, False]
    elif kind == "object":
        extra = scalar.get("additionalProperties")
        if extra is None:
            values = [{"any": "thing"}]
        elif extra.get("type") == "array":
            values = [{"key": ["a", "b"]}]
        else:
            values = [{"key": "value"}]
    else:
        values = ["text"]
    return _as_array(schema, values) if schema.get("type") == "array" else values


def invalid_values(path: tuple, schema: dict) -> list[tuple[str, object]]:
    """(why, value) pairs the field must refuse, with the path the error names."""
    if schema.get("type") == "array" and "items" not in schema:
        return [("array", "not-a-list")]
    scalar = schema.get("items", schema) if schema.get("type") == "array" else schema
    kind = scalar.get("type")
    wrong_type = {
        "string": 12,
        "integer": "twelve",
        "number": "half",
        "boolean": "maybe",
        "object": "not-an-object",
    }[kind if isinstance(kind, str) else "integer"]
    cases: list[tuple[str, object]] = [("type", wrong_type)]
    if "enum" in scalar:
        cases.append(("enum", "not-an-option" if kind == "string" else 987654))
    if "pattern" in scalar:
        cases.append(("pattern", PATTERN_SAMPLES[path[-1]][1]))
    if kind in ("integer", "number") and "maximum" in scalar:
        cases.append(("maximum", scalar["maximum"] + 1))
        cases.append(("minimum", scalar["minimum"] - 1))
    if kind == "string" and "maxLength" in scalar:
        cases.append(("maxLength", "a" * (scalar["maxLength"] + 1)))
    if schema.get("type") == "array":
        cases = [(why, v) for why, [v] in ((w, _as_array(schema, [x])) for w, x in cases)]
        cases.append(("array", "not-a-list"))
    return cases


LEAVES = list(leaves(SCHEMA))
ACCEPT_CASES = [(path, value) for path, schema in LEAVES for value in valid_values(path, schema)]
REFUSE_CASES = [
    (path, why, value) for path, schema in LEAVES for why, value in invalid_values(path, schema)
]


def _id(path: tuple) -> str:
    return json_path(path)


# What each task type needs besides its type, so the type alone can be tried.
TASK_TYPE_NEEDS = {
    "pre-label": {"model_id": "c4989033-7584-44ee-a180-1c476b810e46"},
    "auto-grouping": {"config": {"n_clusters": 2}},
}


def test_the_walk_reaches_every_documented_nested_object():
    reached = {name for _, name in nested_objects(SCHEMA)}
    assert reached == set(SCHEMA["$defs"])


@pytest.mark.parametrize(
    ("path", "value"), ACCEPT_CASES, ids=[f"{_id(p)}={v!r}" for p, v in ACCEPT_CASES]
)
async def test_valid_value_passes_validation_in_strict_mode(strict_client, path, value):
    body = body_with(path, value)
    if path == ("task_type",):
        body.update(TASK_TYPE_NEEDS.get(value, {}))
    response = await strict_client.post(TASKS_URL, json=body)

    # The contract accepts the value; a domain rule (an OBS path, a precondition) may
    # still refuse the task, with its own code.
    assert response.status < 500
    if response.status != 200:
        assert (await response.json())["error_code"] != "ModelArts.4200"


@pytest.mark.parametrize(
    ("path", "why", "value"), REFUSE_CASES, ids=[f"{_id(p)}-{w}" for p, w, _ in REFUSE_CASES]
)
async def test_invalid_value_is_refused_naming_the_field(client, path, why, value):
    response = await client.post(TASKS_URL, json=body_with(path, value))

    body = await response.json()
    assert response.status == 400
    assert body["error_code"] == "ModelArts.4200"
    item_refused = why != "array" and isinstance(value, list)
    named = json_path((*path, 0) if item_refused else path)
    assert f"{named}: " in body["error_msg"]


def _as_string(schema: dict) -> str | None:
    """The documented value written as a string, for fields lenient mode converts."""
    if schema.get("type") == "boolean":
        return "true"
    if schema.get("type") in ("integer", "number") and "enum" not in schema:
        return str(valid_values((), schema)[0])
    if schema.get("type") == "integer":
        return str(schema["enum"][0])
    return None


COERCIBLE = [(path, _as_string(schema)) for path, schema in LEAVES if _as_string(schema)]


@pytest.mark.parametrize(("path", "text"), COERCIBLE, ids=[_id(p) for p, _ in COERCIBLE])
async def test_lenient_mode_converts_a_numeric_or_boolean_string(client, path, text):
    response = await client.post(TASKS_URL, json=body_with(path, text))

    assert response.status < 500
    if response.status != 200:
        assert (await response.json())["error_code"] != "ModelArts.4200"


@pytest.mark.parametrize(("path", "text"), COERCIBLE, ids=[_id(p) for p, _ in COERCIBLE])
async def test_strict_mode_refuses_a_numeric_or_boolean_string(strict_client, path, text):
    response = await strict_client.post(TASKS_URL, json=body_with(path, text))

    body = await response.json()
    assert response.status == 400
    assert f"{json_path(path)}: expected " in body["error_msg"]


async def test_strict_mode_names_an_unknown_field_inside_a_nested_object(strict_client):
    response = await strict_client.post(
        TASKS_URL, json={"config": {"inf_config_list": [{"instance_count": 1, "gpu": 2}]}}
    )

    assert "$.config.inf_config_list[0].gpu: unknown field" in (await response.json())["error_msg"]


async def test_lenient_mode_ignores_an_unknown_field_inside_a_nested_object(client):
    response = await client.post(
        TASKS_URL, json={"config": {"inf_config_list": [{"instance_count": 1, "gpu": 2}]}}
    )

    assert response.status == 200
