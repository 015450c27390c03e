"""The emulator's own endpoints under ``/_emulator/`` (not part of the ModelArts API)."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.payloads import INVALID_REQUEST, read_json
from emulator.contract.openapi import lenient_document
from emulator.errors import ModelArtsError


async def openapi(request: web.Request) -> web.Response:
    """GET /openapi.json: the contract strict mode enforces; ``?mode=lenient``: lenient mode's."""
    mode = request.query.get("mode", "strict")
    if mode not in ("strict", "lenient"):
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"mode: expected strict or lenient, got {mode!r}"
        )
    document = request.app[keys.OPENAPI]
    return web.json_response(lenient_document(document) if mode == "lenient" else document)


async def health(request: web.Request) -> web.Response:
    """GET /_emulator/health: 200 once both the API and the OBS listener answer."""
    obs_url = request.app[keys.ENDPOINTS].obs_url
    body = {
        "status": "ready" if obs_url else "starting",
        "api": "ready",
        "obs": "ready" if obs_url else "not listening",
        "obs_url": obs_url,
    }
    return web.json_response(body, status=200 if obs_url else 503)


def _clock_body(request: web.Request) -> dict:
    clock = request.app[keys.EMULATOR].clock
    return {"mode": "manual" if clock.manual else "system", "now_ms": clock.now_ms()}


async def get_clock(request: web.Request) -> web.Response:
    """GET /_emulator/clock"""
    return web.json_response(_clock_body(request))


async def advance_clock(request: web.Request) -> web.Response:
    """POST /_emulator/clock/advance {"seconds": n} or {"milliseconds": n} (manual clock)."""
    emulator = request.app[keys.EMULATOR]
    if not emulator.clock.manual:
        raise ModelArtsError(
            INVALID_REQUEST, detail="The clock is the system clock; start with --clock manual."
        )
    body = await read_json(request)
    amount = body.get("milliseconds") if isinstance(body, dict) else None
    if amount is None and isinstance(body, dict) and body.get("seconds") is not None:
        amount = body["seconds"] * 1000
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        raise ModelArtsError(
            INVALID_REQUEST,
            detail='Send {"seconds": n} or {"milliseconds": n} with a number n >= 0.',
        )
    emulator.clock.advance(int(amount))
    emulator.tasks.advance()
    return web.json_response(_clock_body(request))
