"""The contract generator: committed schemas match the reference pages, types map as documented."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from emulator.contract.loader import may_backtrack
from emulator.contract.schema_positions import schema_nodes
from emulator.schemagen.build import GenerationError, generate
from emulator.schemagen.rst import parse_page
from emulator.schemagen.types import INT32, INT64, type_schema
from tests.conftest import REFERENCE, REFERENCE_MISSING, REPO

API_PAGES = REFERENCE / "modelarts-api"


def _resolve(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


@pytest.mark.skipif(not API_PAGES.is_dir(), reason=REFERENCE_MISSING)
def test_committed_schemas_are_what_the_generator_writes(tmp_path):
    generated = generate(API_PAGES, REPO / "schemas" / "overrides.json")
    committed = {
        path.name: path.read_text(encoding="utf-8")
        for path in (REPO / "schemas").glob("*.json")
        if "emulator.schemagen" in json.loads(path.read_text()).get("$comment", "")
    }

    assert sorted(generated) == sorted(committed)
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, f"regenerate with `python -m emulator.schemagen`: {stale}"


@pytest.mark.parametrize(
    ("documented", "expected"),
    [
        ("String", {"type": "string"}),
        ("Boolean", {"type": "boolean"}),
        (
            "Integer",
            {"type": "integer", "format": "int32", "minimum": INT32[0], "maximum": INT32[1]},
        ),
        ("Long", {"type": "integer", "format": "int64", "minimum": INT64[0], "maximum": INT64[1]}),
        ("Float", {"type": "number", "format": "float"}),
        ("Double", {"type": "number", "format": "double"}),
        ("Object", {"type": "object"}),
        (
            "Map<String,Array<String>>",
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ),
        ("Map<String,String>", {"type": "object", "additionalProperties": {"type": "string"}}),
        (
            "Map<String,HardDetail>",
            {"type": "object", "additionalProperties": {"$ref": "#/$defs/HardDetail"}},
        ),
        ("Array of strings", {"type": "array", "items": {"type": "string"}}),
        ("Array of InfConfig objects", {"type": "array", "items": {"$ref": "#/$defs/InfConfig"}}),
        ("Flavor object", {"$ref": "#/$defs/Flavor"}),
    ],
)
def test_documented_type_maps_to_schema(documented, expected):
    assert type_schema(documented, _resolve) == expected


PAGE = textwrap.dedent(
    """\
    :original_name: Example.html

    Example
    =======

    URI
    ---

    POST /v2/{project_id}/things

    .. table:: **Table 1** Path Parameters

       ========== ========= ====== ===========
       Parameter  Mandatory Type   Description
       ========== ========= ====== ===========
       project_id Yes       String Project.
       ========== ========= ====== ===========

    Request Parameters
    ------------------

    .. table:: **Table 2** Request body parameters

       +-----------+-----------+---------------+-----------------------------------------+
       | Parameter | Mandatory | Type          | Description                             |
       +===========+===========+===============+=========================================+
       | mode      | Yes       | String        | Mode. Options:                          |
       |           |           |               |                                         |
       |           |           |               | -  **fast**: quick                      |
       |           |           |               |                                         |
       |           |           |               | -  **accurate**: careful                |
       +-----------+-----------+---------------+-----------------------------------------+
       | kind      | No        | Integer       | Kind. Options: - **0**: a - **3**: b    |
       +-----------+-----------+---------------+-----------------------------------------+
       | score     | No        | Float         | The value range is **[0,1]**.           |
       +-----------+-----------+---------------+-----------------------------------------+
       | limit     | No        | Integer       | The value ranges from 1 to 100. The     |
       |           |           |               | default value is 10.                    |
       +-----------+-----------+---------------+-----------------------------------------+
       | scope     | No        | String        | The minimum and maximum values are      |
       |           |           |               | separated by hyphens (-).               |
       +-----------+-----------+---------------+-----------------------------------------+
       | at        | No        | String        | In the format of **hh:mm:ss.SSS**.      |
       +-----------+-----------+---------------+-----------------------------------------+
       | flavor    | No        | Flavor object | Flavor.                                 |
       +-----------+-----------+---------------+-----------------------------------------+
       | name      | No        | String        | The value contains 1 to 64 characters.  |
       |           |           |               | Only letters, digits, underscores (_),  |
       |           |           |               | and hyphens (-) are allowed.            |
       +-----------+-----------+---------------+-----------------------------------------+
       | note      | No        | String        | The value contains 0 to 256 characters  |
       |           |           |               | and does not support the following      |
       |           |           |               | special characters: ^!<>=&"'            |
       +-----------+-----------+---------------+-----------------------------------------+
       | keep      | No        | Boolean       | Keep it. Options:                       |
       |           |           |               |                                         |
       |           |           |               | -  **true**: keep                       |
       |           |           |               |                                         |
       |           |           |               | -  **false**: drop (Default value)      |
       +-----------+-----------+---------------+-----------------------------------------+
       | ratio     | No        | String        | The default value is 1.00, indicating   |
       |           |           |               | all.                                    |
       +-----------+-----------+---------------+-----------------------------------------+
       | status    | No        | Integer       | Status. Options:                        |
       |           |           |               |                                         |
       |           |           |               | -  0: idle - **1**: busy                |
       |           |           |               |                                         |
       |           |           |               | -  2: done                              |
       +-----------+-----------+---------------+-----------------------------------------+

    .. table:: **Table 3** Flavor

       ========= ========= ====== ===========
       Parameter Mandatory Type   Description
       ========= ========= ====== ===========
       code      Yes       String Code.
       ========= ========= ====== ===========
    """
)


@pytest.fixture
def example_schema(tmp_path: Path) -> dict:
    (tmp_path / "example.rst").write_text(PAGE)
    (tmp_path / "error_codes.rst").write_text("Error Codes\n===========\n")
    files = generate(tmp_path)
    return json.loads(files["Example.request.json"])


def test_page_gives_operation_method_and_path(tmp_path):
    (tmp_path / "example.rst").write_text(PAGE)
    page = parse_page(tmp_path / "example.rst")
    assert (page.operation_id, page.method, page.path) == (
        "Example",
        "POST",
        "/v2/{project_id}/things",
    )


def test_mandatory_flags_become_required(example_schema):
    assert example_schema["required"] == ["mode"]
    assert example_schema["$defs"]["Flavor"]["required"] == ["code"]


def test_option_list_becomes_string_enum(example_schema):
    assert example_schema["properties"]["mode"]["enum"] == ["fast", "accurate"]


def test_inline_option_list_becomes_integer_enum(example_schema):
    assert example_schema["properties"]["kind"]["enum"] == [0, 3]


def test_value_range_becomes_bounds(example_schema):
    score = example_schema["properties"]["score"]
    assert (score["minimum"], score["maximum"]) == (0, 1)


def test_range_and_default_of_an_integer(example_schema):
    limit = example_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 10)


def test_confidence_scope_format_becomes_pattern(example_schema):
    import re

    pattern = re.compile(example_schema["properties"]["scope"]["pattern"])
    assert pattern.match("0.10-0.90") and pattern.match("0-1")
    assert not pattern.match("0.10-1.50") and not pattern.match("0.5")


def test_speech_time_format_becomes_pattern(example_schema):
    import re

    pattern = re.compile(example_schema["properties"]["at"]["pattern"])
    assert pattern.match("01:02:03.456")
    assert not pattern.match("1:02:03") and not pattern.match("01:61:03.456")


def test_length_and_character_set_of_a_name(example_schema):
    name = example_schema["properties"]["name"]
    assert (name["minLength"], name["maxLength"], name["pattern"]) == (1, 64, "^[A-Za-z0-9_-]*$")


def test_forbidden_special_characters_become_a_negated_class(example_schema):
    note = example_schema["properties"]["note"]
    assert note["maxLength"] == 256
    assert note["pattern"] == "^[^\\^!<>=&\"']*$"


def test_option_marked_default_and_default_phrase(example_schema):
    assert example_schema["properties"]["keep"]["default"] is False
    assert example_schema["properties"]["ratio"]["default"] == "1.00"


def test_plain_options_beside_bold_ones_are_all_read(example_schema):
    assert sorted(example_schema["properties"]["status"]["enum"]) == [0, 1, 2]


def test_an_override_replaces_a_field_and_a_stale_one_is_an_error(tmp_path):
    (tmp_path / "example.rst").write_text(PAGE)
    (tmp_path / "error_codes.rst").write_text("Error Codes\n===========\n")
    entry = {"table": "Flavor", "field": "code", "pages": ["example.rst"], "reason": "wire"}
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"overrides": [{**entry, "schema": {"type": "integer"}}]}))

    schema = json.loads(generate(tmp_path, overrides)["Example.request.json"])
    assert schema["$defs"]["Flavor"]["properties"]["code"] == {"type": "integer"}

    stale = {**entry, "field": "gone", "required": True}
    overrides.write_text(json.dumps({"overrides": [stale]}))
    with pytest.raises(GenerationError, match=r"example\.rst: Flavor\.gone"):
        generate(tmp_path, overrides)


def test_every_override_gives_a_reason_and_a_page():
    entries = json.loads((REPO / "schemas" / "overrides.json").read_text())["overrides"]
    assert entries
    assert all(entry["reason"].strip() and entry["pages"] for entry in entries)


def test_descriptions_are_not_copied(example_schema):
    assert "quick" not in json.dumps(example_schema)


def test_no_bundled_pattern_has_a_repeat_within_a_repeat():
    # Patterns run on Python's re (fastjsonschema's generated code and jsonschema alike),
    # which backtracks: ^(a+)+$ takes seconds on a few dozen characters. The README says
    # no bundled pattern has that shape; a generator change that writes one fails here.
    nodes = [
        node
        for path in (REPO / "schemas").glob("*.json")
        for node in schema_nodes(json.loads(path.read_text(encoding="utf-8")))
    ]
    patterns = {node["pattern"] for node in nodes if isinstance(node.get("pattern"), str)}
    patterns |= {name for node in nodes for name in node.get("patternProperties") or {}}

    assert len(patterns) > 10
    assert may_backtrack("^(a+)+$")
    assert not [pattern for pattern in patterns if may_backtrack(pattern)]
