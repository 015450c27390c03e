"""The console's sign-in sessions: which browsers signed in with the admin token, until when.

A session is a random id the emulator keeps in memory; the browser's cookie holds only that
id. So signing out ends it on the server (the same cookie sent again is refused like none),
it ends by itself after the configured lifetime (``--console-session``, on the emulator's
clock, so a manual clock's advance counts), and a cookie from another emulator process or
instance, or from before a restart, opens nothing here. Used on the event loop only.
"""

from __future__ import annotations

import secrets

from aiohttp import web

MAX_SESSIONS = 256  # a script signing in again and again pushes out the oldest


class ConsoleSessions:
    """Open sessions by id, each with the emulator time (ms) it ends at."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self._ends: dict[str, int] = {}
        self._limit = limit

    def open(self, now_ms: int, lifetime_ms: int) -> str:
        """A new session's id, open until ``now_ms + lifetime_ms``."""
        self._ends = {sid: end for sid, end in self._ends.items() if end > now_ms}
        while len(self._ends) >= self._limit:
            del self._ends[next(iter(self._ends))]  # the oldest goes
        session_id = secrets.token_urlsafe(32)
        self._ends[session_id] = now_ms + lifetime_ms
        return session_id

    def is_open(self, session_id: str, now_ms: int) -> bool:
        end = self._ends.get(session_id)
        if end is None:
            return False
        if now_ms >= end:
            del self._ends[session_id]
            return False
        return True

    def close(self, session_id: str) -> None:
        self._ends.pop(session_id, None)


SESSIONS = web.AppKey("console_sessions", ConsoleSessions)
