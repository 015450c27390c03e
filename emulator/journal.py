"""The request journal: the last N requests with what answered them, secrets masked.

A ring buffer, so a long CI run cannot grow it without bound. Entries are plain dicts,
ready to be served as JSON by the admin API.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterable

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


class Journal:
    def __init__(self, capacity: int) -> None:
        self._entries: deque[dict] = deque(maxlen=max(capacity, 1))
        self.capacity = capacity
        self._ids = itertools.count(1)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def record(self, entry: dict) -> None:
        if self.enabled:
            entry["id"] = next(self._ids)
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
