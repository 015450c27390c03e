"""The contract generator: committed schemas match the reference pages, types map as documented."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from emulator.schemagen.build import generate
from emulator.schemagen.rst import parse_page
from emulator.schemagen.types import INT32, INT64, type_schema
from tests.conftest import REFERENCE, REFERENCE_MISSING, REPO

API_PAGES = REFERENCE / "modelarts-api"


def _resolve(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


@pytest.mark.skipif(not API_PAGES.is_dir(), reason=REFERENCE_MISSING)
def test_committed_schemas_are_what_the_generator_writes(tmp_path):
    generated = generate(API_PAGES)
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


def test_descriptions_are_not_copied(example_schema):
    assert "quick" not in json.dumps(example_schema)
