"""Answers are written byte for byte as ``json.dumps`` writes them (emulator/api/json_body.py)."""

from __future__ import annotations

import json

import pytest

from emulator.api.json_body import dumps, json_response

DOCUMENTS = [
    {"task_id": "abc", "progress": 0.5, "status": 1, "done": True, "error": None},
    {"text": 'é ü 中文 \u2028 \x00 "quoted" back\\slash', "emoji": "😀"},
    {"big": 10**40, "small": -(10**40), "tiny": 1e-300, "huge": 1.7976931348623157e308},
    {"nan": float("nan"), "inf": float("inf"), "minus_inf": float("-inf"), "zero": -0.0},
    {"nested": [[], {}, [{"a": [1, {"b": []}]}]], 1: "int key", None: "null key", 2.5: "float key"},
    ["a list", 1, 2.0],
    "a string",
    7,
    None,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_document_is_written_as_json_dumps_writes_it(document):
    assert dumps(document) == json.dumps(document)


def test_what_json_cannot_hold_is_refused_as_json_dumps_refuses_it():
    with pytest.raises(TypeError) as theirs:
        json.dumps({"when": object})

    with pytest.raises(TypeError) as ours:
        dumps({"when": object})

    assert str(ours.value) == str(theirs.value) == "Object of type type is not JSON serializable"


def test_the_response_is_json_with_its_status_and_headers():
    response = json_response({"a": 1}, status=201, headers={"X-Subject-Token": "t"})

    assert (response.status, response.content_type, response.charset) == (
        201,
        "application/json",
        "utf-8",
    )
    assert (response.text, response.headers["X-Subject-Token"]) == ('{"a": 1}', "t")
