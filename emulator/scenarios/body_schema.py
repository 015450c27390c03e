"""JSON Schemas in a rule's ``match.body.schema``, with patterns matched by RE2.

jsonschema matches ``pattern`` with Python's backtracking ``re``, so a schema from a
scenario file could stall the event loop just as a query regex could. Here ``pattern``
goes through RE2 (compiled and checked when the scenario loads) and ``patternProperties``,
which jsonschema also matches with ``re`` in places no keyword hook reaches, is refused.
"""

from __future__ import annotations

from functools import lru_cache

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError

from emulator.scenarios.regex import RegexError, compile_regex


class BodySchemaError(ValueError):
    """Not a JSON Schema the emulator will run; the message says why."""


@lru_cache(maxsize=256)
def _compiled(pattern: str):
    return compile_regex(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and _compiled(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def _check_patterns(schema: object) -> None:
    pending = [schema]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            if "patternProperties" in value:
                raise BodySchemaError("patternProperties is not supported in body schemas")
            pattern = value.get("pattern")
            if isinstance(pattern, str):
                try:
                    compile_regex(pattern)
                except RegexError as error:
                    raise BodySchemaError(f"bad pattern {pattern!r} ({error})") from None
            pending.extend(value.values())


def compile_body_schema(schema: dict):
    """A validator for ``schema``, or ``BodySchemaError``."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise BodySchemaError(f"not a JSON Schema ({error.message})") from None
    _check_patterns(schema)
    return _Validator(schema)
