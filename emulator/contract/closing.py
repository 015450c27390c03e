"""Strict mode's copy of a schema: every documented object refuses undocumented fields.

Closing may only narrow what a schema accepts, so that strict mode never passes a body
lenient mode (the schema as written) refuses, and refuses no field the schema describes.
So a schema is closed where it describes a whole value (the root, a field's value, an
array's items, ...), and nothing is closed inside ``not``, ``if`` or a ``oneOf`` branch,
where a narrower part can make the whole accept more:

- an object whose fields are described in one place gets ``additionalProperties: false``
  (the fast path's generated code checks it);
- one described in parts (``allOf``; ``oneOf``; ``anyOf`` beside fields of its own;
  ``if``/``then``/``else``; ``dependentSchemas``; a ``$ref`` that is not the whole
  description) gets ``unevaluatedProperties: false``, and its parts stay open: a field
  that any part that applies describes is documented, and so is a field an ``if`` tests;
- values inside are closed in turn, unless another part, or another keyword of the same
  schema (a pattern matching a field's name, ``contains`` beside ``items``), describes
  the same value too: those descriptions stay as written;
- ``anyOf`` alone, with at most one of its schemas describing fields, lists whole
  alternatives (``[{"$ref": ...}, {"type": "null"}]``): each is closed as a value.

A ``$defs`` entry is closed as a value when every reference to it describes a whole value
(``{"$ref": ...}`` alone where a value sits), as a part when some reference uses it as one,
and left as written when it is referenced where closing could widen.
"""

from __future__ import annotations

import copy
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from emulator.contract.schema_positions import (
    ANY_FIELD_KEYWORDS,
    PART_KEYWORDS,
    definition_name,
    is_attribute_bag,
    parts_of,
    with_subschemas_at,
)

log = logging.getLogger("emulator.contract")

# How a schema is read: as a whole value's description, as one part of one, or as
# written (closing inside could widen what the schema accepts). Ordered: a definition
# referenced in two ways is read the lower way.
AS_WRITTEN, PART, VALUE = 0, 1, 2
# Of the keywords holding parts (PART_KEYWORDS), those whose schemas are closed as parts
# (closing an "if" or a "oneOf" branch could let more bodies through: fewer matches of
# oneOf, another branch taken).
_CLOSABLE_PARTS = frozenset({"allOf", "anyOf", "then", "else", "dependentSchemas"})
# Keywords describing an object's fields or an array's items, by what they describe: a
# named field, any field, any item ("slots" of a value, for telling parts that overlap).
_ANY_ITEM = frozenset({"items", "prefixItems", "unevaluatedItems", "contains"})
_NEVER_CLOSED = frozenset({"not", "if", "propertyNames", "$defs"})
ALL_FIELDS = ("*",)
PATTERNS = ("~",)  # (every patternProperties schema: two of them may match one name)
ITEMS = ("[]",)
# Schema nodes a closing may walk in all (definitions are walked again when read another
# way): past it the schema is served as written, unclosed, with a warning in the log.
MAX_CLOSING_STEPS = 1_000_000
_IMMUTABLE = (str, int, float, bool, type(None))


class _TooLarge(Exception):
    pass


class _NotPlain(Exception):
    """A reference not to one of the schema's ``$defs`` by plain name."""


@dataclass
class _Reading:
    """How each definition is read, and which of its slots other parts share."""

    way: dict[str, int]
    shared: dict[str, frozenset] = field(default_factory=dict)


def closed(schema: dict, *, open_bags: bool = False) -> dict:
    """A copy of ``schema`` in which every documented object refuses undocumented fields
    (but attribute bags, when ``open_bags``).

    ``open_bags``: attribute bags (objects whose documented fields are all ``@``-named
    attributes: label properties, sample metadata) stay open, as answers read them: they
    carry the attributes that were set, an auto-grouping's result among them.

    A schema with a reference that is not to one of its ``$defs`` by plain name is left
    as written: where its target is used cannot be told here (the contract loader refuses
    such references).
    """
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)
    try:
        return _Closing(schema, open_bags).run()
    except _NotPlain:
        return copy.deepcopy(schema)
    except (_TooLarge, RecursionError):
        log.warning(
            "schema %s: too large to close; strict mode reads it as written",
            schema.get("title") or "(untitled)",
        )
        return copy.deepcopy(schema)


class _Closing:
    def __init__(self, schema: dict, open_bags: bool) -> None:
        self.root = schema
        self.open_bags = open_bags
        definitions = schema.get("$defs")
        self.definitions: dict = definitions if isinstance(definitions, dict) else {}
        self.reading = _Reading(way=dict.fromkeys(self.definitions, VALUE))
        self.steps_left = MAX_CLOSING_STEPS
        self.slots_memo: dict[str, frozenset] = {}
        self.uses: list[tuple[str, int, frozenset]] = []
        self.data: Callable[[object], object] = _copied

    def run(self) -> dict:
        # How each definition is read depends on how it is referenced, from the root and
        # from definitions (read in their own way). Most schemas read every definition as
        # a whole value, as it was first taken: then the first copies stand.
        copied = cast(dict, self._copy(self.root, VALUE, frozenset()))
        definitions = {name: self._copy_definition(name) for name in self.definitions}
        pending: deque[str] = deque()
        self._settle(pending)
        if pending:
            self.data = _unchanged  # (walks that only find references: nothing is copied)
            while pending:
                self._copy_definition(pending.popleft())
                self._settle(pending)
            self.data = _copied
            copied = cast(dict, self._copy(self.root, VALUE, frozenset()))
            definitions = {name: self._copy_definition(name) for name in self.definitions}
        if definitions:
            copied["$defs"] = definitions
        return copied

    def _settle(self, pending: deque) -> None:
        uses, self.uses = self.uses, []
        for name, way, shared in uses:
            if name not in self.definitions:
                continue
            old = (self.reading.way[name], self.reading.shared.get(name, frozenset()))
            new = (min(old[0], way), old[1] | shared)
            if new != old:
                self.reading.way[name], self.reading.shared[name] = new
                pending.append(name)

    def _copy_definition(self, name: str) -> object:
        shared = self.reading.shared.get(name, frozenset())
        return self._copy(self.definitions[name], self.reading.way[name], shared)

    def _step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _TooLarge

    def _copy(self, node: object, way: int, shared: frozenset) -> object:
        self._step()
        if not isinstance(node, dict):
            return self.data(node)
        target = definition_name(node.get("$ref"))
        if "$ref" in node and target not in self.definitions:
            raise _NotPlain
        if way == AS_WRITTEN:
            self._use(target, AS_WRITTEN, frozenset())
            return with_subschemas_at(
                node,
                lambda _keyword, _name, item: self._copy(item, AS_WRITTEN, frozenset()),
                data=self.data,
            )
        form = "part" if way == PART else self._value_form(node, target)
        shared = shared | _own_overlaps(node)
        if form in ("part", "parts"):
            shared = shared | self._shared_slots(node)
        self._use(target, VALUE if form == "reference" else PART, shared)

        def child(keyword: str, name: object, item: object) -> object:
            if keyword == "$defs" and node is self.root:
                return item  # (copied on their own, each read as its references read it)
            way = self._child_way(node, form, keyword, name, shared)
            return self._copy(item, way, shared if way == PART else frozenset())

        result = with_subschemas_at(node, child, data=self.data)
        if result.keys() & {"additionalProperties", "unevaluatedProperties"}:
            return result
        if self.open_bags and is_attribute_bag(node):
            return result
        self._document_condition_fields(node, result)
        if form == "whole" and "properties" in result:
            result["additionalProperties"] = False
        elif form == "parts" and self._has_open_fields(node, set()):
            result["unevaluatedProperties"] = False
        return result

    def _document_condition_fields(self, node: dict, result: dict) -> None:
        """Fields an ``if`` describes are documented whether or not it holds (a field that
        decides which branch applies): each becomes a field of ``node`` taking any value,
        so that ``unevaluatedProperties`` counts it."""
        if "if" not in node:
            return
        own = result.get("properties")
        if own is not None and not isinstance(own, dict):
            return
        names = [slot[1] for slot in self._slots(node["if"]) if slot[0] == "properties"]
        added = {name: True for name in names if name not in (own or {})}
        if added:
            result["properties"] = {**(own or {}), **added}

    def _value_form(self, node: dict, target: str | None) -> str:
        """How a value's description is laid out: in one place, as a reference to a
        definition describing it whole, as alternatives (``anyOf`` alone, at most one of
        its schemas describing fields) or in parts."""
        parts = node.keys() & PART_KEYWORDS
        if not parts and "$ref" not in node:
            return "whole"
        own_slots = _own_slots(node)
        if (
            not parts
            and target is not None
            and self.reading.way.get(target) == VALUE
            and not own_slots
        ):
            return "reference"
        if parts == {"anyOf"} and "$ref" not in node and not own_slots:
            branches = node["anyOf"] if isinstance(node["anyOf"], list) else [node["anyOf"]]
            describing = [branch for branch in branches if _describes_fields(self._slots(branch))]
            if len(describing) <= 1:
                return "alternatives"
        return "parts"

    def _use(self, target: str | None, way: int, shared: frozenset) -> None:
        if target is not None:
            self.uses.append((target, way, shared if way == PART else frozenset()))

    @staticmethod
    def _child_way(node: dict, form: str, keyword: str, name: object, shared: frozenset) -> int:
        if keyword in _NEVER_CLOSED or keyword == "oneOf":
            return AS_WRITTEN
        if keyword == "contains" and "maxContains" in node:
            return AS_WRITTEN  # (fewer matching items could then pass)
        if keyword in _CLOSABLE_PARTS:
            return VALUE if form == "alternatives" else PART
        if keyword == "properties":
            overlapping = ("properties", name) in shared or ALL_FIELDS in shared
        elif keyword == "patternProperties":
            overlapping = PATTERNS in shared or _describes_fields(shared)
        elif keyword in ANY_FIELD_KEYWORDS:
            overlapping = _describes_fields(shared)
        else:
            overlapping = ITEMS in shared
        return AS_WRITTEN if overlapping else VALUE

    def _shared_slots(self, node: dict) -> frozenset:
        """Slots of the value that two or more of ``node``'s parts describe."""
        described = [frozenset(_own_slots(node))]
        described.extend(self._slots(part) for part in parts_of(node))
        if "$ref" in node:
            described.append(self._reference_slots(node["$ref"], frozenset()))
        counts: dict[tuple, int] = {}
        for slots in described:
            for slot in slots:
                counts[slot] = counts.get(slot, 0) + 1
        shared = {slot for slot, count in counts.items() if count > 1}
        describing_fields = sum(_describes_fields(slots) for slots in described)
        if ALL_FIELDS in counts and describing_fields > 1:
            shared.add(ALL_FIELDS)
        return frozenset(shared)

    def _slots(self, node: object, within: frozenset = frozenset()) -> frozenset:
        """The slots ``node`` and the parts inside it describe."""
        self._step()
        if not isinstance(node, dict):
            return frozenset()
        slots = set(_own_slots(node))
        for part in parts_of(node):
            slots |= self._slots(part, within)
        if "$ref" in node:
            slots |= self._reference_slots(node["$ref"], within)
        return frozenset(slots)

    def _reference_slots(self, reference: object, within: frozenset) -> frozenset:
        name = definition_name(reference)
        if name is None or name not in self.definitions:
            return frozenset({ALL_FIELDS, ITEMS})  # (what it describes is not known here)
        if name in within:
            return frozenset()
        if name not in self.slots_memo:
            self.slots_memo[name] = self._slots(self.definitions[name], within | {name})
        return self.slots_memo[name]

    def _has_open_fields(self, node: object, seen: set[str]) -> bool:
        """Whether ``node`` or a part of it describes fields without closing them itself."""
        self._step()
        if not isinstance(node, dict):
            return False
        if "properties" in node and not node.keys() & {
            "additionalProperties",
            "unevaluatedProperties",
        }:
            return True
        if any(self._has_open_fields(part, seen) for part in parts_of(node)):
            return True
        name = definition_name(node.get("$ref"))
        if name is not None and name in self.definitions and name not in seen:
            seen.add(name)
            return self._has_open_fields(self.definitions[name], seen)
        return False


def _unchanged(value: object) -> object:
    return value


def _copied(value: object) -> object:
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


def _describes_fields(slots: frozenset) -> bool:
    return any(slot == ALL_FIELDS or slot[0] == "properties" for slot in slots)


def _own_overlaps(node: dict) -> frozenset:
    """Slots two keywords of ``node`` itself describe: a field a pattern also matches (or
    any name, for two patterns), items ``contains`` also describes."""
    slots: set[tuple] = set()
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and patterns:
        if len(patterns) > 1:
            slots.add(PATTERNS)
        names = node.get("properties")
        for name in names if isinstance(names, dict) else ():
            if any(_may_match(pattern, name) for pattern in patterns):
                slots.update({("properties", name), PATTERNS})
    if "contains" in node and node.keys() & {"items", "prefixItems"}:
        slots.add(ITEMS)
    return frozenset(slots)


def _may_match(pattern: str, name: str) -> bool:
    try:  # (jsonschema matches patternProperties names with re, as written)
        return re.search(pattern, name) is not None
    except (re.error, TypeError):
        return True


def _own_slots(node: dict) -> list[tuple]:
    slots: list[tuple] = []
    names = node.get("properties")
    if isinstance(names, dict):
        slots.extend(("properties", name) for name in names)
    if any(isinstance(node.get(keyword), dict) for keyword in ANY_FIELD_KEYWORDS):
        slots.append(ALL_FIELDS)
    if node.keys() & _ANY_ITEM:
        slots.append(ITEMS)
    return slots
