"""The emulator's single source of time: the wall clock, or a manual clock tests move.

Everything that reads or waits for time (task timelines, token expiry, journal times,
scripted delays) goes through one ``Clock``, so a test can make time deterministic
(``ManualClock``) and waiting instant (an injected ``sleeper``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

Sleeper = Callable[[float], Awaitable[None]]
# The manual clock stays within what dates can show (before the year 3000).
LATEST_MS = 32_503_680_000_000


class ClockError(ValueError):
    """A move the clock refuses: backwards, or beyond the dates it can show."""


class Clock(Protocol):
    manual: bool

    def now_ms(self) -> int: ...

    def advance(self, milliseconds: int) -> int: ...

    def reset(self) -> None: ...

    async def sleep(self, milliseconds: float) -> None: ...


class _Sleeping:
    """Scripted delays really wait (a client's timeout must see them), through the sleeper."""

    def __init__(self, sleeper: Sleeper | None) -> None:
        self._sleeper = sleeper or asyncio.sleep

    async def sleep(self, milliseconds: float) -> None:
        await self._sleeper(milliseconds / 1000)


class SystemClock(_Sleeping):
    """Wall-clock time in milliseconds since the epoch."""

    manual = False

    def __init__(self, sleeper: Sleeper | None = None) -> None:
        super().__init__(sleeper)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def advance(self, milliseconds: int) -> int:
        raise ClockError("the system clock moves by itself; start with --clock manual")

    def reset(self) -> None:
        """Nothing to restore: wall time is not ours."""


class ManualClock(_Sleeping):
    """Time that moves only when told, so task timelines are deterministic in tests."""

    manual = True

    def __init__(self, start_ms: int | None = None, sleeper: Sleeper | None = None) -> None:
        super().__init__(sleeper)
        self._start_ms = time.time_ns() // 1_000_000 if start_ms is None else start_ms
        self._now_ms = self._start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, milliseconds: int) -> int:
        if milliseconds < 0:
            raise ClockError("the clock does not go back")
        if self._now_ms + milliseconds > LATEST_MS:
            raise ClockError(
                f"at most {LATEST_MS - self._now_ms} ms more: the clock stops before the year 3000"
            )
        self._now_ms += milliseconds
        return self._now_ms

    def reset(self) -> None:
        """Back to the time the emulator started at."""
        self._now_ms = self._start_ms
