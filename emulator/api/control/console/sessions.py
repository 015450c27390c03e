"""The console's sign-in sessions: which browsers signed in with the admin token, until when.

A session is a random id the emulator keeps in memory; the browser's cookie holds only that
id. So signing out ends it on the server (the same cookie sent again is refused like none),
it ends by itself ``--console-session`` seconds after sign-in, and a cookie from another
emulator process or instance, or from before a restart, opens nothing here. Sessions are
timed on the table's own monotonic clock, never on the emulator's task clock: advancing a
manual clock, or a reset winding it back, neither ends a session early nor stretches one.
Used on the event loop only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from aiohttp import web

MAX_SESSIONS = 256  # a script signing in again and again pushes out the least recently used


class ConsoleSessions:
    """Open sessions by id, each with the time it ends at on ``clock``, least recently used
    first. ``clock``: seconds that only go forward (tests replace it)."""

    def __init__(
        self, limit: int = MAX_SESSIONS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ends: dict[str, float] = {}
        self._limit = limit
        self.clock = clock

    def open(self, lifetime: float) -> str:
        """A new session's id, open for ``lifetime`` seconds from now."""
        now = self.clock()
        self._ends = {sid: end for sid, end in self._ends.items() if end > now}
        while len(self._ends) >= self._limit:
            del self._ends[next(iter(self._ends))]  # the least recently used goes
        session_id = secrets.token_urlsafe(32)
        self._ends[session_id] = now + lifetime
        return session_id

    def is_open(self, session_id: str) -> bool:
        """Whether the session is open; using it makes it the most recently used."""
        end = self._ends.pop(session_id, None)
        if end is None or self.clock() >= end:
            return False
        self._ends[session_id] = end  # to the end of the order
        return True

    def close(self, session_id: str) -> None:
        self._ends.pop(session_id, None)


SESSIONS = web.AppKey("console_sessions", ConsoleSessions)
