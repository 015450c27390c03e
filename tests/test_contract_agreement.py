"""Strict mode and independent validators of /openapi.json give the same verdicts.

Request bodies are drawn from the published document with a fixed seed: valid ones
(required fields plus a random choice of optional ones) and targeted mutations of them
(wrong type, bad option, out of range, too long, pattern mismatch, unknown field,
missing required). Each body is judged by two validators that know nothing of the
emulator (jsonschema_rs, a Rust implementation, and Python's jsonschema, Draft 2020-12,
both over the published document) and sent to the emulator in strict mode. The
emulator "accepts" when it answers anything but 400 ModelArts.4200 (2xx, or a
precondition code such as a missing OBS bucket); it "refuses" with 400 ModelArts.4200.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

import jsonschema_rs
from jsonschema import Draft202012Validator

from tests.conftest import DEMO_DATASET, DEMO_PROJECT

SEED = 20261129
VALID_PER_OPERATION = 40
MUTATIONS_PER_OPERATION = 20
OPERATIONS = {
    "CreateDataset": ("POST", "/v2/{project_id}/datasets"),
    "UpdateDataset": ("PUT", "/v2/{project_id}/datasets/{dataset_id}"),
    "CreateLabels": ("POST", "/v2/{project_id}/datasets/{dataset_id}/data-annotations/labels"),
    "UploadSamplesJson": (
        "POST",
        "/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples",
    ),
    "UpdateSamples": ("PUT", "/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"),
    "DeleteSamples": (
        "POST",
        "/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/delete",
    ),
    "CreateTask": ("POST", "/v2/{project_id}/datasets/{dataset_id}/tasks"),
}
MUTATIONS = (
    "wrong type",
    "bad option",
    "out of range",
    "too long",
    "pattern mismatch",
    "unknown field",
    "missing required",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


@dataclass
class Case:
    operation: str
    kind: str  # "valid" or a mutation
    body: dict


class BodyMaker:
    """Values the published schemas admit, and targeted ways to break them."""

    def __init__(self, document: dict, rng: random.Random) -> None:
        self.components = document["components"]["schemas"]
        self.rng = rng

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.components[node["$ref"].rsplit("/", 1)[1]]
        return node

    def value(self, node: dict, depth: int = 0) -> object:
        node = self.resolve(node)
        rng = self.rng
        if "enum" in node:
            return rng.choice(node["enum"])
        kind = node.get("type")
        if isinstance(kind, list):
            kind = rng.choice(kind)
        if kind == "object":
            if "properties" in node:
                body = {}
                for name, child in node["properties"].items():
                    wanted = name in node.get("required", [])
                    if wanted or (depth < 3 and rng.random() < 0.4):
                        body[name] = self.value(child, depth + 1)
                return body
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                return {f"key{i}": self.value(extra, depth + 1) for i in range(rng.randint(0, 2))}
            return {"free": rng.randint(0, 9)}
        if kind == "array":
            items = node.get("items")
            low = node.get("minItems", 0)
            high = max(low, min(node.get("maxItems", 2), 2 if depth < 3 else 0))
            count = rng.randint(low, high)
            if items is None:
                return [[rng.randint(0, 99), rng.randint(0, 99)] for _ in range(count)]
            return [self.value(items, depth + 1) for _ in range(count)]
        if kind == "string":
            return self.text(node)
        if kind == "integer":
            low = max(node.get("minimum", -1000), -1000)
            return rng.randint(low, min(node.get("maximum", 1000), max(low, 1000)))
        if kind == "number":
            low, high = node.get("minimum", -100.0), node.get("maximum", 100.0)
            return round(rng.uniform(low, high), 3)
        if kind == "boolean":
            return rng.random() < 0.5
        return None

    def text(self, node: dict) -> str:
        low, high = node.get("minLength", 0), node.get("maxLength", 16)
        for _ in range(50):
            if "pattern" in node:
                candidate = sample_regex(node["pattern"], self.rng)
            else:
                length = self.rng.randint(low, min(high, low + 12))
                candidate = "".join(self.rng.choice(_LETTERS) for _ in range(length))
            if low <= len(candidate) <= high:
                return candidate
        raise AssertionError(f"cannot draw a string for {node}")

    def fields(self, body: object, node: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
        """(path, schema) of every value in ``body``, the body itself first."""
        node = self.resolve(node)
        yield path, node
        if isinstance(body, dict) and "properties" in node:
            for name, value in body.items():
                if name in node["properties"]:
                    yield from self.fields(value, node["properties"][name], (*path, name))
        elif isinstance(body, list) and isinstance(node.get("items"), dict):
            for index, value in enumerate(body):
                yield from self.fields(value, node["items"], (*path, index))

    def mutate(self, body: dict, node: dict, kind: str) -> dict | None:
        """``body`` broken the ``kind`` way at a random place; None if it has no such place."""
        targets: list[tuple[tuple, object]] = []
        for path, schema in self.fields(body, node):
            change = self._change(kind, schema, _get(body, path))
            if change is not None:
                targets.append((path, change))
        if not targets:
            return None
        path, change = self.rng.choice(targets)
        broken = json.loads(json.dumps(body))
        if kind == "unknown field":
            _get(broken, path)["x_undocumented"] = 1
        elif kind == "missing required":
            del _get(broken, path)[change]
        elif path:
            parent = _get(broken, path[:-1])
            parent[path[-1]] = change
        else:
            return None
        return broken

    def _change(self, kind: str, schema: dict, value: object) -> object:
        types = schema.get("type")
        types = types if isinstance(types, list) else [types]
        if kind == "wrong type" and types[0] is not None:
            for other in (12345, "text", [1], {"a": 1}, True):
                if _json_type(other) not in types and not (
                    isinstance(other, int) and "number" in types
                ):
                    return other
        if kind == "bad option" and "enum" in schema:
            return "not-an-option" if isinstance(schema["enum"][0], str) else 987654
        if kind == "out of range" and "integer" in types and "maximum" in schema:
            return schema["maximum"] + 1 if self.rng.random() < 0.5 else schema["minimum"] - 1
        if kind == "out of range" and "number" in types and "maximum" in schema:
            return schema["maximum"] + 0.5
        if kind == "too long" and "maxLength" in schema:
            return "a" * (schema["maxLength"] + 1)
        if kind == "pattern mismatch" and "pattern" in schema:
            return "<bad>\n" if "A-Za-z" in schema["pattern"] else "not <matching>"
        if kind == "unknown field" and isinstance(value, dict) and "properties" in schema:
            return True
        if kind == "missing required" and isinstance(value, dict):
            present = [name for name in schema.get("required", []) if name in value]
            return self.rng.choice(present) if present else None
        return None


def _get(document: object, path: tuple) -> object:
    for key in path:
        document = document[key]
    return document


def _json_type(value: object) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "array", dict: "object"}[
        type(value)
    ]


def sample_regex(pattern: str, rng: random.Random) -> str:
    """A string matching ``pattern`` (the subset schemagen writes: classes, groups, repeats)."""
    parser = re._parser  # type: ignore[attr-defined]
    constants = re._constants  # type: ignore[attr-defined]
    printable = [chr(c) for c in range(0x20, 0x7F)]

    def members(items: list) -> list[str]:
        chars: list[str] = []
        negate = False
        for op, arg in items:
            if op is constants.NEGATE:
                negate = True
            elif op is constants.LITERAL:
                chars.append(chr(arg))
            elif op is constants.RANGE:
                chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
            elif op is constants.CATEGORY and arg is constants.CATEGORY_DIGIT:
                chars += list("0123456789")
        return [c for c in printable if c not in chars] if negate else chars

    def walk(tokens) -> str:
        out = ""
        for op, arg in tokens:
            if op is constants.LITERAL:
                out += chr(arg)
            elif op is constants.IN:
                out += rng.choice(members(arg))
            elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
                low, high, sub = arg
                high = min(high, low + 6)
                out += "".join(walk(sub) for _ in range(rng.randint(low, high)))
            elif op is constants.SUBPATTERN:
                out += walk(arg[-1])
            elif op is constants.BRANCH:
                out += walk(rng.choice(arg[1]))
            elif op is constants.ANY:
                out += rng.choice(_LETTERS)
        return out

    return walk(parser.parse(pattern))


def _bind_references(operation: str, body: dict, labels: list[str], rng: random.Random) -> dict:
    """Point references at resources that exist, as a client would: the labels an update
    changes are labels the dataset has (ids in the URL are mapped the same way)."""
    if operation == "UpdateDataset":
        for change in body.get("update_labels", []):
            change["name"] = rng.choice(labels)
    return body


def make_cases(document: dict, labels: list[str]) -> list[Case]:
    rng = random.Random(SEED)
    maker = BodyMaker(document, rng)
    cases: list[Case] = []
    for operation in OPERATIONS:
        node = {"$ref": f"#/components/schemas/{operation}.request"}
        valid = [
            _bind_references(operation, maker.value(node), labels, rng)
            for _ in range(VALID_PER_OPERATION)
        ]
        cases += [Case(operation, "valid", body) for body in valid]
        made = 0
        attempts = 0
        while made < MUTATIONS_PER_OPERATION and attempts < 20 * MUTATIONS_PER_OPERATION:
            attempts += 1
            kind = MUTATIONS[attempts % len(MUTATIONS)]
            broken = maker.mutate(rng.choice(valid), node, kind)
            if broken is not None:
                cases.append(Case(operation, kind, broken))
                made += 1
    return cases


def independent_validators(document: dict, operation: str) -> list:
    """Validators of the published request schema that share no code with the emulator."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{operation}.request",
        "components": document["components"],
    }
    return [jsonschema_rs.validator_for(schema), Draft202012Validator(schema)]


async def _emulator_verdict(client, case: Case) -> tuple[bool, dict]:
    method, template = OPERATIONS[case.operation]
    url = template.format(project_id=DEMO_PROJECT, dataset_id=DEMO_DATASET)
    response = await client.request(
        method, url, json=case.body, headers={"X-Emulator-Strict": "true"}
    )
    answer = await response.json() if response.content_type == "application/json" else {}
    assert response.status < 500, (case.body, answer)
    refused = response.status == 400 and answer.get("error_code") == "ModelArts.4200"
    return not refused, answer


async def test_strict_mode_agrees_with_independent_validators(client):
    document = await (await client.get("/openapi.json")).json()
    labels_url = f"/v2/{DEMO_PROJECT}/datasets/{DEMO_DATASET}/data-annotations/labels"
    labels = [label["name"] for label in (await (await client.get(labels_url)).json())["labels"]]
    cases = make_cases(document, labels)
    judges = {op: independent_validators(document, op) for op in OPERATIONS}

    disagreements = []
    counted = {"valid": 0, "invalid": 0}
    for case in cases:
        rust, python = (judge.is_valid(case.body) for judge in judges[case.operation])
        assert rust == python, f"the two independent validators differ on {case.body}"
        counted["valid" if rust else "invalid"] += 1
        emulator, answer = await _emulator_verdict(client, case)
        if emulator != rust:
            disagreements.append((case, rust, emulator, answer))

    for case, expected, got, answer in disagreements:
        print(
            f"DISAGREE {case.operation} {case.kind}: validators say "
            f"{'valid' if expected else 'invalid'}, emulator "
            f"{'accepts' if got else 'refuses'} ({answer.get('error_msg')}): "
            f"{json.dumps(case.body)}"
        )
    assert counted["valid"] >= 200 and counted["invalid"] >= 100, counted
    assert {case.kind for case in cases} >= set(MUTATIONS)
    agreement = 1 - len(disagreements) / len(cases)
    print(f"{len(cases)} bodies, {counted}, agreement {agreement:.2%}")
    assert agreement >= 0.99, f"{len(disagreements)} disagreements, printed above"
