"""The journal as the Requests page shows it: newest first, each entry named by operation."""

from __future__ import annotations

import re
from collections.abc import Iterable

from emulator.contract import Contract

MAX_ROWS = 200
FILTERS = ("operation", "status", "error_code", "scenario")
_patterns: dict[int, list[tuple[str, str, re.Pattern[str]]]] = {}


def _operation_patterns(contract: Contract) -> list[tuple[str, str, re.Pattern[str]]]:
    """Method and path pattern of each documented operation (built once per contract)."""
    found = _patterns.get(id(contract))
    if found is None:
        found = []
        for operation_id, operation in contract.operations.items():
            parts = re.split(r"(\{[^}]+\})", operation.path)
            regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            found.append((operation.method, operation_id, re.compile(f"^{regex}$")))
        _patterns[id(contract)] = found
    return found


def operation_of(contract: Contract, method: str, path: str) -> str:
    """The documented operation a journal entry called, or "" (IAM, undocumented paths)."""
    for operation_method, operation_id, pattern in _operation_patterns(contract):
        if operation_method == method and pattern.match(path):
            return operation_id
    return ""


def newest_first(contract: Contract, entries: Iterable[dict], wanted: dict[str, str]) -> list[dict]:
    """Entries with their operation, filtered by the non-empty ``wanted`` values."""
    rows = []
    for entry in reversed(list(entries)):
        entry["operation"] = operation_of(contract, entry["method"], entry["path"])
        if all(
            not wanted.get(name) or str(entry.get(name) or "") == wanted[name] for name in FILTERS
        ):
            rows.append(entry)
            if len(rows) >= MAX_ROWS:
                break
    return rows


def reasons(validation: str) -> list[str]:
    """The validation reasons of an entry ("passed" when it had none)."""
    if not validation or validation == "passed":
        return []
    return [reason.strip() for reason in validation.split("; ") if reason.strip()]
