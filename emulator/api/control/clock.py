"""The emulator's clock: read it, and move it when it is the manual clock."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.api.payloads import read_json
from emulator.codes import INVALID_REQUEST
from emulator.domain.clock import ClockError
from emulator.errors import ModelArtsError

ADVANCE_SHAPE = 'Send {"seconds": n} or {"milliseconds": n} with a number 0 <= n < 1e15.'
MAX = 1e15


def _clock_body(request: web.Request) -> dict:
    clock = keys.shared(request, keys.EMULATOR).clock
    return {"mode": "manual" if clock.manual else "system", "now_ms": clock.now_ms()}


async def get_clock(request: web.Request) -> web.Response:
    """GET /_emulator/clock"""
    return json_response(_clock_body(request))


def _milliseconds(body: object) -> int:
    """The amount to move by: one finite, non-negative number, checked before any arithmetic."""
    if (
        not isinstance(body, dict)
        or len(body) != 1
        or not body.keys() <= {"seconds", "milliseconds"}
    ):
        raise ModelArtsError(INVALID_REQUEST, detail=ADVANCE_SHAPE)
    unit, amount = next(iter(body.items()))
    if not isinstance(amount, int | float) or isinstance(amount, bool) or not 0 <= amount < MAX:
        raise ModelArtsError(INVALID_REQUEST, detail=ADVANCE_SHAPE)
    return int(amount * 1000) if unit == "seconds" else int(amount)


async def advance_clock(request: web.Request) -> web.Response:
    """POST /_emulator/clock/advance {"seconds": n} or {"milliseconds": n} (manual clock)."""
    emulator = keys.shared(request, keys.EMULATOR)
    if not emulator.clock.manual:
        raise ModelArtsError(
            INVALID_REQUEST, detail="The clock is the system clock; start with --clock manual."
        )
    milliseconds = _milliseconds(await read_json(request))
    try:
        emulator.advance_clock(milliseconds)
    except ClockError as error:
        raise ModelArtsError(INVALID_REQUEST, detail=f"The clock cannot move: {error}.") from None
    return json_response(_clock_body(request))
