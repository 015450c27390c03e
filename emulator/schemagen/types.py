"""Turn a documented parameter (type, options, ranges, formats) into a JSON Schema fragment.

The pages spell types as ``String``, ``Long``, ``Array of InfConfig objects``,
``Map<String,Array<String>>`` and so on. Constraints that the pages state in prose
(option lists, value ranges, time formats) are recognised by a few fixed phrases; each
one is listed here so a reader can see exactly which facts become schema keywords.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from emulator.schemagen.rst import Row

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

_PRIMITIVES: dict[str, dict] = {
    "String": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "Integer": {"type": "integer", "format": "int32", "minimum": INT32[0], "maximum": INT32[1]},
    "Long": {"type": "integer", "format": "int64", "minimum": INT64[0], "maximum": INT64[1]},
    "Float": {"type": "number", "format": "float"},
    "Double": {"type": "number", "format": "double"},
    "Number": {"type": "number"},
    "Object": {"type": "object"},
}
_PLURALS = {
    "strings": "String",
    "integers": "Integer",
    "longs": "Long",
    "floats": "Float",
    "doubles": "Double",
    "booleans": "Boolean",
    "objects": "Object",
    "object": "Object",
}
_ARRAY_OF_OBJECTS = re.compile(r"^Array of (\w+) objects$")
_ARRAY_OF_PLAIN = re.compile(r"^Array of (\w+)$")
_OBJECT_REF = re.compile(r"^(\w+) object$")
_MAP = re.compile(r"^Map<\s*String\s*,\s*(.+)>$")
_ANGLE_ARRAY = re.compile(r"^Array<\s*(.+)>$")
_RANGE = re.compile(
    r"(?:value range is|value ranges from|ranges from)\s*\[?\s*(-?\d+(?:\.\d+)?)\s*"
    r"(?:,|to)\s*(-?\d+(?:\.\d+)?)\s*\]?"
)
_DEFAULT = re.compile(r"default value is (-?\d+)\b")

# A string whose options may be combined, as in "3-6" for two hard-example reasons.
_JOINED_OPTIONS = "hyphen (-) to separate"

# An option that is a date template ("yyyyMMdd-yyyyMMdd") rather than a literal value.
_DATE_TEMPLATE = re.compile(r"y{4}[yMdHms]*(?:[-:. ]y{4}[yMdHms]*)*")

# Formats the pages describe in words, keyed by the phrase that states them.
_UNIT_INTERVAL = r"(?:0(?:\.\d+)?|1(?:\.0+)?)"
_FORMAT_PHRASES: list[tuple[str, dict]] = [
    ("hh:mm:ss.SSS", {"pattern": r"^\d{2}:[0-5]\d:[0-5]\d\.\d{3}$"}),
    (
        "minimum and maximum values are separated by hyphens",
        {"pattern": rf"^{_UNIT_INTERVAL}-{_UNIT_INTERVAL}$"},
    ),
]


class UnknownType(ValueError):
    """A documented type the generator does not know how to map."""


def type_schema(expression: str, resolve: Callable[[str], dict]) -> dict:
    """Schema for a documented type expression; ``resolve`` names a nested table."""
    expression = expression.strip()
    if expression in _PRIMITIVES:
        return dict(_PRIMITIVES[expression])
    if match := _ARRAY_OF_OBJECTS.match(expression):
        return {"type": "array", "items": resolve(match.group(1))}
    if match := _ARRAY_OF_PLAIN.match(expression):
        item = _PLURALS.get(match.group(1))
        if item is None:
            raise UnknownType(expression)
        return {"type": "array", "items": dict(_PRIMITIVES[item])}
    if match := _ANGLE_ARRAY.match(expression):
        return {"type": "array", "items": type_schema(match.group(1), resolve)}
    if match := _MAP.match(expression):
        return {"type": "object", "additionalProperties": type_schema(match.group(1), resolve)}
    if match := _OBJECT_REF.match(expression):
        return resolve(match.group(1))
    if re.fullmatch(r"[A-Z]\w*", expression):
        return resolve(expression)
    raise UnknownType(expression)


def row_schema(row: Row, resolve: Callable[[str], dict]) -> dict:
    """Schema for one parameter row, with the constraints its description states."""
    schema = type_schema(row.type, resolve)
    scalar = schema["items"] if schema.get("type") == "array" and "items" in schema else schema
    kind = scalar.get("type")
    text = row.text
    options = row.options()
    if options and kind == "string" and _JOINED_OPTIONS in text:
        alternatives = "|".join(re.escape(option) for option in options)
        scalar["pattern"] = rf"^(?:{alternatives})(?:-(?:{alternatives}))*$"
    elif options and kind == "string" and any(_DATE_TEMPLATE.fullmatch(o) for o in options):
        alternatives = "|".join(_option_regex(option) for option in options)
        scalar["pattern"] = rf"^(?:{alternatives})$"
    elif options and kind in ("string", "integer"):
        values = _typed_options(options, kind)
        if values is not None:
            scalar["enum"] = values
    if kind in ("integer", "number") and (found := _RANGE.search(text)):
        low, high = (_number(found.group(1), kind), _number(found.group(2), kind))
        scalar["minimum"], scalar["maximum"] = low, high
    if kind == "integer" and (found := _DEFAULT.search(text)):
        scalar["default"] = int(found.group(1))
    if kind == "string":
        for phrase, keywords in _FORMAT_PHRASES:
            if phrase in text:
                scalar.update(keywords)
    return schema


def _option_regex(option: str) -> str:
    """A literal option, or a date template such as ``yyyyMMdd`` as digits."""
    if _DATE_TEMPLATE.fullmatch(option):
        return re.sub(r"[yMdHms]", r"\\d", option)
    return re.escape(option)


def _typed_options(options: list[str], kind: str) -> list | None:
    if kind == "string":
        return options
    try:
        return [int(option) for option in options]
    except ValueError:
        return None


def _number(text: str, kind: str) -> int | float:
    value = float(text)
    return int(value) if kind == "integer" or value.is_integer() else value
