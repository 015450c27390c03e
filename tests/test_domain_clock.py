"""The one clock: a manual clock moves only when told and only forward, within dates the
API can show; scripted delays go through an injectable sleeper."""

from __future__ import annotations

import asyncio
import time

import pytest

from emulator.domain.clock import LATEST_MS, ClockError, ManualClock, SystemClock
from tests.domain_support import RecordingSleeper

START_MS = 1_700_000_000_000


def test_manual_clock_starts_where_told_and_stays_there():
    clock = ManualClock(start_ms=START_MS)

    assert (clock.manual, clock.now_ms(), clock.now_ms()) == (True, START_MS, START_MS)


def test_manual_clock_starts_at_the_wall_time_by_default():
    before = time.time_ns() // 1_000_000
    clock = ManualClock()
    after = time.time_ns() // 1_000_000

    assert before <= clock.now_ms() <= after


def test_advance_moves_forward_and_returns_the_new_time():
    clock = ManualClock(start_ms=START_MS)

    assert clock.advance(1_500) == START_MS + 1_500
    assert clock.advance(0) == START_MS + 1_500
    assert clock.now_ms() == START_MS + 1_500


def test_the_clock_does_not_go_back():
    clock = ManualClock(start_ms=START_MS)

    with pytest.raises(ClockError, match="does not go back"):
        clock.advance(-1)
    assert clock.now_ms() == START_MS


def test_the_clock_reaches_its_last_date_but_not_beyond():
    clock = ManualClock(start_ms=START_MS)
    remaining = LATEST_MS - START_MS

    with pytest.raises(ClockError, match=f"at most {remaining} ms more"):
        clock.advance(remaining + 1)
    assert clock.advance(remaining) == LATEST_MS


def test_reset_goes_back_to_the_start_time():
    clock = ManualClock(start_ms=START_MS)
    clock.advance(60_000)

    clock.reset()

    assert clock.now_ms() == START_MS


def test_system_clock_reads_the_wall_time():
    clock = SystemClock()
    before = time.time_ns() // 1_000_000
    now = clock.now_ms()
    after = time.time_ns() // 1_000_000

    assert clock.manual is False
    assert before <= now <= after


def test_system_clock_cannot_be_moved_and_reset_is_harmless():
    clock = SystemClock()

    with pytest.raises(ClockError, match="--clock manual"):
        clock.advance(1)
    assert clock.reset() is None


@pytest.mark.parametrize("make", [SystemClock, ManualClock])
async def test_sleep_asks_the_injected_sleeper_for_seconds(make):
    recorder = RecordingSleeper()
    clock = make(sleeper=recorder)

    await clock.sleep(1_500)
    await clock.sleep(250)

    assert recorder.seconds == [1.5, 0.25]


async def test_sleeping_leaves_a_manual_clock_where_it_is():
    clock = ManualClock(start_ms=START_MS, sleeper=RecordingSleeper())

    await clock.sleep(10_000)

    assert clock.now_ms() == START_MS


async def test_without_a_sleeper_the_clock_waits_on_the_event_loop():
    turned = []
    asyncio.get_running_loop().call_soon(turned.append, True)

    await SystemClock().sleep(0)  # asyncio.sleep(0) lets the loop run what is ready

    assert turned == [True]
