"""The S3-compatible OBS listener: every request goes whole to the instance's ObjectStore."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from emulator.obs.store import ObjectStore

log = logging.getLogger("emulator.obs")
STORE = web.AppKey("object_store", ObjectStore)
# Hop-by-hop or recomputed by aiohttp; moto's values would conflict with the real ones.
_DROPPED_HEADERS = {"content-length", "transfer-encoding", "connection", "server", "date"}


async def _serve(request: web.Request) -> web.Response:
    started = time.perf_counter()
    body = await request.read()
    status, headers, payload = request.app[STORE].handle(
        request.method, request.path_qs, list(request.headers.items()), body
    )
    response = web.Response(
        status=status,
        body=b"" if request.method == "HEAD" else payload,
        headers={k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
    )
    if request.method == "HEAD" and "content-length" in {k.lower() for k in headers}:
        response.headers["Content-Length"] = next(
            v for k, v in headers.items() if k.lower() == "content-length"
        )
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.path,
            status,
            (time.perf_counter() - started) * 1000,
        )
    return response


def create_obs_app(store: ObjectStore, max_body_bytes: int) -> web.Application:
    """An application answering the S3 protocol on its own port."""
    app = web.Application(client_max_size=max_body_bytes)
    app[STORE] = store
    app.router.add_route("*", "/{tail:.*}", _serve)
    return app
