"""Contract coverage: which parts of the documented contract a client was tested against.

Fed once per ``/v2`` request (from the observe middleware), it keeps counters only: per
documented operation the calls, the statuses and ModelArts error codes answered, and the
set of documented request fields (JSON paths of the body, ``?name`` of the query) that
were sent. Memory is bounded by the contract, not by the traffic: only documented fields
are kept, and at most ``MAX_CODES`` distinct error codes per operation.

Which error codes are "documented" for an operation: each reference page lists the HTTP
statuses the operation answers, and the error catalog lists each code with its status.
An operation's documented error codes are the catalog codes whose status is one of the
operation's error statuses, plus 400 (``status_code.rst`` gives it to any invalid request
and the pages leave it out), narrowed to the codes the emulator answers with
(``emulator.codes``): the catalog covers every ModelArts service (notebooks, training,
...), whose codes a client of these operations cannot meet.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from emulator import codes
from emulator.api import keys
from emulator.contract import Contract, Operation
from emulator.contract.schema_positions import definition_name

# Every status 400 applies to, whatever the page lists (see the module docstring).
ALWAYS_DOCUMENTED_STATUSES = frozenset({400})
MAX_CODES = 100  # distinct error codes kept per operation (scenarios can invent codes)
MAX_ITEMS = 50  # array items looked at per array when collecting sent fields
MAX_DEPTH = 16
# Documented fields listed per schema: a schemas folder of one's own (--schemas-dir) can
# share definitions so that their paths are countless (two fields of the next level, thirty
# levels deep, is a billion); the first this many, in the schema's order, are counted.
MAX_DOCUMENTED_FIELDS = 10_000
# Reading sent fields parses the body a second time: bodies up to SMALL_BODY_BYTES always
# are (while documented fields remain unseen), larger ones only LARGE_BODIES times per
# operation (a 345 KiB upload costs ~15 ms to parse), and none over MAX_BODY_BYTES.
SMALL_BODY_BYTES = 64 * 1024
LARGE_BODIES = 4
MAX_BODY_BYTES = 16 * 1024 * 1024
# Bodies already read for sent fields, remembered per operation (up to this many, each up
# to SEEN_BODY_BYTES, so at most 1 MiB an operation): a body seen before has nothing new to
# tell, and tests repeat theirs.
MAX_SEEN_BODIES = 256
SEEN_BODY_BYTES = 4096
SERVED_CODES = frozenset(
    value for name, value in vars(codes).items() if name.isupper() and isinstance(value, str)
)
MODELARTS_PREFIX = "/v2/"
MAPPING = (
    "An operation's documented error codes are the error-catalog codes whose HTTP status is "
    "one of the statuses its reference page lists (plus 400, which status_code.rst gives to "
    "any invalid request), limited to the codes the emulator answers with."
)


def documented_fields(schema: dict | None, prefix: str = "") -> list[str]:
    """Every property path of a JSON Schema that a sent body could show (``MAX_DEPTH``
    levels, as ``sent_fields`` reads them), in the schema's order: ``a``, ``a.b``,
    ``a.list[].c``. References are followed once per branch, so recursive definitions
    end; the first ``MAX_DOCUMENTED_FIELDS`` are listed."""
    if not schema:
        return []
    definitions = schema.get("$defs", {})
    found: list[str] = []
    # What is left to do, last first: a field to list (a str), or a schema node to read
    # with its path, the definitions followed on the way there and its level.
    pending: list[str | tuple[dict, str, frozenset[str], int]] = [(schema, "", frozenset(), 0)]
    while pending and len(found) < MAX_DOCUMENTED_FIELDS:
        task = pending.pop()
        if isinstance(task, str):
            found.append(task)
            continue
        node, path, refs, level = task
        if "$ref" in node:
            name = definition_name(node["$ref"])
            target = definitions.get(name) if name else None
            if name not in refs and isinstance(target, dict):
                pending.append((target, path, refs | {name}, level))
            continue
        if level > MAX_DEPTH:
            continue
        after: list[str | tuple[dict, str, frozenset[str], int]] = []
        if isinstance(node.get("items"), dict):
            after.append((node["items"], f"{path}[]", refs, level + 1))
        properties = node.get("properties")
        for name, sub in (properties if isinstance(properties, dict) else {}).items():
            child = f"{path}.{name}" if path else f"{prefix}{name}"
            after.append(child)
            if isinstance(sub, dict):
                after.append((sub, child, refs, level + 1))
        pending.extend(reversed(after))
    return found


def sent_fields(document: object, wanted: set[str]) -> set[str]:
    """The paths of ``wanted`` that ``document`` has (first ``MAX_ITEMS`` items per array)."""
    seen: set[str] = set()

    def walk(value: object, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(value, dict):
            for name, sub in value.items():
                child = f"{path}.{name}" if path else str(name)
                if child in wanted:
                    seen.add(child)
                    walk(sub, child, depth + 1)
        elif isinstance(value, list):
            for item in value[:MAX_ITEMS]:
                walk(item, f"{path}[]", depth + 1)

    walk(document, "", 0)
    return seen


def documented_error_codes(operation: Operation, contract: Contract) -> list[str]:
    statuses = {s for s in operation.status_codes if s >= 400} | ALWAYS_DOCUMENTED_STATUSES
    return sorted(
        code
        for code in SERVED_CODES
        if any(entry.status in statuses for entry in contract.catalog.entries(code))
    )


@functools.lru_cache(maxsize=8)  # one contract serves every app of a process
def _documented(contract: Contract) -> dict[str, tuple[Operation, tuple, tuple, tuple]]:
    """Per operation: its documented error codes, body fields and query fields."""
    found = {}
    for operation_id, operation in contract.operations.items():
        body = documented_fields(operation.schemas.get("request"))
        query = [f"?{name}" for name in documented_fields(operation.schemas.get("query"))]
        query = [name for name in query if "." not in name and "[]" not in name]
        codes = documented_error_codes(operation, contract)
        found[operation_id] = (operation, tuple(codes), tuple(body), tuple(query))
    return found


@dataclass
class _Operation:
    operation: Operation
    error_codes: list[str]
    body_fields: set[str]
    query_fields: set[str]
    fields: list[str]
    calls: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    large_bodies: int = 0
    seen_bodies: set[bytes] = field(default_factory=set)

    @property
    def body_fields_pending(self) -> bool:
        return not self.body_fields <= self.sent


class CoverageRecorder:
    """Counters per documented operation; ``report()`` says what was never exercised."""

    def __init__(self, contract: Contract) -> None:
        self._operations: dict[str, _Operation] = {
            operation_id: _Operation(
                operation=operation,
                error_codes=list(codes),
                body_fields=set(body),
                query_fields=set(query),
                fields=[*body, *query],
            )
            for operation_id, (operation, codes, body, query) in _documented(contract).items()
        }
        self.unmatched = 0

    def record(
        self,
        operation_id: str | None,
        status: int,
        error_code: str | None,
        query_names: Iterable[str] = (),
        raw_body: bytes | None = None,
    ) -> None:
        """Count one answered request; ``operation_id`` None for an undocumented /v2 path."""
        entry = self._operations.get(operation_id) if operation_id else None
        if entry is None:
            self.unmatched += 1
            return
        entry.calls += 1
        entry.statuses[status] += 1
        if error_code and (error_code in entry.codes or len(entry.codes) < MAX_CODES):
            entry.codes[error_code] += 1
        for name in query_names:
            if f"?{name}" in entry.query_fields:
                entry.sent.add(f"?{name}")
        # Parsing again costs; once every body field was seen there is nothing to learn.
        if not raw_body or not entry.body_fields_pending or len(raw_body) > MAX_BODY_BYTES:
            return
        if len(raw_body) > SMALL_BODY_BYTES:
            if entry.large_bodies >= LARGE_BODIES:
                return
            entry.large_bodies += 1
        elif len(raw_body) <= SEEN_BODY_BYTES:
            if raw_body in entry.seen_bodies:
                return
            if len(entry.seen_bodies) < MAX_SEEN_BODIES:
                entry.seen_bodies.add(bytes(raw_body))
        try:
            document = json.loads(raw_body)
        except (ValueError, RecursionError):
            return
        entry.sent |= sent_fields(document, entry.body_fields)

    def clear(self) -> None:
        for entry in self._operations.values():
            entry.calls = 0
            entry.statuses.clear()
            entry.codes.clear()
            entry.sent.clear()
            entry.large_bodies = 0
            entry.seen_bodies.clear()
        self.unmatched = 0

    def report(self) -> dict:
        operations = []
        for operation_id, entry in self._operations.items():
            received = set(entry.codes)
            operations.append(
                {
                    "operation_id": operation_id,
                    "method": entry.operation.method,
                    "path": entry.operation.path,
                    "called": entry.calls > 0,
                    "calls": entry.calls,
                    "statuses": {str(s): n for s, n in sorted(entry.statuses.items())},
                    "error_codes": dict(sorted(entry.codes.items())),
                    "documented_error_codes": entry.error_codes,
                    "error_codes_never_received": [
                        c for c in entry.error_codes if c not in received
                    ],
                    "undocumented_error_codes_received": sorted(received - set(entry.error_codes)),
                    "documented_fields": len(entry.fields),
                    "fields_never_sent": [f for f in entry.fields if f not in entry.sent],
                }
            )
        documented_codes = sum(len(op["documented_error_codes"]) for op in operations)
        never_codes = sum(len(op["error_codes_never_received"]) for op in operations)
        fields = sum(op["documented_fields"] for op in operations)
        never_fields = sum(len(op["fields_never_sent"]) for op in operations)
        return {
            "summary": {
                "operations": len(operations),
                "operations_called": sum(op["called"] for op in operations),
                "documented_error_codes": documented_codes,
                "documented_error_codes_received": documented_codes - never_codes,
                "documented_fields": fields,
                "documented_fields_sent": fields - never_fields,
                "undocumented_requests": self.unmatched,
            },
            "error_code_mapping": MAPPING,
            "operations": operations,
        }


def record_request(
    request, status: int, error_code: str | None, recorder: CoverageRecorder | None = None
) -> None:
    """Feed one answered aiohttp request under ``/v2`` (others are not the contract)."""
    if not request.path.startswith(MODELARTS_PREFIX):
        return
    notes = keys.notes(request)
    if recorder is None:
        recorder = keys.shared(request, keys.COVERAGE)
    operation = notes.operation  # named by the documented route that answered, if one did
    recorder.record(
        operation.operation_id if operation is not None else None,
        status,
        error_code,
        list(request.query) if request.query_string else (),
        notes.raw_body,
    )
