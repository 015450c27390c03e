"""Load ``schemas/`` (operations index, per-operation schemas, error catalog) into memory."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from emulator.contract.responses import ResponseCompleter
from emulator.contract.schema_positions import (
    DIALECT,
    DYNAMIC_KEYWORDS,
    definition_name,
    schema_nodes,
)
from emulator.contract.validation import PayloadValidator, ecma_regex
from emulator.errors import CatalogEntry, ErrorCatalog, StartupError
from emulator.json_depth import nests_deeper

try:
    from re import _parser as regex_parser  # (Python's own parser of re syntax)
except ImportError:  # pragma: no cover
    regex_parser = None

if TYPE_CHECKING:
    from emulator.contract.model_shapes import OperationShapes

log = logging.getLogger("emulator.contract")


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
    # In a folder of one's own: what the domain can take (emulator/contract/model_shapes.py).
    shapes: OperationShapes | None = None

    def validator(self, part: str) -> PayloadValidator | None:
        """The validator for ``request``, ``query`` or ``response-<status>``."""
        found = self.validators.get(part)
        if found is None and part in self.schemas and part != "path":
            # The router matches path parameters; nothing validates them. What a client
            # sends is completed (documented defaults); responses are only checked.
            complete = part in ("request", "query")
            made = PayloadValidator(
                self.schemas[part],
                complete_accepted=complete,
                drop_undocumented=part == "request",
                open_bags=part.startswith("response-"),  # (as answers read them)
            )
            found = self.validators.setdefault(part, made)  # one wins if two threads race
        return found

    def complete_response(self, status: int, body: object) -> object:
        """``body`` with every field the response table of ``status`` lists, and no other
        (emulator/contract/responses.py)."""
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
    # Bytes of the folder's other files as read with the rest, so what is parsed later is
    # what the contract's cache key was made from.
    _raw: Mapping[str, bytes] = field(default_factory=dict, repr=False)

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
            raw = self._raw.get(name)
            path = self.schemas_dir / name
            found = _read_json(path) if raw is None else _parse_json(path, raw)
            self._schemas[name] = found
        return found


class ContractError(StartupError, RuntimeError):
    """The schemas folder is missing or damaged; the message names the file."""


# Contracts loaded so far, by schemas folder and a digest of each of its files' bytes: a test
# suite creates hundreds of apps, and reading the folder was a large part of each one's cost.
_LOADED: dict[tuple, Contract] = {}
_LOADED_LIMIT = 8
_loading = threading.Lock()
# Each file's digest, with the status it had and when it was read (``_digest``).
_DIGESTS: dict[str, tuple[tuple[int, ...], int, bytes]] = {}
_DIGESTS_LIMIT = 4096  # files; past that the table starts again
# A file changed this close to when it was read may change again with the same status:
# file times move in ticks (a few milliseconds, 2 s on FAT), so its bytes are read again.
RACY_NS = 2_000_000_000
_clock_ns = time.time_ns  # file times are wall-clock times
Files = dict[str, tuple[bytes, bytes | None]]  # name -> (digest, bytes if read just now)


def load_contract(schemas_dir: Path) -> Contract:
    """The contract in ``schemas_dir``: read once per process, and again when the bytes of a
    file there change (or a file comes or goes). Raises ``ContractError`` naming the file.

    A contract is kept under the digests of the very bytes it was parsed from, so no
    rewrite, however quick or however its times are set, is served from a stale entry.
    """
    files = _files(schemas_dir)
    if files is None:  # not a readable folder: reading it says what is wrong
        return _load(schemas_dir, None)
    with _loading:
        found = _LOADED.get(_key(schemas_dir, files))
        if found is None:
            read = _read_all(schemas_dir, files)
            key = _key(schemas_dir, read)
            found = _LOADED.get(key) or _load(schemas_dir, read)
            if len(_LOADED) >= _LOADED_LIMIT:
                del _LOADED[next(iter(_LOADED))]  # the oldest goes
            _LOADED[key] = found
    return found


def _key(schemas_dir: Path, files: Files) -> tuple:
    return (str(schemas_dir.resolve()), tuple(sorted((n, d) for n, (d, _) in files.items())))


def _files(schemas_dir: Path) -> Files | None:
    """Each file's digest by name (with its bytes where it was read), or None if the folder
    cannot be read."""
    try:
        with os.scandir(schemas_dir) as entries:
            return {entry.name: _digest(entry) for entry in entries if entry.is_file()}
    except OSError:
        return None


def _digest(entry: os.DirEntry) -> tuple[bytes, bytes | None]:
    """The digest of a file's bytes (and the bytes, if they were read), read again unless
    the file's status (device, inode, size, modification and change times) is what it was
    when it was last read, and its last change was well before that read (``RACY_NS``), as
    git trusts its index.

    Any write or ``utime`` sets the change time to the present, which no caller can set
    back, so a file changed after it was read has another status; one changed in the same
    time tick as its read is read every time until that tick is well past.
    """
    stat = entry.stat()
    status = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    known = _DIGESTS.get(entry.path)
    changed = max(stat.st_mtime_ns, stat.st_ctime_ns)
    if known is not None and known[0] == status and changed < known[1] - RACY_NS:
        return known[2], None
    read_at = _clock_ns()  # before reading: a change during the read is after it
    data = _read_bytes(entry.path)
    digest = _digest_of(data)
    if len(_DIGESTS) >= _DIGESTS_LIMIT:
        _DIGESTS.clear()
    _DIGESTS[entry.path] = (status, read_at, digest)
    return digest, data


def _read_all(schemas_dir: Path, files: Files) -> Files:
    """``files`` with every file's bytes: those known by status alone are read now (one
    gone meanwhile is left out: the load says so if it was needed)."""
    read: Files = {}
    for name, (digest, data) in files.items():
        if data is None:
            try:
                data = _read_bytes(os.path.join(schemas_dir, name))
            except OSError:
                continue
            digest = _digest_of(data)
        read[name] = (digest, data)
    return read


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _digest_of(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _load(schemas_dir: Path, files: Files | None) -> Contract:
    """The contract parsed from ``files`` (all read), or from the folder when None."""

    def document(name: str) -> dict:
        if files is None:
            return _read_json(schemas_dir / name)
        found = files.get(name)
        if found is None or found[1] is None:
            raise ContractError(f"{schemas_dir / name}: contract file missing")
        return _parse_json(schemas_dir / name, found[1])

    index = document("operations.json")
    operations: dict[str, Operation] = {}
    used = {"operations.json", "error-catalog.json"}
    for entry in index["operations"]:
        operation = Operation(
            operation_id=entry["operation_id"],
            method=entry["method"],
            path=entry["path"],
            status_codes=entry["status_codes"],
            examples=entry["examples"],
        )
        for part, file_name in entry["schemas"].items():
            operation.schemas[part] = _checked_schema(schemas_dir / file_name, document(file_name))
            used.add(file_name)
        operations[operation.operation_id] = operation
    catalog_rows = document("error-catalog.json")["errors"]
    catalog = ErrorCatalog([CatalogEntry(**row) for row in catalog_rows])
    # The other files' bytes (the seed's and scenarios' schemas...), parsed when asked for.
    rest = {n: data for n, (_, data) in (files or {}).items() if n not in used and data}
    return Contract(
        operations=MappingProxyType(operations),
        catalog=catalog,
        schemas_dir=schemas_dir,
        _raw=rest,
    )


# Levels of objects and arrays a schema file may nest (the contract's deepest has 12): the
# validators recurse through a schema, and one nested hundreds deep ran out of stack.
MAX_SCHEMA_DEPTH = 100


def _checked_schema(path: Path, schema: object) -> dict:
    """``schema`` if every ``$ref`` in it names one of its own ``$defs`` (by a name that
    needs no escaping in a JSON pointer or URI), no chain of references loops back without
    reaching a schema (validators and the defaults plan would recurse or spin on one: a
    hung server, found at start instead), and Python's ``re`` compiles its patterns."""
    if not isinstance(schema, dict):
        raise ContractError(f"{path}: a schema must be a JSON object")
    definitions = schema.get("$defs", {})
    if not isinstance(definitions, dict):
        raise ContractError(f"{path}: $defs must be a JSON object")
    if nests_deeper(schema, MAX_SCHEMA_DEPTH):
        raise ContractError(f"{path}: nested deeper than {MAX_SCHEMA_DEPTH} levels")
    if str(schema.get("$schema", DIALECT)).rstrip("#") != DIALECT:
        raise ContractError(f"{path}: $schema: the contract's schemas are {DIALECT}")
    nodes = list(schema_nodes(schema))
    for node in nodes:
        # Each would make jsonschema read the schema otherwise than these checks do
        # (another draft's keywords, another base for references, targets found late).
        dynamic = sorted(DYNAMIC_KEYWORDS & node.keys())
        if dynamic:
            raise ContractError(f"{path}: {dynamic[0]} is not supported")
        if isinstance(node.get("items"), list):
            raise ContractError(f"{path}: items is one schema in 2020-12 (prefixItems: a list)")
        if node is schema:
            continue
        if "$schema" in node:
            raise ContractError(f"{path}: $schema is only read at a schema's root")
        if "$id" in node and any("$ref" in below for below in schema_nodes(node)):
            raise ContractError(f"{path}: $ref below a schema with an $id of its own")
    for node in nodes:
        _check_patterns(path, node)
    for node in nodes:
        reference = node.get("$ref")
        seen: list[str] = []
        while reference is not None:
            shown = reference if isinstance(reference, str) else repr(reference)
            name = definition_name(reference)
            if name not in definitions:
                raise ContractError(
                    f"{path}: $ref {shown!r} names no entry of its $defs "
                    "(#/$defs/<name>, a name without '~', '%' or '/')"
                )
            if name in seen:
                chain = " -> ".join([*seen, name])
                raise ContractError(f"{path}: $ref loops without reaching a schema: {chain}")
            seen.append(name)
            target = definitions[name]
            reference = target.get("$ref") if isinstance(target, dict) else None
    return schema


def _check_patterns(path: Path, node: dict) -> None:
    """Python's ``re`` must compile the node's ``pattern`` (as ECMA-262 reads it) and its
    ``patternProperties`` names (jsonschema matches those with ``re`` as written)."""
    pattern = node.get("pattern")
    names = node.get("patternProperties")
    checks = [(pattern, ecma_regex)] if isinstance(pattern, str) else []
    if isinstance(names, dict):
        checks += [(name, re.compile) for name in names]
    for text, compiled in checks:
        try:
            compiled(text)
        except re.error as error:  # (ECMA-262 syntax Python's re lacks, such as \p{L})
            raise ContractError(f"{path}: pattern {text!r} ({error})") from None
        if may_backtrack(text):
            log.warning(
                "%s: pattern %r has a repeat within a repeat: Python's re can take seconds "
                "on a body's text that almost matches it, holding the server",
                path,
                text,
            )


def may_backtrack(pattern: str) -> bool:
    """Whether ``pattern`` repeats something that itself repeats (``(a+)+``, ``(a|b*)*``):
    the shape that makes a backtracking matcher take exponential time. Some such patterns
    are harmless (``(a+-)*``); none without one is exponential."""
    if regex_parser is None:
        return False
    try:
        return _repeats_within_a_repeat(regex_parser.parse(pattern), within=False)
    except (re.error, RecursionError):
        return False


def _repeats_within_a_repeat(parsed: list, *, within: bool) -> bool:
    for operation, argument in parsed:
        name = str(operation)
        if name.endswith("_REPEAT"):
            low, high, inner = argument
            if within and high != low:
                return True
            nested = [(inner, within or high > 1)]
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT"):
            nested = [(argument[-1], within)]
        elif name == "BRANCH":
            nested = [(branch, within) for branch in argument[1]]
        else:
            continue
        if any(_repeats_within_a_repeat(part, within=inside) for part, inside in nested):
            return True
    return False


def _read_json(path: Path) -> dict:
    try:
        return _parse_json(path, path.read_bytes())
    except FileNotFoundError:
        raise ContractError(f"{path}: contract file missing") from None


def _parse_json(path: Path, data: bytes) -> dict:
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise ContractError(f"{path}: not valid JSON ({error})") from None
