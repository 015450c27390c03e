"""JSON Schemas in a rule's ``match.body.schema``, with patterns matched by RE2.

jsonschema matches ``pattern`` with Python's backtracking ``re``, so a schema from a
scenario file could stall the event loop just as a query regex could. Here ``pattern``
goes through RE2 (compiled and checked when the scenario loads) and ``patternProperties``,
which jsonschema also matches with ``re`` in places no keyword hook reaches, is refused,
as are ``uniqueItems``, ``unevaluatedProperties``/``unevaluatedItems``, enums over 100
values and schemas of over 2,000 values, whose cost grows faster than the body.
A ``$ref`` must point inside the schema and resolve when the scenario loads: jsonschema
would otherwise fetch remote URLs while answering a request (blocking, and a way to make
the emulator call any address), or fail with an internal error on a dangling pointer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from emulator.contract.schema_positions import DIALECT, subschemas
from emulator.contract.step_budget import counted_validator
from emulator.scenarios.regex import RegexError, compile_regex

if TYPE_CHECKING:
    from referencing._core import Resolver


class BodySchemaError(ValueError):
    """Not a JSON Schema the emulator will run; the message says why."""


@lru_cache(maxsize=256)
def _compiled(pattern: str):
    return compile_regex(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and _compiled(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Counted: a rule's schema is matched within a budget of keyword checks (matcher.py).
_Validator = counted_validator(validators.extend(Draft202012Validator, {"pattern": _pattern}))
# uniqueItems compares every pair of items (8,000 objects took two minutes); jsonschema
# follows $ref and dependentSchemas for the unevaluated* keywords outside any counted check
# (time doubling with each level); a long enum is scanned for every value it checks, and
# so is a large schema's every keyword: the schema's size bounds what one check costs.
_REFUSED_KEYWORDS = (
    "patternProperties",
    "$id",
    "$dynamicRef",
    "$dynamicAnchor",
    "uniqueItems",
    "unevaluatedProperties",
    "unevaluatedItems",
)
MAX_ENUM_VALUES = 100
MAX_SCHEMA_VALUES = 2_000  # keys, values and items of the schema, counted alike


def _never_retrieve(uri: str):
    raise NoSuchResource(ref=uri)


_REGISTRY = Registry(retrieve=_never_retrieve)  # type: ignore[call-arg]


def _check_size(schema: object) -> None:
    """Refuse a schema of more than ``MAX_SCHEMA_VALUES`` values, data included."""
    pending = [schema]
    seen = 0
    while pending:
        value = pending.pop()
        seen += 1 + (len(value) if isinstance(value, dict) else 0)
        if seen > MAX_SCHEMA_VALUES:
            raise BodySchemaError(f"a schema of more than {MAX_SCHEMA_VALUES} values")
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


def _check_keywords(schema: dict) -> None:
    """Refuse what could backtrack or reach outside, at every place jsonschema reads as a
    schema: the root, what schema keywords hold (``schema_positions``: a property named
    "uniqueItems" or a const object with a "pattern" field is no keyword), and what each
    ``$ref`` reaches, checked as the schema it becomes. A "$schema" below the root would
    switch jsonschema to that draft's keywords (draft 3's "extends" holds schemas too) and
    drop the RE2 patterns and the step count: it is refused, and the root may name 2020-12
    only."""
    if str(schema.get("$schema", DIALECT)).rstrip("#") != DIALECT:
        raise BodySchemaError(f"$schema: body schemas are JSON Schema {DIALECT}")
    resolver = _REGISTRY.with_resource("", DRAFT202012.create_resource(schema)).resolver()
    pending: list[object] = [schema]
    checked: set[int] = set()  # by identity: references may lead back to a schema
    while pending:
        node = pending.pop()
        if not isinstance(node, dict) or id(node) in checked:
            continue
        checked.add(id(node))
        if "$schema" in node and node is not schema:
            raise BodySchemaError("$schema is not supported below a body schema's root")
        for keyword in _REFUSED_KEYWORDS:
            if keyword in node:
                raise BodySchemaError(f"{keyword} is not supported in body schemas")
        options = node.get("enum")
        if isinstance(options, list) and len(options) > MAX_ENUM_VALUES:
            raise BodySchemaError(f"an enum of {len(options)} values (at most {MAX_ENUM_VALUES})")
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            try:
                compile_regex(pattern)
            except RegexError as error:
                raise BodySchemaError(f"bad pattern {pattern!r} ({error})") from None
        ref = node.get("$ref")
        if isinstance(ref, str):
            pending.append(_reached(resolver, ref))
        pending.extend(schema for _, schema in subschemas(node))


def _reached(resolver: Resolver, ref: str) -> object:
    """The schema ``ref`` points to, which must be in the schema and be a schema."""
    if not ref.startswith("#"):
        raise BodySchemaError(f"$ref {ref!r}: only references inside the schema (#...)")
    try:
        target = resolver.lookup(ref).contents
    except Unresolvable:
        raise BodySchemaError(f"$ref {ref!r} points to nothing in the schema") from None
    if not isinstance(target, dict | bool):
        raise BodySchemaError(f"$ref {ref!r} points to a value that is not a schema")
    return target


def compile_body_schema(schema: dict):
    """A validator for ``schema``, or ``BodySchemaError``."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise BodySchemaError(f"not a JSON Schema ({error.message})") from None
    _check_size(schema)
    _check_keywords(schema)
    # Without its "$schema": jsonschema picks the validator of a reference's target by it,
    # and a "$ref": "#" would lose the RE2 patterns and the step count (found in review).
    schema = {key: value for key, value in schema.items() if key != "$schema"}
    return _Validator(schema, registry=_REGISTRY)
