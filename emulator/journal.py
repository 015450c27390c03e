"""The request journal: the last N requests with what answered them, secrets masked.

A ring buffer bounded by count and by bytes (bodies are cut when recorded), so a long CI
run or a stream of 12 MB bodies cannot grow it without bound; rendering never recurses
deeper than ``MAX_RENDER_DEPTH``. Entries are plain dicts, ready to be served as JSON by
the admin API.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import parse_qsl

MASK = "***"
SECRET_HEADERS = frozenset(
    {
        "x-auth-token",
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-security-token",
        "x-amz-security-token",
        "x-obs-security-token",
        "cookie",
        "set-cookie",
        "x-subject-token",
        "x-emulator-admin-token",
    }
)
# Compared with case, "_" and "-" ignored: secret_key, secretKey and Secret-Key are one name.
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "sk",
        "secretkey",
        "secretaccesskey",
        "accesskeysecret",
        "token",
        "authtoken",
        "accesstoken",
        "securitytoken",
        "xauthtoken",
        "xsecuritytoken",
        "apikey",
        "xapikey",
        "privatekey",
        "signature",
        "xamzsignature",
        "xamzsecuritytoken",
        "xobssecuritytoken",
    }
)
# A body is kept up to this many bytes when recorded; the entry says how long it was.
MAX_BODY_BYTES = 16 * 1024
# The journal also drops its oldest entries to stay under this many bytes in all.
MAX_JOURNAL_BYTES = 16 * 1024 * 1024
# JSON nested deeper than this is not shown (masking it would mean recursing that deep).
MAX_RENDER_DEPTH = 64
_ENTRY_OVERHEAD = 256  # bytes of bookkeeping counted per entry besides its texts
_TEXT_SECRET = re.compile(r'"(?P<key>[^"\\]{1,64})"(?P<colon>\s*:\s*)"(?:[^"\\]|\\.)*"?')


class _TooDeep(Exception):
    pass


def is_secret(name: str) -> bool:
    return name.lower().replace("_", "").replace("-", "") in SECRET_KEYS


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: MASK if name.lower() in SECRET_HEADERS else value for name, value in headers}


def mask_query(query_string: str) -> dict[str, str]:
    """Query parameters with secret-looking names (``sk``, ``X-Auth-Token``...) masked."""
    return {
        name: MASK if is_secret(name) else value
        for name, value in parse_qsl(query_string, keep_blank_values=True)
    }


def mask_body(raw: bytes | None, size: int | None = None) -> str | None:
    """The body as text for the journal, secret fields masked.

    ``size`` is the length of the body as received when ``raw`` is only its start: such a
    body is shown as text (secret JSON string fields still masked) with a note of its size.
    JSON nested deeper than ``MAX_RENDER_DEPTH`` is replaced by a note.
    """
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if size is not None and size > len(raw):
        return f"{_mask_text(text)}... [cut: first {len(raw)} of {size} bytes]"
    try:
        return json.dumps(_mask(json.loads(text), 0), ensure_ascii=False)
    except (_TooDeep, RecursionError):
        return f"[not shown: JSON nested deeper than {MAX_RENDER_DEPTH} levels, {len(raw)} bytes]"
    except ValueError:
        return _mask_text(text)


def _mask_text(text: str) -> str:
    """Mask ``"secret": "value"`` pairs in text that cannot be parsed as JSON."""

    def replace(found: re.Match[str]) -> str:
        if not is_secret(found.group("key")):
            return found.group(0)
        return f'"{found.group("key")}"{found.group("colon")}"{MASK}"'

    return _TEXT_SECRET.sub(replace, text)


def _mask(value: object, depth: int) -> object:
    if depth > MAX_RENDER_DEPTH:
        raise _TooDeep
    if isinstance(value, dict):
        return {k: MASK if is_secret(k) else _mask(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item, depth + 1) for item in value]
    return value


class Scripted(NamedTuple):
    """What the scenarios made of a request they looked at."""

    scenario: str | None
    rule: str | None
    near_misses: tuple[str, ...]
    fault: str | None


class RecordedRequest(NamedTuple):
    """What the journal keeps of a request: references only, rendered (and masked) on read,
    so recording costs the accept path a tuple. ``raw_body`` is the body as received;
    the journal keeps at most ``MAX_BODY_BYTES`` of it."""

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
    scripted: Scripted | None = None

    def render(self, entry_id: int, body_size: int) -> dict:
        scripted = self.scripted or _UNSCRIPTED
        return {
            "id": entry_id,
            "time_ms": self.time_ms,
            "method": self.method,
            "path": self.path,
            "query": mask_query(self.query_string),
            "headers": mask_headers(self.headers.items()),
            "body": mask_body(self.raw_body, body_size),
            "body_bytes": body_size,
            "status": self.status,
            "error_code": self.error_code,
            "duration_ms": round(self.duration_ms, 2),
            "validation": self.validation,
            "scenario": scripted.scenario,
            "rule": scripted.rule,
            "near_misses": list(scripted.near_misses),
            "fault": scripted.fault,
        }


_UNSCRIPTED = Scripted(None, None, (), None)


class Journal:
    """The last ``capacity`` entries, fewer when they would take more than ``max_bytes``."""

    def __init__(self, capacity: int, max_bytes: int = MAX_JOURNAL_BYTES) -> None:
        # (id, entry, body size as received, cost in bytes)
        self._entries: deque[tuple[int, RecordedRequest, int, int]] = deque()
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        self._ids = itertools.count(1)
        # Each entry as rendered when first read, by id, with the bytes its body text takes:
        # rendering masks and re-encodes the body (milliseconds for a 16 KB JSON body), and
        # the console reads every entry every two seconds. Dropped with the entry; kept for
        # at most ``max_bytes`` of body text (a text of CJK or emoji takes up to 4 bytes a
        # character: past the budget, an entry is rendered at each read instead).
        self._rendered: dict[int, tuple[dict, int]] = {}
        self.rendered_bytes = 0

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def record(self, entry: RecordedRequest, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Keep ``entry``; ``raw_headers`` (the request's, as received) count toward its cost."""
        if not self.enabled:
            return
        body_size = len(entry.raw_body) if entry.raw_body else 0
        if body_size > MAX_BODY_BYTES:
            entry = entry._replace(raw_body=bytes(entry.raw_body[:MAX_BODY_BYTES]))
        # Counted in C (a generator over the headers cost the accept path more than the rest).
        cost = _ENTRY_OVERHEAD + min(body_size, MAX_BODY_BYTES) + len(entry.path)
        cost += len(entry.query_string) + sum(map(len, itertools.chain.from_iterable(raw_headers)))
        if entry.scripted is not None:
            cost += sum(map(len, entry.scripted.near_misses))
        self._entries.append((next(self._ids), entry, body_size, cost))
        self.bytes += cost
        while len(self._entries) > self.capacity or (
            self.bytes > self.max_bytes and len(self._entries) > 1
        ):
            dropped_id, _, _, dropped_cost = self._entries.popleft()
            self.bytes -= dropped_cost
            _, rendered_cost = self._rendered.pop(dropped_id, (None, 0))
            self.rendered_bytes -= rendered_cost

    def entries(self) -> list[dict]:
        """Every entry, oldest first, each a new dict the caller may add keys to."""
        rendered = self._rendered
        shown = []
        for entry_id, entry, size, _ in self._entries:
            known = rendered.get(entry_id)
            if known is None:
                done = entry.render(entry_id, size)
                cost = sys.getsizeof(done["body"]) if done["body"] else 0
                if self.rendered_bytes + cost <= self.max_bytes:
                    rendered[entry_id] = (done, cost)
                    self.rendered_bytes += cost
            else:
                done = known[0]
            shown.append(dict(done))
        return shown

    def clear(self) -> None:
        self._entries.clear()
        self._rendered.clear()
        self.bytes = 0
        self.rendered_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
