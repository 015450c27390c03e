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

from emulator.contract.loader import Contract
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


class ModelShapes:
    """The bundled contract's shapes, per operation and part (``request``, ``query``)."""

    def __init__(self, bundled: Contract) -> None:
        self._bundled = bundled
        self._validators: dict[tuple[str, str], PayloadValidator | None] = {}

    def violations(self, operation_id: str, part: str, payload: object) -> list[Violation]:
        """What of ``payload`` the domain cannot take. An accepted payload is completed as
        lenient mode completes one of the bundled contract: absent documented defaults
        filled in, a whole number written ``5.0`` made the integer the contract has."""
        key = (operation_id, part)
        if key not in self._validators:
            operation = self._bundled.operations.get(operation_id)
            schema = operation.schemas.get(part) if operation is not None else None
            self._validators[key] = (
                PayloadValidator(shape_of(schema), complete_accepted=True)
                if isinstance(schema, dict)
                else None
            )
        validator = self._validators[key]
        return [] if validator is None else validator.validate(payload, strict=False)


def shape_of(schema: dict) -> dict:
    """``schema`` with only the keywords of a shape (``_SHAPE_KEYWORDS``), at any depth."""
    kept = {key: value for key, value in schema.items() if key in _SHAPE_KEYWORDS}
    return with_subschemas(kept, lambda item: shape_of(item) if isinstance(item, dict) else item)
