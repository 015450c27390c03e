"""Answers carry every field their response table lists.

Client models generated from the tables read every documented field; a field the
emulator has no value for is sent as the table's default, or ``null``, never left out.
Objects whose documented fields all start with ``@`` (label properties, sample metadata)
are attribute bags: what is absent there means "not set", so they are left as they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass
class _Shape:
    """The documented fields of one object (with their defaults) and of its array items."""

    fields: dict[str, tuple[object, _Shape | None]] = field(default_factory=dict)
    items: _Shape | None = None

    def fill(self, value: object) -> object:
        """A filled copy of ``value``; what it shares with the domain's records is not changed."""
        if isinstance(value, dict) and self.fields:
            filled = dict(value)
            for name, (default, inner) in self.fields.items():
                if name not in filled:
                    filled[name] = copy.copy(default)
                elif inner is not None:
                    filled[name] = inner.fill(filled[name])
            return filled
        if isinstance(value, list) and self.items is not None:
            return [self.items.fill(item) for item in value]
        return value


class ResponseCompleter:
    """Adds to a response body the fields its schema documents and it lacks."""

    def __init__(self, schema: dict) -> None:
        self._definitions = schema.get("$defs", {})
        self._built: dict[str, _Shape | None] = {}
        self._shape = self._build(schema)

    def __call__(self, body: object) -> object:
        return body if self._shape is None else self._shape.fill(body)

    def _build(self, schema: dict) -> _Shape | None:
        reference = schema.get("$ref")
        if reference is not None:
            name = reference.rsplit("/", 1)[-1]
            if name not in self._built:
                # Entered before it is built, as definitions may refer to themselves.
                shape = self._built[name] = _Shape()
                built = self._build(self._definitions.get(name, {}))
                if built is None:
                    self._built[name] = None
                else:
                    shape.fields, shape.items = built.fields, built.items
            return self._built[name]
        properties = schema.get("properties")
        if properties:
            if all(name.startswith("@") for name in properties):
                return None
            shape = _Shape()
            for name, sub in properties.items():
                shape.fields[name] = (sub.get("default"), self._build(sub))
            return shape
        if "items" in schema:
            items = self._build(schema["items"])
            return _Shape(items=items) if items is not None else None
        return None
