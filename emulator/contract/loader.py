"""Load ``schemas/`` (operations index, per-operation schemas, error catalog) into memory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from emulator.contract.responses import ResponseCompleter
from emulator.contract.validation import PayloadValidator
from emulator.errors import CatalogEntry, ErrorCatalog, StartupError


@dataclass
class Operation:
    """One documented operation with compiled validators for each documented part."""

    operation_id: str
    method: str
    path: str
    status_codes: list[int]
    examples: dict
    schemas: dict[str, dict] = field(default_factory=dict)
    validators: dict[str, PayloadValidator] = field(default_factory=dict)
    completers: dict[int, ResponseCompleter] = field(default_factory=dict)

    def validator(self, part: str) -> PayloadValidator | None:
        """The validator for ``request``, ``query`` or ``response-<status>``."""
        return self.validators.get(part)

    def complete_response(self, status: int, body: object) -> object:
        """``body`` with every field the response table of ``status`` lists."""
        completer = self.completers.get(status)
        if completer is None:
            completer = self.completers[status] = ResponseCompleter(
                self.schemas.get(f"response-{status}", {})
            )
        return completer(body)


@dataclass
class Contract:
    """Every documented operation, keyed by operation id, and the error catalog."""

    operations: dict[str, Operation]
    catalog: ErrorCatalog
    schemas_dir: Path

    def compile_fast(self) -> None:
        """Compile the lenient fast paths of request bodies and queries now, not on first use.

        Those are what every request meets; strict mode and response schemas compile
        when first needed.
        """
        for operation in self.operations.values():
            for part in ("request", "query"):
                validator = operation.validators.get(part)
                if validator is not None:
                    validator.compile_fast(strict=False)

    def schema(self, name: str) -> dict:
        """A hand-written schema shipped beside the generated ones (seed, scenario)."""
        return _read_json(self.schemas_dir / name)


class ContractError(StartupError, RuntimeError):
    """The schemas folder is missing or damaged; the message names the file."""


def load_contract(schemas_dir: Path) -> Contract:
    index = _read_json(schemas_dir / "operations.json")
    operations: dict[str, Operation] = {}
    for entry in index["operations"]:
        operation = Operation(
            operation_id=entry["operation_id"],
            method=entry["method"],
            path=entry["path"],
            status_codes=entry["status_codes"],
            examples=entry["examples"],
        )
        for part, file_name in entry["schemas"].items():
            schema = _read_json(schemas_dir / file_name)
            operation.schemas[part] = schema
            if part == "path":
                continue  # the router matches path parameters; nothing validates them
            # What a client sends gets the documented defaults; responses are only checked.
            fill = part in ("request", "query")
            operation.validators[part] = PayloadValidator(schema, fill_defaults=fill)
        operations[operation.operation_id] = operation
    catalog_rows = _read_json(schemas_dir / "error-catalog.json")["errors"]
    catalog = ErrorCatalog([CatalogEntry(**row) for row in catalog_rows])
    return Contract(operations=operations, catalog=catalog, schemas_dir=schemas_dir)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"{path}: contract file missing") from None
    except ValueError as error:
        raise ContractError(f"{path}: not valid JSON ({error})") from None
