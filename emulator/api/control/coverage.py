"""Contract coverage over HTTP: what the client exercised of the documented contract."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response


async def read_coverage(request: web.Request) -> web.Response:
    """GET /_emulator/coverage: per documented operation, what was and was not exercised."""
    return json_response(keys.shared(request, keys.COVERAGE).report())


async def clear_coverage(request: web.Request) -> web.Response:
    """DELETE /_emulator/coverage: start counting afresh (a reset leaves coverage alone)."""
    keys.shared(request, keys.COVERAGE).clear()
    return web.Response(status=204)
