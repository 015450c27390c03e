"""The emulator's single source of time: the wall clock, or a manual clock tests move."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time in milliseconds since the epoch."""

    manual = False

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """Time that moves only when told, so task timelines are deterministic in tests."""

    manual = True

    def __init__(self, start_ms: int | None = None) -> None:
        self._now_ms = SystemClock().now_ms() if start_ms is None else start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, milliseconds: int) -> int:
        if milliseconds < 0:
            raise ValueError("the clock does not go back")
        self._now_ms += milliseconds
        return self._now_ms
