"""``{{ ... }}`` placeholders in scripted bodies and headers.

Available: ``path.<name>``, ``query.<name>``, ``headers.<name>``, ``body.<path>`` (dotted,
with ``[n]``), ``id`` (a fresh 19-character id), ``uuid``, ``now_ms``. A string that is a
single placeholder takes the value's JSON type (``"{{ body.config.n_clusters }}"`` gives
the number); inside longer text the value is written as text.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.domain.ids import new_resource_id
from emulator.scenarios.expressions import MISSING, ExpressionError, lookup, parse_path

# No lazy repeat followed by optional blanks: "{{" then thousands of spaces made the old
# pattern cubic (5,000 characters took two minutes). Blanks are stripped in Python instead.
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_WHOLE = re.compile(r"\{\{([^{}]*)\}\}")
_SOURCES = ("path", "query", "headers", "body")
_FUNCTIONS = ("id", "uuid", "now_ms")
# The most characters one scripted answer may come to once filled: a placeholder written
# ten thousand times over turned a 50 KB request body into a 500 MB answer.
MAX_RENDERED_CHARS = 12 * 1024 * 1024


class TemplateError(ValueError):
    """A placeholder names nothing the emulator can fill."""


@dataclass
class TemplateContext:
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    now_ms: Callable[[], int] = lambda: 0
    chars_left: int = MAX_RENDERED_CHARS
    _sizes: dict[str, int] = field(default_factory=dict)  # a whole value's size, by expression

    def spend(self, chars: int) -> None:
        self.chars_left -= chars
        if self.chars_left < 0:
            raise TemplateError(
                f"the answer would be over {MAX_RENDERED_CHARS:,} characters once filled"
            )

    def spend_on(self, expression: str, value: object) -> None:
        """Count a whole value's size as JSON (measured once per expression)."""
        size = self._sizes.get(expression)
        if size is None:
            size = self._sizes[expression] = len(json.dumps(value))
        self.spend(size)

    def value(self, expression: str) -> object:
        if expression == "id":
            return new_resource_id()
        if expression == "uuid":
            return str(uuid.uuid4())
        if expression == "now_ms":
            return self.now_ms()
        source, _, rest = expression.partition(".")
        if source == "body":
            found = lookup(self.body, parse_path(rest))
            return None if found is MISSING else found
        table = {
            "path": self.path,
            "query": self.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }[source]
        return table.get(rest.lower() if source == "headers" else rest)


def _check_expression(expression: str) -> None:
    if expression in _FUNCTIONS:
        return
    source, dot, rest = expression.partition(".")
    if source not in _SOURCES or not dot or not rest:
        raise TemplateError(
            f"unknown placeholder {{{{ {expression} }}}}: use path.<name>, query.<name>, "
            "headers.<name>, body.<path>, id, uuid or now_ms"
        )
    if source == "body":
        try:
            parse_path(rest)
        except ExpressionError as error:
            raise TemplateError(str(error)) from None


def uses_body(value: object) -> bool:
    """Whether a placeholder in ``value`` reads the request's body."""
    if isinstance(value, str):
        return any(
            found.group(1).strip().startswith("body.") for found in _PLACEHOLDER.finditer(value)
        )
    if isinstance(value, dict):
        return any(uses_body(item) for item in value.values())
    if isinstance(value, list):
        return any(uses_body(item) for item in value)
    return False


def check_templates(value: object) -> None:
    """Raise ``TemplateError`` for any placeholder that names nothing fillable."""
    if isinstance(value, str):
        for found in _PLACEHOLDER.finditer(value):
            if found.group(1).strip():
                _check_expression(found.group(1).strip())
    elif isinstance(value, dict):
        for item in value.values():
            check_templates(item)
    elif isinstance(value, list):
        for item in value:
            check_templates(item)


def render(value: object, context: TemplateContext) -> object:
    """``value`` with every placeholder filled from ``context``; ``TemplateError`` when
    the filled answer would be over ``MAX_RENDERED_CHARS`` (counted in ``context``)."""
    if isinstance(value, str):
        whole = _WHOLE.fullmatch(value)
        if whole and whole.group(1).strip():
            expression = whole.group(1).strip()
            filled = _plain(context.value(expression))
            context.spend_on(expression, filled)
            return filled
        text = _PLACEHOLDER.sub(lambda m: _fill(m, context), value)
        context.spend(len(json.dumps(text)))  # as sent: escapes of non-ASCII characters count
        return text
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def _fill(found: re.Match[str], context: TemplateContext) -> str:
    expression = found.group(1).strip()
    if not expression:
        return found.group(0)
    text = _as_text(context.value(expression))
    context.spend(len(text))  # before the text is joined into a longer one
    return text


def _plain(value: object) -> object:
    return value if _is_json(value) else None


def _is_json(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def _as_text(value: object) -> str:
    if value is None or not _is_json(value):
        return ""
    return value if isinstance(value, str) else json.dumps(value)
