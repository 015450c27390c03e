"""What the emulator's domain can model, for a schemas folder of one's own.

The domain (datasets, tasks, samples) is written for the bundled contract: a task's
``config`` is an object, ``limit`` an integer with a default, ``task_type`` one of the
documented options. A folder of one's own (``--schemas-dir``) may admit more than that
(another type, an absent required field, a new option); such a body would reach code that
cannot take it. So bodies and queries the folder's contract admits are also checked
against the bundled contract's shapes: its types, required fields, options and defaults,
without the limits a folder may well loosen (lengths, ranges, patterns, formats).
"""

from __future__ import annotations

from emulator.contract.loader import Contract, Operation
from emulator.contract.schema_positions import with_subschemas
from emulator.contract.validation import PayloadValidator, Violation

# Keywords of a shape: what the domain's code relies on.
_SHAPE_KEYWORDS = frozenset(
    {
        "$defs",
        "$id",
        "$ref",
        "$schema",
        "additionalProperties",
        "allOf",
        "anyOf",
        "const",
        "default",
        "enum",
        "items",
        "oneOf",
        "prefixItems",
        "properties",
        "required",
        "type",
    }
)


class OperationShapes:
    """The bundled contract's shapes of one operation, per part (``request``, ``query``)."""

    def __init__(self, bundled: Operation) -> None:
        self._bundled = bundled
        self._validators: dict[str, PayloadValidator | None] = {}

    def violations(self, part: str, payload: object) -> list[Violation]:
        """What of ``payload`` the domain cannot take. An accepted payload is completed as
        lenient mode completes one of the bundled contract: absent documented defaults
        filled in, strings and ``5.0`` made the numbers the contract has."""
        if part not in self._validators:
            schema = self._bundled.schemas.get(part)
            self._validators[part] = (
                PayloadValidator(shape_of(schema), complete_accepted=True)
                if isinstance(schema, dict)
                else None
            )
        validator = self._validators[part]
        return [] if validator is None else validator.validate(payload, strict=False)


def attach_shapes(contract: Contract, bundled: Contract) -> None:
    """Give each operation of ``contract`` (a folder of one's own) the shapes of its twin
    in ``bundled``: a memo like the contract's others, the same for every app."""
    for operation_id, operation in contract.operations.items():
        twin = bundled.operations.get(operation_id)
        if operation.shapes is None and twin is not None:
            operation.shapes = OperationShapes(twin)


def shape_of(schema: dict) -> dict:
    """``schema`` with only the keywords of a shape (``_SHAPE_KEYWORDS``), at any depth."""
    kept = {key: value for key, value in schema.items() if key in _SHAPE_KEYWORDS}
    return with_subschemas(kept, lambda item: shape_of(item) if isinstance(item, dict) else item)
