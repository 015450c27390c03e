"""Compare two JSON answers by shape: which keys they have and the JSON type of each value.

Values are not compared (a real account's names and counts are not the emulator's); for
keys that hold ids or times even the type is left alone, as long as the key is there.
Array items are merged under ``[]``; an array that is empty on one side says nothing
about its items, so their keys are not compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from emulator.json_depth import nests_deeper

ID_OR_TIME = re.compile(r"(^id$|_id$|_ids$|time|date|_at$|created|updated|expires)", re.I)
ITEMS = "[]"


MAX_DEPTH = 64  # deeper JSON is kept as text: masking, matching and YAML all recurse


def body_value(raw: bytes) -> object:
    """A recorded or received body as JSON; as text when it is not JSON (or nested deeper
    than ``MAX_DEPTH``); None when empty."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", errors="replace")
    if nests_deeper(value, MAX_DEPTH):
        return raw.decode("utf-8", errors="replace")
    return value


@dataclass(frozen=True)
class Difference:
    kind: str  # status, error_code, missing, extra, type, unreachable
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail}


def error_code(body: object) -> str | None:
    """The ModelArts ``error_code`` of an answer's body, if it has one."""
    if isinstance(body, dict) and isinstance(body.get("error_code"), str):
        return body["error_code"]
    return None


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value: object, path: str = "$", into: dict[str, set[str]] | None = None) -> dict:
    """``{json path: {type names}}`` for ``value`` and everything inside it."""
    into = {} if into is None else into
    into.setdefault(path, set()).add(type_name(value))
    if isinstance(value, dict):
        for key, item in value.items():
            shape(item, f"{path}.{key}", into)
    elif isinstance(value, list):
        for item in value:
            shape(item, path + ITEMS, into)
    return into


def is_id_or_time(path: str) -> bool:
    last = path.rsplit(".", 1)[-1].removesuffix(ITEMS)
    return bool(ID_OR_TIME.search(last))


def shape_differences(recorded: object, actual: object) -> list[Difference]:
    """How ``actual`` differs in shape from ``recorded``, in path order."""
    ours, theirs = shape(recorded), shape(actual)
    for path in [p for p in ours if p in theirs and "array" in ours[p] | theirs[p]]:
        items = path + ITEMS
        if (items in ours) != (items in theirs):  # empty on one side: items not comparable
            for side in (ours, theirs):
                for key in [k for k in side if k.startswith(items)]:
                    del side[key]
    differences = []
    for path in sorted(ours.keys() | theirs.keys()):
        if path not in theirs:
            if _parent_present(path, theirs):
                differences.append(Difference("missing", f"{path} is missing in the emulator"))
        elif path not in ours:
            if _parent_present(path, ours):
                differences.append(Difference("extra", f"{path} is only in the emulator"))
        elif ours[path] != theirs[path] and not is_id_or_time(path):
            differences.append(
                Difference(
                    "type",
                    f"{path} is {_types(ours[path])} in the recording, "
                    f"{_types(theirs[path])} in the emulator",
                )
            )
    return differences


def _parent_present(path: str, side: dict) -> bool:
    """Report a missing subtree once, at its top, not once per key inside it."""
    parent = path[: -len(ITEMS)] if path.endswith(ITEMS) else path.rsplit(".", 1)[0]
    return parent in side and bool(side[parent] & {"object", "array"})


def _types(types: set[str]) -> str:
    return "/".join(sorted(types))
