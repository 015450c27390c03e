"""Validate payloads the way the service does (lenient) or the way the contract reads (strict).

Lenient mode mirrors the service: unknown fields are ignored and numeric or boolean
strings pass where the table says Integer, Long, Float, Double or Boolean (the value is
converted in place). Strict mode refuses both. Every violation is reported with the
field's JSON path, what was expected and what came.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}
_COERCIBLE = {"integer", "number", "boolean"}
_SHOWN_VALUE_LENGTH = 60


@dataclass(frozen=True)
class Violation:
    """One field that broke the contract."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class PayloadValidator:
    """Compiled lenient and strict validators for one schema document."""

    def __init__(self, schema: dict, registry: Registry | None = None) -> None:
        registry = registry or Registry()
        self.schema = schema
        self._lenient = Draft202012Validator(schema, registry=registry)
        self._strict = Draft202012Validator(closed(schema), registry=registry)

    def validate(self, payload: object, *, strict: bool) -> list[Violation]:
        """Violations of ``payload``; in lenient mode coercible strings are converted in place."""
        if strict:
            return _violations(self._strict.iter_errors(payload))
        errors = list(self._lenient.iter_errors(payload))
        if not errors:
            return []
        converted = [_coerce(payload, error) for error in errors]  # every one, no short cut
        if any(converted):
            errors = list(self._lenient.iter_errors(payload))
        return _violations(errors)


def closed(schema: dict) -> dict:
    """A copy of ``schema`` in which every documented object refuses undocumented fields."""
    result = copy.deepcopy(schema)
    _close(result)
    return result


def _close(node: object) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def _coerce(payload: object, error: ValidationError) -> bool:
    """Convert a string at the error's path to the number or boolean the schema wants."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return False
    wanted = error.validator_value
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    value = _parse_scalar(error.instance.strip(), wanted & _COERCIBLE)
    if value is None or not error.absolute_path:
        return False
    *parents, last = error.absolute_path
    container = payload
    for key in parents:
        container = container[key]
    container[last] = value
    return True


def _parse_scalar(text: str, wanted: set[str]) -> int | float | bool | None:
    if "boolean" in wanted and text in ("true", "false"):
        return text == "true"
    if "integer" in wanted:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in wanted:
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    return None


def _violations(errors: Iterable[ValidationError]) -> list[Violation]:
    found: list[Violation] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        found.extend(_describe(error))
    return found


def json_path(parts: Iterable[object]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(error: ValidationError) -> Iterator[Violation]:
    path = list(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        for name in sorted(set(instance) - known):
            yield Violation(json_path([*path, name]), "unknown field")
        return
    if keyword in ("oneOf", "anyOf") and error.context:
        yield from _describe(best_match(error.context))
        return
    if keyword == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield Violation(json_path([*path, name]), "missing required field")
        return
    yield Violation(json_path(path), _reason(keyword, error.validator_value, instance, error))


def _reason(keyword: str, expected: object, instance: object, error: ValidationError) -> str:
    got = f"got {_type_name(instance)} {_show(instance)}"
    if keyword == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        return f"expected {wanted}, {got}"
    if keyword == "enum":
        return f"expected one of {_show(expected, limit=None)}, {got}"
    if keyword in ("minimum", "exclusiveMinimum"):
        sign = ">=" if keyword == "minimum" else ">"
        return f"expected a number {sign} {expected}, {got}"
    if keyword in ("maximum", "exclusiveMaximum"):
        sign = "<=" if keyword == "maximum" else "<"
        return f"expected a number {sign} {expected}, {got}"
    if keyword == "pattern":
        return f"expected a string matching {expected}, {got}"
    return f"{error.message} ({keyword})"


def _type_name(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _show(value: object, limit: int | None = _SHOWN_VALUE_LENGTH) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text
