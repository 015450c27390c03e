"""Load ``schemas/`` (operations index, per-operation schemas, error catalog) into memory."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from emulator.contract.responses import ResponseCompleter
from emulator.contract.validation import PayloadValidator
from emulator.errors import CatalogEntry, ErrorCatalog, StartupError


@dataclass
class Operation:
    """One documented operation; each documented part's validator is made on first use."""

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
        found = self.validators.get(part)
        if found is None and part in self.schemas and part != "path":
            # The router matches path parameters; nothing validates them. What a client
            # sends gets the documented defaults; responses are only checked.
            fill = part in ("request", "query")
            made = PayloadValidator(self.schemas[part], fill_defaults=fill)
            found = self.validators.setdefault(part, made)  # one wins if two threads race
        return found

    def complete_response(self, status: int, body: object) -> object:
        """``body`` with every field the response table of ``status`` lists."""
        completer = self.completers.get(status)
        if completer is None:
            completer = self.completers[status] = ResponseCompleter(
                self.schemas.get(f"response-{status}", {})
            )
        return completer(body)


@dataclass(eq=False)  # one object per loaded folder: compared (and hashed) by identity
class Contract:
    """Every documented operation, keyed by operation id, and the error catalog.

    One contract serves every app of the process that reads the same schemas folder
    (``load_contract``): read it, never change it. Its only state that grows is memos
    (compiled validators, remembered refusals, response completers), which depend on
    the contract alone.
    """

    operations: Mapping[str, Operation]
    catalog: ErrorCatalog
    schemas_dir: Path
    _schemas: dict[str, dict] = field(default_factory=dict, repr=False)

    def compile_fast(self) -> None:
        """Compile the lenient fast paths of request bodies and queries now, not on first use.

        Those are what every request meets; strict mode and response schemas compile
        when first needed.
        """
        for operation in self.operations.values():
            for part in ("request", "query"):
                validator = operation.validator(part)
                if validator is not None:
                    validator.compile_fast(strict=False)

    def schema(self, name: str) -> dict:
        """A hand-written schema shipped beside the generated ones (seed, scenario); read
        once, shared: do not change it."""
        found = self._schemas.get(name)
        if found is None:
            found = self._schemas[name] = _read_json(self.schemas_dir / name)
        return found


class ContractError(StartupError, RuntimeError):
    """The schemas folder is missing or damaged; the message names the file."""


# Contracts loaded so far, by schemas folder and the state of its files: a test suite
# creates hundreds of apps, and reading the folder was a large part of each one's cost.
_LOADED: dict[tuple, Contract] = {}
_LOADED_LIMIT = 8
_loading = threading.Lock()


def load_contract(schemas_dir: Path) -> Contract:
    """The contract in ``schemas_dir``: read once per process, and again when a file there
    changes (name, size or modification time). Raises ``ContractError`` naming the file."""
    signature = _signature(schemas_dir)
    if signature is None:  # not a readable folder: reading it says what is wrong
        return _load(schemas_dir)
    with _loading:
        found = _LOADED.get(signature)
        if found is None:
            found = _load(schemas_dir)
            if len(_LOADED) >= _LOADED_LIMIT:
                del _LOADED[next(iter(_LOADED))]  # the oldest goes
            _LOADED[signature] = found
    return found


def _signature(schemas_dir: Path) -> tuple | None:
    try:
        with os.scandir(schemas_dir) as entries:
            files = sorted(
                (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size) for entry in entries
            )
    except OSError:
        return None
    return (str(schemas_dir.resolve()), tuple(files))


def _load(schemas_dir: Path) -> Contract:
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
            operation.schemas[part] = _read_json(schemas_dir / file_name)
        operations[operation.operation_id] = operation
    catalog_rows = _read_json(schemas_dir / "error-catalog.json")["errors"]
    catalog = ErrorCatalog([CatalogEntry(**row) for row in catalog_rows])
    return Contract(
        operations=MappingProxyType(operations), catalog=catalog, schemas_dir=schemas_dir
    )


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"{path}: contract file missing") from None
    except ValueError as error:
        raise ContractError(f"{path}: not valid JSON ({error})") from None
