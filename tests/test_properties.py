"""Property tests over the generated schemas.

- every body the (closed) start-task schema admits is accepted, strict mode included;
- breaking one field of such a body is refused with ModelArts.4200 naming that field;
- nothing ever answers 500;
- the compiled fast path never accepts what jsonschema refuses.

Bodies are drawn by a small strategy builder below: hypothesis-jsonschema 0.23 cannot run
with the hypothesis release that schemathesis needs ("'many' object has no attribute
'more'"), so the tests derive strategies from the schema themselves.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from emulator.contract.validation import PayloadValidator, closed, json_path
from tests.conftest import REPO

SCHEMA = closed(json.loads((REPO / "schemas" / "CreateTask.request.json").read_text()))
DEFS = SCHEMA["$defs"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


def strategy(node: dict, depth: int = 0) -> st.SearchStrategy:
    """Values the schema ``node`` admits."""
    if "$ref" in node:
        return strategy(DEFS[node["$ref"].rsplit("/", 1)[1]], depth)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([strategy({**node, "type": one}, depth) for one in kind])
    if kind == "string":
        low, high = node.get("minLength", 0), node.get("maxLength", 12)
        if "pattern" in node:
            pattern = st.from_regex(re.compile(node["pattern"]), fullmatch=True)
            return pattern.filter(lambda text: low <= len(text) <= high)
        return st.text(st.characters(blacklist_categories=("Cs",)), min_size=low, max_size=12)
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31 - 1))
    if kind == "number":
        return st.floats(
            node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = strategy(node["items"], depth + 1) if "items" in node else st.integers()
        low, high = node.get("minItems", 0), node.get("maxItems", 2)
        return st.lists(items, min_size=low, max_size=max(low, high if depth < 3 else 0))
    if kind == "object" and "properties" in node:
        fields = {name: strategy(child, depth + 1) for name, child in node["properties"].items()}
        required = {name: fields[name] for name in node.get("required", [])}
        optional = {name: s for name, s in fields.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional if depth < 4 else {})
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return st.dictionaries(TEXT, strategy(node["additionalProperties"], depth + 1), max_size=2)
    return st.dictionaries(TEXT, st.integers() | TEXT, max_size=2)


BODIES = strategy(SCHEMA)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = DEFS[node["$ref"].rsplit("/", 1)[1]]
    return node


def constrained_paths(document: object, node: dict, path: tuple = ()) -> list[tuple]:
    """Paths of the values in ``document`` whose type the schema fixes (not free objects)."""
    node = _resolve(node)
    found = [path] if path and node.get("type") else []
    if isinstance(document, dict) and "properties" in node:
        for key, value in document.items():
            if key in node["properties"]:
                found += constrained_paths(value, node["properties"][key], (*path, key))
    elif isinstance(document, dict) and isinstance(node.get("additionalProperties"), dict):
        for key, value in document.items():
            found += constrained_paths(value, node["additionalProperties"], (*path, key))
    elif isinstance(document, list) and "items" in node:
        for index, value in enumerate(document):
            found += constrained_paths(value, node["items"], (*path, index))
    return found


def wrong_value(value: object) -> object:
    """A value of another JSON type, which lenient conversion cannot rescue."""
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return "not-a-number"
    if isinstance(value, str):
        return {"not": "a string"}
    if isinstance(value, list):
        return "not-a-list"
    return ["not", "an", "object"]


def replaced(document: object, path: tuple, value: object) -> object:
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _start(emulator, body: dict, strict: bool):
    headers = {"X-Emulator-Strict": "true" if strict else "false"}
    return emulator.call("POST", f"{emulator.dataset_url}/tasks", body, headers=headers)


@SETTINGS
@given(body=BODIES)
def test_schema_valid_bodies_pass_validation(modelarts_emulator_session, body):
    status, answer, _ = _start(modelarts_emulator_session, body, strict=True)

    assert status < 500, answer
    if status != 200:  # domain rules (OBS paths, preconditions) may still refuse
        assert answer["error_code"] != "ModelArts.4200", answer


@SETTINGS
@given(body=BODIES, data=st.data())
def test_breaking_one_field_is_refused_naming_it(modelarts_emulator_session, body, data):
    paths = constrained_paths(body, SCHEMA)
    if not paths:
        body, paths = {"task_type": "auto-label"}, [("task_type",)]
    path = data.draw(st.sampled_from(paths))
    current = body
    for key in path:
        current = current[key]
    broken = replaced(body, path, wrong_value(current))

    status, answer, _ = _start(modelarts_emulator_session, broken, strict=False)

    assert (status, answer["error_code"]) == (400, "ModelArts.4200"), answer
    assert f"{json_path(path)}: " in answer["error_msg"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
ANY_BODY = st.dictionaries(
    st.sampled_from(["task_type", "config", "model_id", "collect_key_sample", "x"]), JSON_VALUES
)


@SETTINGS
@given(body=ANY_BODY | BODIES)
def test_fast_path_never_accepts_what_jsonschema_refuses(body):
    reference = Draft202012Validator(SCHEMA)
    validator = PayloadValidator(SCHEMA)

    fast_accepts = validator._passes_fast(body, strict=True)

    assert not fast_accepts or reference.is_valid(body)
