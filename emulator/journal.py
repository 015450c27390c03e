"""The request journal: the last N requests with what answered them, secrets masked.

A ring buffer, so a long CI run cannot grow it without bound. Entries are plain dicts,
ready to be served as JSON by the admin API.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

MASK = "***"
SECRET_HEADERS = frozenset(
    {
        "x-auth-token",
        "authorization",
        "x-security-token",
        "cookie",
        "x-subject-token",
        "x-emulator-admin-token",
    }
)
SECRET_KEYS = frozenset(
    {"password", "secret", "sk", "secret_access_key", "access_key_secret", "token"}
)
MAX_BODY_CHARS = 64 * 1024


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: MASK if name.lower() in SECRET_HEADERS else value for name, value in headers}


def mask_body(raw: bytes | None) -> str | None:
    """The body as text for the journal, secret fields of JSON bodies masked, long ones cut."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except ValueError:
        return text[:MAX_BODY_CHARS]
    return json.dumps(_mask(document), ensure_ascii=False)[:MAX_BODY_CHARS]


def _mask(value: object) -> object:
    if isinstance(value, dict):
        return {k: MASK if k.lower() in SECRET_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


@dataclass(slots=True)
class RecordedRequest:
    """What the journal keeps of a request: references only, rendered (and masked) on read,
    so recording costs the hot path next to nothing."""

    time_ms: int
    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    raw_body: bytes | None
    status: int
    error_code: str | None
    duration_ms: float
    validation: str
    scenario: str | None = None
    rule: str | None = None
    near_misses: tuple[str, ...] = ()
    fault: str | None = None

    def render(self, entry_id: int) -> dict:
        return {
            "id": entry_id,
            "time_ms": self.time_ms,
            "method": self.method,
            "path": self.path,
            "query": dict(parse_qsl(self.query_string, keep_blank_values=True)),
            "headers": mask_headers(self.headers.items()),
            "body": mask_body(self.raw_body),
            "status": self.status,
            "error_code": self.error_code,
            "duration_ms": round(self.duration_ms, 2),
            "validation": self.validation,
            "scenario": self.scenario,
            "rule": self.rule,
            "near_misses": list(self.near_misses),
            "fault": self.fault,
        }


class Journal:
    def __init__(self, capacity: int) -> None:
        self._entries: deque[tuple[int, RecordedRequest]] = deque(maxlen=max(capacity, 1))
        self.capacity = capacity
        self._ids = itertools.count(1)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def record(self, entry: RecordedRequest) -> None:
        if self.enabled:
            self._entries.append((next(self._ids), entry))

    def entries(self) -> list[dict]:
        return [entry.render(entry_id) for entry_id, entry in self._entries]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
