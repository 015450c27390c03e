"""The emulator's single source of time, so tests can later replace it with a manual one."""

from __future__ import annotations

import time


class SystemClock:
    """Wall-clock time in milliseconds since the epoch."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
