"""The emulator's own endpoints under ``/_emulator/`` (not part of the ModelArts API)."""

from __future__ import annotations

from aiohttp import web


async def health(request: web.Request) -> web.Response:
    """GET /_emulator/health: 200 once the server answers requests."""
    return web.json_response({"status": "ready"})
