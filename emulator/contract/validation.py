"""Validate payloads the way the service does (lenient) or the way the contract reads (strict).

Lenient mode mirrors the service: unknown fields are ignored and numeric or boolean
strings pass where the table says Integer, Long, Float, Double or Boolean (the value is
converted in place). Strict mode refuses both: it validates with exactly the schema
``/openapi.json`` publishes (``closed``). Every violation is reported with the field's
JSON path, what was expected and what came.

``pattern`` is matched as ECMA-262 reads it, as JSON Schema says: ``$`` ends the string
(Python's ``$`` also matches before a final newline) and classes are ASCII. A payload
that passes is completed, when the validator was made with ``complete_accepted``: the
schema's documented ``default`` for every absent field, and a whole number written with a
fraction (``2.0``) made an integer where the schema admits only integers.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
import marshal
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import fastjsonschema
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry

from emulator.contract.closing import closed
from emulator.contract.schema_positions import (
    ANNOTATIONS,
    ANY_FIELD_KEYWORDS,
    NEWER_THAN_DRAFT_7,
    PART_KEYWORDS,
    definition_name,
    fields_in_one_place,
    is_attribute_bag,
    parts_of,
    schema_nodes,
    with_subschemas,
)
from emulator.contract.step_budget import (
    OutOfSteps,
    counted_validator,
    step_budget,
    take_steps,
)

try:  # (jsonschema's own, not public: without them its one message lists unknown fields)
    from jsonschema._keywords import unevaluatedProperties as _jsonschema_unevaluated
    from jsonschema._utils import find_evaluated_property_keys_by_schema
except ImportError:  # pragma: no cover
    find_evaluated_property_keys_by_schema = None

log = logging.getLogger("emulator.contract")
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}
_COERCIBLE = {"integer", "number", "boolean"}
# Number text a lenient field converts: a sign, ASCII digits, a point and an exponent, as
# number parsers of other languages read it (not Python's "1_000" or Arabic-Indic digits).
# Written so that no text can be matched two ways (``[0-9]+\.?[0-9]*`` could: refusing
# 40,000 digits and an "x" took 38 s).
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INTEGER_TEXT = re.compile(r"[-+]?[0-9]+")
_SHOWN_VALUE_LENGTH = 60
# Outcomes remembered per validator: contract tests send the same bodies again and again,
# and explaining a refusal (jsonschema) is most of the refusal path's cost, as checking a
# body and filling its defaults is a third of the accept path's. Bounded in count, in size
# of the body they are remembered by and in size of what is kept for an accepted body.
MAX_REMEMBERED_OUTCOMES = 128
MAX_REMEMBERED_SOURCE_BYTES = 4096
MAX_REMEMBERED_PAYLOAD_BYTES = 4096
# A refusal names this many violations, then says how many more there were: a 4 KiB body
# can break a rule two thousand times, and its message (kept, logged, journaled) would be
# a hundred kilobytes. With the limits above a validator keeps at most about 3 MiB.
MAX_LISTED_VIOLATIONS = 100
# Keyword checks one explanation may make. jsonschema spends microseconds on each (tens
# on an object), and a body refused by the fast path is walked in full to explain it: 12 MB
# of small objects took half a minute. This many is one or two seconds at most (large
# bodies are checked off the event loop: emulator/api/payloads.py), and a body of about
# ten thousand items (a few hundred kilobytes).
MAX_EXPLAIN_STEPS = 200_000
_IMMUTABLE = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Violation:
    """One field that broke the contract."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@functools.lru_cache(maxsize=256)
def _compiled(schema_text: str) -> Callable[[object], object]:
    """fastjsonschema's compiled check for a schema (memoised: compiling takes ~0.1 s).

    It must not fill defaults itself (``use_default``): that would happen only on the
    fast path, and to response bodies too. Nor does it explain (jsonschema does): without
    ``detailed_exceptions`` the generated code is half the size and compiles 2-3x faster.
    """
    schema = json.loads(schema_text)
    schema.pop("$schema", None)
    schema.pop("$id", None)
    if any(
        NEWER_THAN_DRAFT_7 & node.keys() or ("$ref" in node and node.keys() - _REFERENCE_ONLY)
        for node in schema_nodes(schema)
    ):
        # Its code would let those keywords' violations through; and it reads a schema as
        # draft 7 does, where "$ref" makes the keywords beside it be ignored.
        return _jsonschema_decides
    try:
        return fastjsonschema.compile(schema, use_default=False, detailed_exceptions=False)
    except Exception as error:  # a shape its code generator does not take
        log.warning(
            "schema %s: no generated check (%s: %s); jsonschema checks every payload",
            schema.get("title") or schema_text[:60],
            type(error).__name__,
            error,
        )
        return _jsonschema_decides


def _jsonschema_decides(payload: object) -> None:
    raise fastjsonschema.JsonSchemaException("not checked by generated code")


@functools.lru_cache(maxsize=1024)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema ``pattern`` compiled to match as ECMA-262 does (no ``m`` or ``u`` flag)."""
    converted: list[str] = []
    in_class = escaped = False
    for character in pattern:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "$":
            character = r"\Z"
        converted.append(character)
    return re.compile("".join(converted), re.ASCII)


def _pattern(validator, pattern: str, instance: object, schema: dict) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Put where references were written out, with how many: jsonschema counted a step for
# each reference it followed (the explanation's budget); it counts one for this keyword,
# which takes the others and checks nothing else.
_WRITTEN_OUT = "$writtenOutRef"


def _written_out_reference(
    validator: object, value: object, instance: object, schema: dict
) -> Iterator[ValidationError]:
    if isinstance(value, int) and value > 1:
        take_steps(value - 1)
    return iter(())


_ANY_NAME: frozenset[str] = frozenset({"*"})  # (any field name may be described)


def _unevaluated_properties(
    validator, value: object, instance: object, schema: dict
) -> Iterator[ValidationError]:
    # Strict mode's closing puts "false" here (emulator/contract/closing.py); jsonschema
    # would name every unknown field in one message, and call a field unknown that a part
    # describes but which failed that part.
    if value is not False or not validator.is_type(instance, "object"):
        yield from _jsonschema_unevaluated(validator, value, instance, schema)
        return
    evaluated = set(find_evaluated_property_keys_by_schema(validator, instance, schema))
    unevaluated = [name for name in instance if name not in evaluated]
    if not unevaluated:
        return
    described = _described_fields(validator, schema, set())
    rest: bool | None = None
    for name in unevaluated:
        if described is not _ANY_NAME and name not in described:
            yield ValidationError("unknown field", path=(name,))
            continue
        if rest is None:  # (when the rest fails, it says why: the field's part failed)
            others = {key: item for key, item in schema.items() if key != "unevaluatedProperties"}
            rest = validator.evolve(schema=others).is_valid(instance)
        if rest:
            yield ValidationError(
                "field described only by a part of the schema this body does not meet",
                path=(name,),
            )


def _described_fields(validator, schema: object, seen: set[int]) -> frozenset[str]:
    """The field names ``schema`` and its parts describe (``_ANY_NAME``: any name)."""
    if not isinstance(schema, dict) or id(schema) in seen:
        return frozenset()
    seen.add(id(schema))
    if any(isinstance(schema.get(key), dict) for key in ANY_FIELD_KEYWORDS):
        return _ANY_NAME
    properties = schema.get("properties")
    names = set(properties) if isinstance(properties, dict) else set()
    parts = parts_of(schema)
    if "$ref" in schema:
        try:
            parts.append(validator._resolver.lookup(schema["$ref"]).contents)
        except Exception:  # (a reference it cannot follow here: any name may be described)
            return _ANY_NAME
    for part in parts:
        found = _described_fields(validator, part, seen)
        if found is _ANY_NAME:
            return _ANY_NAME
        names |= found
    return frozenset(names)


_OWN_KEYWORDS = {"pattern": _pattern, _WRITTEN_OUT: _written_out_reference}
if find_evaluated_property_keys_by_schema is not None:
    _OWN_KEYWORDS["unevaluatedProperties"] = _unevaluated_properties
ContractValidator = counted_validator(validators.extend(Draft202012Validator, _OWN_KEYWORDS))


class PayloadValidator:
    """Lenient and strict validators for one schema document.

    Valid payloads take the fast path: code generated by fastjsonschema, about thirty
    times quicker than jsonschema. It is compiled on first use (or ahead of time by
    ``compile_fast``); anything it refuses goes to jsonschema, which decides, converts
    lenient strings and explains every violation.
    """

    def __init__(
        self,
        schema: dict,
        registry: Registry | None = None,
        *,
        complete_accepted: bool = False,
        drop_undocumented: bool = False,
        open_bags: bool = False,
    ) -> None:
        """``drop_undocumented``: completing an accepted payload also drops the fields its
        nested objects' schemas do not list (lenient mode ignores them, as the service
        does); ``open_bags``: strict mode leaves attribute bags open (``closing.closed``),
        as for answers."""
        self._registry = registry or Registry()
        self.schema = schema
        self.complete_accepted = complete_accepted
        self.drop_undocumented = drop_undocumented
        self.open_bags = open_bags
        self._text = json.dumps(schema, sort_keys=True)
        # Made when a mode first needs them (most apps never see strict mode or a refusal).
        self._explainers: dict[bool, Draft202012Validator] = {}
        self._fast: dict[bool, Callable[[object], object]] = {}
        # A refusal's violations (a tuple), or an accepted payload as marshal bytes.
        self._outcomes: dict[tuple[bool, object], tuple[Violation, ...] | bytes] = {}
        self._completion: _Completion | None = None

    def compile_fast(self, *, strict: bool) -> None:
        self._fast[strict] = _compiled(self._schema_text(strict))

    def _schema_text(self, strict: bool) -> str:
        return _closed_text(self._text, self.open_bags) if strict else self._text

    def _explainer(self, strict: bool) -> Draft202012Validator:
        found = self._explainers.get(strict)
        if found is None:
            # (A node's violations are listed in the order of its keywords: as written in
            # lenient mode, in the closed schema's order in strict mode.)
            text = _closed_text(self._text, self.open_bags) if strict else json.dumps(self.schema)
            made = ContractValidator(_explaining(text), registry=self._registry)
            found = self._explainers.setdefault(strict, made)  # (one wins if threads race)
        return found

    def _passes_fast(self, payload: object, strict: bool) -> bool:
        check = self._fast.get(strict)
        if check is None:
            check = self._fast[strict] = _compiled(self._schema_text(strict))
        try:
            check(payload)
        except fastjsonschema.JsonSchemaException:
            return False
        except Exception:  # (RecursionError; a shape the generated code mishandles)
            return False  # jsonschema decides
        return True

    def validate(
        self, payload: object, *, strict: bool, source: tuple | None = None
    ) -> list[Violation]:
        """Violations of ``payload``; in lenient mode coercible strings are converted in place.

        A payload without violations is also completed (when ``complete_accepted``: see the
        module text). ``source``, hashable and ending with the raw body the payload was
        parsed from, names the payload for ``remembered``.
        """
        violations = self._check(payload, strict)
        if not violations and self.complete_accepted:
            if self._completion is None:
                self._completion = self._completion_for(self.schema)
            _complete(payload, self._completion)
        if _rememberable(source):
            if violations:
                self._remember(strict, source, tuple(violations))
            else:
                try:
                    kept = marshal.dumps(payload)
                except ValueError:  # nested deeper than marshal goes: not remembered
                    kept = None
                if kept is not None and len(kept) <= MAX_REMEMBERED_PAYLOAD_BYTES:
                    self._remember(strict, source, kept)
        return violations

    def _completion_for(self, schema: dict) -> _Completion:
        # The root's own undocumented fields stay: the service reads some the request
        # tables leave out (a task start's type and export_type).
        drops = self.drop_undocumented and not _composed(schema)
        plan = _completion_plan(schema, schema.get("$defs", {}), {}, drops=drops)
        if plan is not None and plan.drops:
            plan.drops = False  # (a fresh plan: nothing else shares the root's)
        return plan or _Completion()

    def _remember(self, strict: bool, source: tuple, outcome: tuple | bytes) -> None:
        """Keep ``outcome``; the oldest goes when full. Apps of one process share a
        contract, so two threads may evict at once: the one that comes second skips."""
        if len(self._outcomes) >= MAX_REMEMBERED_OUTCOMES:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del self._outcomes[next(iter(self._outcomes))]
        self._outcomes[(strict, source)] = outcome

    def remembered(
        self, source: tuple | None, *, strict: bool
    ) -> tuple[list[Violation], object] | None:
        """What became of the payload ``source`` names when it was validated before, if it
        was: ``(violations, None)`` for a refusal, ``([], payload)`` for an acceptance (the
        payload converted and filled as then, a new copy the caller may change).

        The payload comes back by ``marshal``: one call that builds the copy, where parsing
        and checking the body again cost a third of a task start.
        """
        if not self._outcomes or not _rememberable(source):
            return None  # (a large body is not even hashed)
        known = self._outcomes.get((strict, source))
        if known is None:
            return None
        if type(known) is bytes:
            return [], marshal.loads(known)
        return list(known), None

    def _check(self, payload: object, strict: bool) -> list[Violation]:
        if self._passes_fast(payload, strict):
            return []
        try:
            return self._explained(payload, strict)
        except RecursionError:  # jsonschema walks nesting that JSON parsing just allowed
            return [Violation("$", "nested too deeply to check")]

    def _explained(self, payload: object, strict: bool) -> list[Violation]:
        """The violations jsonschema finds within ``MAX_EXPLAIN_STEPS``; past them the
        payload is refused with those found so far (the fast path refused it already;
        in lenient mode it may have needed only conversions: that large, it is refused)."""
        with step_budget(MAX_EXPLAIN_STEPS):
            validator = self._explainer(strict)
            errors: list[ValidationError] = []
            complete = _collect(validator.iter_errors(payload), errors)
            if not strict:
                if complete and not errors:
                    return []
                converted = [_coerce(payload, error) for error in errors]  # every one
                if not complete:  # refused: no violation where a value was converted
                    pairs = zip(errors, converted, strict=True)
                    done = {tuple(error.absolute_path) for error, was in pairs if was}
                    errors = [e for e in errors if tuple(e.absolute_path) not in done]
                elif any(converted):
                    errors = []
                    complete = _collect(validator.iter_errors(payload), errors)
        violations = _violations(errors)
        if not complete:
            violations.append(
                Violation("$", f"not checked past {MAX_EXPLAIN_STEPS:,} schema checks")
            )
        return violations


def _collect(errors: Iterator[ValidationError], into: list[ValidationError]) -> bool:
    """Append ``errors`` to ``into``; False when the explanation ran out of steps."""
    try:
        for error in errors:
            into.append(error)
    except OutOfSteps:
        return False
    return True


def _rememberable(source: tuple | None) -> bool:
    return (
        source is not None
        and isinstance(source[-1], bytes)
        and len(source[-1]) <= MAX_REMEMBERED_SOURCE_BYTES
    )


class _Completion:
    """What completing an accepted payload does at one schema node, worked out once per
    schema: the documented defaults of absent fields, and whole numbers written with a
    fraction (``2.0``, an integer to JSON Schema) made integers where the schema allows
    only integers, as the service's typed fields read them. The accept path then walks
    only the branches that hold such a field somewhere below (a schema of forty fields
    with two defaults costs two lookups, not forty). Only objects the payload holds are
    filled: an absent nested object stays absent."""

    __slots__ = (
        "children",
        "defaults",
        "drops",
        "extra",
        "integers",
        "items",
        "names",
        "whole_extra",
        "whole_items",
    )

    def __init__(self) -> None:
        self.defaults: tuple[tuple[str, object, bool], ...] = ()
        self.integers: tuple[str, ...] = ()
        self.children: tuple[tuple[str, _Completion], ...] = ()
        self.names: frozenset[str] = frozenset()
        self.extra: _Completion | None = None
        self.items: _Completion | None = None
        self.whole_items = False
        self.whole_extra = False
        self.drops = False

    def empty(self) -> bool:
        return not (
            self.defaults
            or self.integers
            or self.children
            or self.extra
            or self.items
            or self.whole_items
            or self.whole_extra
            or self.drops
        )


def _resolved(node: object, defs: dict) -> dict:
    for _ in range(len(defs) + 1):  # (a reference to a reference; the loader refuses loops)
        name = definition_name(node.get("$ref")) if isinstance(node, dict) else None
        if name is None:
            break
        node = defs.get(name, {})
    return node if isinstance(node, dict) else {}


def _integers_only(node: object, defs: dict) -> bool:
    """Whether the only numbers ``node`` admits are integers (``anyOf`` an integer or null
    included)."""
    node = _resolved(node, defs)
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    if kinds:
        return "integer" in kinds and "number" not in kinds
    branches = node.get("anyOf", node.get("oneOf"))
    if not isinstance(branches, list) or not branches:
        return False
    kinds = [_resolved(branch, defs).get("type") for branch in branches]
    return "integer" in kinds and all(kind in ("integer", "null") for kind in kinds)


def _completion_plan(
    node: dict, defs: dict, memo: dict[int, _Completion], *, drops: bool
) -> _Completion | None:
    """The plan for ``node``, or None when nothing below it has a default or an integer
    (or, when ``drops``, an object whose undocumented fields are dropped)."""
    node = _resolved(node, defs)
    if id(node) in memo:  # a recursive schema refers back to a node being planned
        return memo[id(node)]
    plan = memo[id(node)] = _Completion()
    properties = node.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    plan.names = frozenset(properties)
    plan.drops = drops and bool(properties) and fields_in_one_place(node)
    plan.drops = plan.drops and not is_attribute_bag(node)
    plan.defaults = tuple(
        (name, child["default"], isinstance(child["default"], _IMMUTABLE))
        for name, child in properties.items()
        if isinstance(child, dict) and "default" in child
    )
    plan.integers = tuple(name for name, child in properties.items() if _integers_only(child, defs))
    children = (
        (name, _completion_plan(child, defs, memo, drops=drops))
        for name, child in properties.items()
    )
    plan.children = tuple((name, child) for name, child in children if child is not None)
    if isinstance(node.get("additionalProperties"), dict):
        plan.extra = _completion_plan(node["additionalProperties"], defs, memo, drops=drops)
        plan.whole_extra = _integers_only(node["additionalProperties"], defs)
    if isinstance(node.get("items"), dict):
        plan.items = _completion_plan(node["items"], defs, memo, drops=drops)
        plan.whole_items = _integers_only(node["items"], defs)
    return None if plan.empty() else plan


def _composed(schema: dict) -> bool:
    """Whether any object of ``schema`` has its fields described in parts (then no field
    is dropped anywhere: a part may document it)."""
    return any(
        node.keys() & PART_KEYWORDS or ("$ref" in node and node.keys() - _REFERENCE_ONLY)
        for node in schema_nodes(schema)
    )


def _complete(payload: object, plan: _Completion) -> None:
    if isinstance(payload, dict):
        if plan.drops and not payload.keys() <= plan.names:
            for name in [name for name in payload if name not in plan.names]:
                del payload[name]
        for name in plan.integers:
            if type(payload.get(name)) is float:  # (accepted: a whole number)
                payload[name] = int(payload[name])
        for name, child in plan.children:
            if name in payload:
                _complete(payload[name], child)
        for name, default, immutable in plan.defaults:
            if name not in payload:
                payload[name] = default if immutable else copy.deepcopy(default)
        if plan.whole_extra:
            for name, value in payload.items():
                if name not in plan.names and type(value) is float:
                    payload[name] = int(value)
        if plan.extra is not None:
            for name, value in payload.items():
                if name not in plan.names:
                    _complete(value, plan.extra)
    elif isinstance(payload, list):
        if plan.whole_items:
            payload[:] = [int(item) if type(item) is float else item for item in payload]
        if plan.items is not None:
            for item in payload:
                _complete(item, plan.items)


@functools.lru_cache(maxsize=256)
def _closed_text(text: str, open_bags: bool = False) -> str:
    """``closed`` of a schema given as JSON text, as JSON text (memoised: every app a test
    suite creates loads the same contract, and deep-copying it was most of that cost)."""
    return json.dumps(closed(json.loads(text), open_bags=open_bags))


# Nodes an explaining schema may have, in all, when its references are written out (a
# written-out schema is kept per validator: this many nodes is a few megabytes).
MAX_INLINED_NODES = 10_000
# A reference written out must be the node's only assertion (annotations may sit beside
# it), and its target must not start a resource of its own (a base URI or anchors).
_REFERENCE_ONLY = ANNOTATIONS | {"$ref"}
_RESOURCE_KEYWORDS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$schema"})
# Schemas kept as written: "$defs" for the references left (recursion), and the schemas a
# refusal's message prints ("should not be valid under {...}", "is valid under each of").
_AS_WRITTEN = frozenset({"$defs", "not", "oneOf"})


@functools.lru_cache(maxsize=256)
def _explaining(text: str) -> dict:
    """The schema of ``text`` as jsonschema walks it to explain a refusal: every local
    reference to one of its ``$defs``, where a schema sits (``schema_positions``; not under
    ``not`` or ``oneOf``, whose schemas messages print), written out in place (a
    definition met again within itself stays a reference; nothing inside a node with its
    own ``$id`` changes). Each reference jsonschema follows is a lookup and a new validator
    object; written out, an explanation makes neither, with the same steps of its budget
    and the same violations in the same order. A schema that would grow past
    ``MAX_INLINED_NODES`` is kept as it is.

    The schema returned is shared (memoised like ``_closed_text``): validators only read it.
    """
    schema = json.loads(text)
    definitions = schema.get("$defs")
    if not isinstance(definitions, dict):
        return schema
    nodes_left = MAX_INLINED_NODES

    def written_out(node: object, within: frozenset[str]) -> object:
        nonlocal nodes_left
        nodes_left -= 1
        if nodes_left < 0:
            raise OverflowError
        if not isinstance(node, dict) or (node is not schema and "$id" in node):
            return node
        name = definition_name(node.get("$ref"))
        target = definitions.get(name) if name else None
        if (
            isinstance(target, dict)
            and name not in within
            and node.keys() <= _REFERENCE_ONLY
            and not target.keys() & _RESOURCE_KEYWORDS
        ):
            written = cast(dict, written_out(target, within | {name}))
            references = written.pop(_WRITTEN_OUT, 0) + 1  # (a definition that is a reference)
            return {_WRITTEN_OUT: references, **written}
        # (Keywords stay in their order: violations are listed in it.)
        return with_subschemas(node, lambda item: written_out(item, within), kept=_AS_WRITTEN)

    try:
        return written_out(schema, frozenset())
    except (OverflowError, RecursionError):
        return json.loads(text)


def _coerce(payload: object, error: ValidationError) -> bool:
    """Convert a string at the error's path to the number or boolean the schema wants."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return False
    wanted = error.validator_value
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    value = _parse_scalar(error.instance.strip(), wanted & _COERCIBLE)
    if value is None or not error.absolute_path:
        return False
    *parents, last = error.absolute_path
    container = payload
    for key in parents:
        container = container[key]
    container[last] = value
    return True


def _parse_scalar(text: str, wanted: set[str]) -> int | float | bool | None:
    """The number or boolean ``text`` spells in ASCII (Python's ``int`` and ``float`` also
    take ``1_000`` and ``٣``; those stay strings, and so refused)."""
    if "boolean" in wanted and text in ("true", "false"):
        return text == "true"
    if "integer" in wanted and _INTEGER_TEXT.fullmatch(text):
        with contextlib.suppress(ValueError):  # past Python's 4,300 digits: not converted
            return int(text)
    if "number" in wanted:
        return number_from_text(text)
    return None


def number_from_text(text: str) -> float | None:
    """The finite number ``text`` spells in ASCII (sign, digits, point, exponent), else None."""
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    number = float(text)
    return number if abs(number) != float("inf") else None


def _violations(errors: Iterable[ValidationError]) -> list[Violation]:
    # jsonschema reports a "required" error per missing field, each naming the whole list:
    # every violation is listed once, the first MAX_LISTED_VIOLATIONS of them by name.
    found: dict[Violation, None] = {}
    for error in sorted(errors, key=_document_order):
        found.update(dict.fromkeys(_describe(error)))
    listed = list(found)
    if len(listed) > MAX_LISTED_VIOLATIONS:
        more = len(listed) - MAX_LISTED_VIOLATIONS
        listed = [*listed[:MAX_LISTED_VIOLATIONS], Violation("$", f"{more} more violations")]
    return listed


def _document_order(error: ValidationError) -> list[tuple[bool, object]]:
    # Items by index ([2] before [10]); names alphabetically. At one place a path holds
    # either names or indexes (an object or an array), so like is compared with like.
    return [(isinstance(part, int), part) for part in error.absolute_path]


def json_path(parts: Iterable[object]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(error: ValidationError) -> Iterator[Violation]:
    path = list(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        for name in sorted(set(instance) - known):
            yield Violation(json_path([*path, name]), "unknown field")
        return
    if keyword == "unevaluatedProperties" and error.validator_value is False:
        yield Violation(json_path(path), error.message)
        return
    if keyword in ("oneOf", "anyOf") and error.context:
        yield from _describe(best_match(error.context))
        return
    if keyword == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield Violation(json_path([*path, name]), "missing required field")
        return
    yield Violation(json_path(path), _reason(keyword, error.validator_value, instance, error))


def _reason(keyword: str, expected: object, instance: object, error: ValidationError) -> str:
    got = f"got {_type_name(instance)} {_show(instance)}"
    if keyword == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        return f"expected {wanted}, {got}"
    if keyword == "enum":
        return f"expected one of {_show(expected, limit=None)}, {got}"
    if keyword in ("minimum", "exclusiveMinimum"):
        sign = ">=" if keyword == "minimum" else ">"
        return f"expected a number {sign} {expected}, {got}"
    if keyword in ("maximum", "exclusiveMaximum"):
        sign = "<=" if keyword == "maximum" else "<"
        return f"expected a number {sign} {expected}, {got}"
    if keyword == "pattern":
        return f"expected a string matching {expected}, {got}"
    if keyword in ("minLength", "maxLength") and isinstance(instance, str):
        bound = "at least" if keyword == "minLength" else "at most"
        return f"expected {bound} {expected} characters, got {len(instance)}"
    if keyword in ("minItems", "maxItems") and isinstance(instance, list):
        bound = "at least" if keyword == "minItems" else "at most"
        return f"expected {bound} {expected} items, got {len(instance)}"
    return f"{error.message} ({keyword})"


def _type_name(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _show(value: object, limit: int | None = _SHOWN_VALUE_LENGTH) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text
