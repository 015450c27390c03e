"""Small body conditions: ``config.algorithm_type == "accurate"``, ``model_id exists``.

Grammar: ``<path> == <JSON value>``, ``<path> != <JSON value>``, ``<path> =~ "regex"``,
``<path> exists``, ``<path> missing``. A path is dotted field names with ``[n]`` indexes
(``config.inf_config_list[0].instance_count``). Regexes use RE2 syntax (see ``regex``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from emulator.scenarios.regex import RegexError, compile_regex

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_FORM = re.compile(
    r"^\s*(?P<path>[A-Za-z0-9_@:.\[\]-]+)\s+(?P<op>==|!=|=~|exists|missing)\s*"
    r"(?P<value>[\s\S]*)\Z"  # stripped in Python: a lazy value before \s*$ was quadratic
)
MISSING = object()


class ExpressionError(ValueError):
    """The expression does not follow the grammar; the message says why."""


def lookup(document: object, path: tuple[str | int, ...]) -> object:
    """The value at ``path``, or ``MISSING``."""
    current = document
    for part in path:
        in_list = isinstance(part, int) and isinstance(current, list) and part < len(current)
        in_object = isinstance(part, str) and isinstance(current, dict) and part in current
        if not (in_list or in_object):
            return MISSING
        current = current[part]
    return current


def parse_path(text: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    position = 0
    for found in _PATH_PART.finditer(text):
        if found.start() not in (position, position + 1):
            raise ExpressionError(f"cannot read the path {text!r}")
        parts.append(found.group(1) if found.group(1) is not None else int(found.group(2)))
        position = found.end()
    if not parts or position != len(text):
        raise ExpressionError(f"cannot read the path {text!r}")
    return tuple(parts)


@dataclass(frozen=True)
class Expression:
    text: str
    path: tuple[str | int, ...]
    operator: str
    value: object = None

    def holds(self, document: object) -> bool:
        found = lookup(document, self.path)
        if self.operator == "exists":
            return found is not MISSING
        if self.operator == "missing":
            return found is MISSING
        if self.operator == "=~":
            return isinstance(found, str) and self.value.search(found) is not None
        equal = found is not MISSING and found == self.value
        return equal if self.operator == "==" else not equal


def parse_expression(text: str) -> Expression:
    form = _FORM.match(text)
    if form is None:
        raise ExpressionError(
            f"{text!r} is not '<path> == <value>', '!=', '=~ \"regex\"', 'exists' or 'missing'"
        )
    path = parse_path(form.group("path"))
    operator, raw = form.group("op"), form.group("value").strip()
    if operator in ("exists", "missing"):
        if raw:
            raise ExpressionError(f"{text!r}: nothing may follow {operator!r}")
        return Expression(text, path, operator)
    try:
        value = json.loads(raw)
    except ValueError:
        raise ExpressionError(f"{text!r}: {raw!r} is not a JSON value (quote strings)") from None
    if operator == "=~":
        if not isinstance(value, str):
            raise ExpressionError(f"{text!r}: =~ needs a quoted regex")
        try:
            value = compile_regex(value)
        except RegexError as error:
            raise ExpressionError(f"{text!r}: bad regex ({error})") from None
    return Expression(text, path, operator, value)
