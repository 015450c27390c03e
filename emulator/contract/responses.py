"""Answers carry every field their response table lists, and no other.

Client models generated from the tables read every documented field; a field the
emulator has no value for is sent as the table's default, or ``null``, never left out.
A field the table does not list is left out: the service answers from typed records,
so a field a client sent that its request table does not list (a task config's, say)
is not echoed. Objects whose documented fields all start with ``@`` (label properties,
sample metadata) are attribute bags: what is absent there means "not set", so they are
left as they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass
class _Shape:
    """The documented fields of one object (with their defaults) and of its array items;
    ``complete``: whether absent ones are added (not within an object that may be null)."""

    fields: dict[str, tuple[object, _Shape | None]] = field(default_factory=dict)
    items: _Shape | None = None
    complete: bool = True
    nested: frozenset[str] | None = None

    def fill(self, value: object) -> object:
        """A filled copy of ``value`` with only its documented fields; what it shares with
        the domain's records is not changed."""
        if isinstance(value, dict) and self.fields:
            fields = self.fields
            if self.complete:
                filled = dict(value)
                for name, (default, inner) in fields.items():
                    if name not in filled:
                        filled[name] = copy.copy(default)
                    elif inner is not None:
                        filled[name] = inner.fill(filled[name])
                # (Every documented field is there now: more means undocumented ones.)
                return filled if len(filled) == len(fields) else _documented(filled, fields)
            # Only the fields given, of which few hold objects.
            documented = value.keys() <= fields.keys()  # (nothing else: the usual answer)
            nested = self._nested() & value.keys()
            if documented and not nested:
                return value
            filled = dict(value) if documented else _documented(value, fields)
            for name in nested:
                filled[name] = fields[name][1].fill(filled[name])  # type: ignore[union-attr]
            return filled
        if isinstance(value, list) and self.items is not None:
            return [self.items.fill(item) for item in value]
        return value

    def _nested(self) -> frozenset[str]:
        # (Worked out on first use: a definition's shape gets its fields after it is made.)
        if self.nested is None:
            self.nested = frozenset(name for name, (_, inner) in self.fields.items() if inner)
        return self.nested


def _documented(value: dict, fields: dict) -> dict:
    return {name: given for name, given in value.items() if name in fields}


class ResponseCompleter:
    """Adds to a response body the fields its schema documents and it lacks."""

    def __init__(self, schema: dict) -> None:
        self._definitions = schema.get("$defs", {})
        self._built: dict[tuple[str, bool], _Shape | None] = {}
        self._shape = self._build(schema)

    def __call__(self, body: object) -> object:
        return body if self._shape is None else self._shape.fill(body)

    def _build(self, schema: dict, complete: bool = True) -> _Shape | None:
        reference = schema.get("$ref")
        if reference is not None:
            name = reference.rsplit("/", 1)[-1]
            key = (name, complete)
            if key not in self._built:
                # Entered before it is built, as definitions may refer to themselves.
                shape = self._built[key] = _Shape(complete=complete)
                built = self._build(self._definitions.get(name, {}), complete)
                if built is None:
                    self._built[key] = None
                else:
                    shape.fields, shape.items = built.fields, built.items
            return self._built[key]
        properties = schema.get("properties")
        if properties:
            if all(name.startswith("@") for name in properties):
                return None
            shape = _Shape(complete=complete)
            for name, sub in properties.items():
                shape.fields[name] = (sub.get("default"), self._build(sub, complete))
            return shape
        if "items" in schema:
            items = self._build(schema["items"], complete)
            return _Shape(items=items, complete=complete) if items is not None else None
        # An object that may be null (``anyOf: [{"$ref": ...}, {"type": "null"}]``), such
        # as a task's config: its fields are what was set, only the undocumented left out.
        branches = schema.get("anyOf")
        if isinstance(branches, list):
            shapes = [self._build(branch, False) for branch in branches if isinstance(branch, dict)]
            found = [shape for shape in shapes if shape is not None]
            if len(found) == 1:
                return found[0]
        return None
