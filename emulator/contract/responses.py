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

from emulator.contract.schema_positions import (
    ANNOTATIONS,
    fields_in_one_place,
    is_attribute_bag,
)


@dataclass
class _Shape:
    """The documented fields of one object (with their defaults) and of its array items.

    ``complete``: absent fields are added (not within an object that may be null);
    ``prune``: undocumented fields are left out (only where the object is described in
    one place: beside ``allOf``, a pattern or open ``additionalProperties`` other fields
    may be documented too).
    """

    fields: dict[str, tuple[object, _Shape | None]] = field(default_factory=dict)
    items: _Shape | None = None
    complete: bool = True
    prune: bool = True
    _nested: frozenset[str] | None = field(default=None, init=False, repr=False)

    def fill(self, value: object) -> object:
        """A filled copy of ``value``; what it shares with the domain's records is not
        changed."""
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
                if self.prune and len(filled) > len(fields):
                    return _documented(filled, fields)
                return filled
            # Only the fields given, of which few hold objects.
            documented = not self.prune or value.keys() <= fields.keys()
            nested = self.nested() & value.keys()
            if documented and not nested:
                return value
            filled = dict(value) if documented else _documented(value, fields)
            for name in nested:
                filled[name] = fields[name][1].fill(filled[name])  # type: ignore[union-attr]
            return filled
        if isinstance(value, list) and self.items is not None:
            return [self.items.fill(item) for item in value]
        return value

    def nested(self) -> frozenset[str]:
        """The fields that hold objects of a shape (worked out on first use: a
        definition's shape gets its fields after it is made)."""
        if self._nested is None:
            self._nested = frozenset(name for name, (_, inner) in self.fields.items() if inner)
        return self._nested


def _documented(value: dict, fields: dict) -> dict:
    return {name: given for name, given in value.items() if name in fields}


class ResponseCompleter:
    """Completes a response body to the fields its schema documents: adds those it lacks,
    leaves out those the schema does not list."""

    def __init__(self, schema: dict) -> None:
        self._definitions = schema.get("$defs", {})
        self._built: dict[tuple[str, bool, bool], _Shape | None] = {}
        self._shape = self._build(schema)

    def __call__(self, body: object) -> object:
        return body if self._shape is None else self._shape.fill(body)

    def _build(self, schema: dict, complete: bool = True, prune: bool = True) -> _Shape | None:
        reference = schema.get("$ref")
        if reference is not None:
            name = reference.rsplit("/", 1)[-1]
            # (Fields beside the reference describe the object too: none is left out.)
            key = (name, complete, prune and schema.keys() <= ANNOTATIONS | {"$ref"})
            if key not in self._built:
                # Entered before it is built, as definitions may refer to themselves.
                shape = self._built[key] = _Shape(complete=complete, prune=key[2])
                built = self._build(self._definitions.get(name, {}), complete, key[2])
                if built is None:
                    self._built[key] = None
                else:
                    shape.fields, shape.items = built.fields, built.items
                    shape.prune = built.prune
            return self._built[key]
        properties = schema.get("properties")
        if properties:
            if is_attribute_bag(schema):
                return None
            shape = _Shape(complete=complete, prune=prune and fields_in_one_place(schema))
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
