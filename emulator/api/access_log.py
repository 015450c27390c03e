"""One log line per request: method, path, status, error code, milliseconds."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from emulator.api import keys

log = logging.getLogger("emulator.access")


@web.middleware
async def log_requests(request: web.Request, handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %d %s %.1fms",
            request.method,
            request.path,
            response.status,
            request.get(keys.ERROR_CODE, "-"),
            (time.perf_counter() - started) * 1000,
        )
    return response
