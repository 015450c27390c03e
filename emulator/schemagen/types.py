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
_DEFAULT = re.compile(r"[Tt]he default value is (?!left blank|empty)(\S+?)[,.)]?(?:\s|$)")
_MINIMUM = re.compile(r"[Tt]he minimum value is (-?\d+)\b")
_LENGTH_RANGE = re.compile(r"contains (\d[\d,]*) to (\d[\d,]*) characters")
_LENGTH_MAX = re.compile(r"(?:a maximum of|up to) (\d[\d,]*) characters")
_VALUE_LIST = re.compile(r"[Tt]he value can be ((?:[\w-]+, )+or [\w-]+)\.")

# Character sets stated in words. Patterns are written with explicit ASCII classes (never
# \d, \w or \s) and the characters ECMA-262 allows escaped in a class under the u flag,
# so every regex engine reads them the same way.
_NAME_CHARACTERS = re.compile(r"(?i)only letters, digits, underscores \(_\),? and hyphens \(-\)")
_PUNCTUATION = r"[!-'*-/:-@\[-`{-~]"
_FORBIDDEN: list[re.Pattern[str]] = [
    re.compile(
        rf"(?:not support|cannot contain) the following special characters: ({_PUNCTUATION}+)"
    ),
    re.compile(rf"cannot contain special characters \(({_PUNCTUATION}+)\)"),
    re.compile(
        rf"[Ss]pecial characters \(({_PUNCTUATION}+)\) (?:are not allowed|cannot be included)"
    ),
    re.compile(rf"cannot contain the character\. ({_PUNCTUATION}+?)\.?$"),
]

# A string whose options may be combined, as in "3-6" for two hard-example reasons.
_JOINED_OPTIONS = "hyphen (-) to separate"

# An option that is a date template ("yyyyMMdd-yyyyMMdd") rather than a literal value.
_DATE_TEMPLATE = re.compile(r"y{4}[yMdHms]*(?:[-:. ]y{4}[yMdHms]*)*")

# Formats the pages describe in words, keyed by the phrase that states them.
_UNIT_INTERVAL = r"(?:0(?:\.[0-9]+)?|1(?:\.0+)?)"
_FORMAT_PHRASES: list[tuple[str, dict]] = [
    ("hh:mm:ss.SSS", {"pattern": r"^[0-9]{2}:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}$"}),
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
    if not options and kind == "string" and (listed := _VALUE_LIST.search(text)):
        options = [value.removeprefix("or ") for value in listed.group(1).split(", ")]
    if options and kind == "string" and _JOINED_OPTIONS in text:
        alternatives = "|".join(re.escape(option) for option in options)
        scalar["pattern"] = rf"^(?:{alternatives})(?:-(?:{alternatives}))*$"
    elif options and kind == "string" and any(_DATE_TEMPLATE.fullmatch(o) for o in options):
        alternatives = "|".join(_option_regex(option) for option in options)
        scalar["pattern"] = rf"^(?:{alternatives})$"
    elif options and kind in ("string", "integer", "number"):
        values = _typed_options(options, kind)
        if values is not None:
            scalar["enum"] = values
    found = _RANGE.search(text)
    if kind in ("integer", "number") and found:
        low, high = (_number(found.group(1), kind), _number(found.group(2), kind))
        scalar["minimum"], scalar["maximum"] = low, high
    elif kind == "string" and found and (found.group(1), found.group(2)) == ("0", "1"):
        scalar["pattern"] = rf"^{_UNIT_INTERVAL}$"
    if kind == "integer" and (minimum := _MINIMUM.search(text)):
        scalar["minimum"] = int(minimum.group(1))
    if kind == "string":
        _string_constraints(scalar, text)
    default = _default(row, kind)
    if default is not None and ("enum" not in scalar or default in scalar["enum"]):
        scalar["default"] = default
    return schema


def _string_constraints(scalar: dict, text: str) -> None:
    """Lengths, character sets and formats a string's description states."""
    if found := _LENGTH_RANGE.search(text):
        scalar["minLength"] = int(found.group(1).replace(",", ""))
        scalar["maxLength"] = int(found.group(2).replace(",", ""))
    elif found := _LENGTH_MAX.search(text):
        scalar["maxLength"] = int(found.group(1).replace(",", ""))
    if _NAME_CHARACTERS.search(text):
        scalar["pattern"] = "^[A-Za-z0-9_-]*$"
    for phrase in _FORBIDDEN:
        if found := phrase.search(text):
            scalar["pattern"] = f"^[^{_class_escape(found.group(1))}]*$"
            break
    for phrase, keywords in _FORMAT_PHRASES:
        if phrase in text:
            scalar.update(keywords)


def _class_escape(characters: str) -> str:
    r"""Characters for a regex class; only ``\ ] ^ -`` are escaped (valid in ECMA-262 u mode)."""
    unique = dict.fromkeys(characters)
    return "".join("\\" + c if c in "\\]^-" else c for c in unique)


def _default(row: Row, kind: str | None) -> object:
    """The default a row states: ``The default value is X`` or an option marked default."""
    found = _DEFAULT.search(row.text)
    raw = found.group(1) if found else row.default_option()
    if raw is None:
        return None
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return _number(raw, kind)
    except ValueError:
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower())
    return raw if kind == "string" else None


def _option_regex(option: str) -> str:
    """A literal option, or a date template such as ``yyyyMMdd`` as digits."""
    if _DATE_TEMPLATE.fullmatch(option):
        return re.sub(r"[yMdHms]", "[0-9]", option)
    return re.escape(option)


def _typed_options(options: list[str], kind: str) -> list | None:
    if kind == "string":
        return options
    try:
        if kind == "number":
            return [_number(option, kind) for option in options]
        return [int(option) for option in options]
    except ValueError:
        return None


def _number(text: str, kind: str) -> int | float:
    value = float(text)
    return int(value) if kind == "integer" or value.is_integer() else value
