"""Readiness for orchestrators and test fixtures; open even where the control API is guarded."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys


async def health(request: web.Request) -> web.Response:
    """GET /_emulator/health: 200 once both the API and the OBS listener answer."""
    obs_url = keys.shared(request, keys.ENDPOINTS).obs_url
    body = {
        "status": "ready" if obs_url else "starting",
        "api": "ready",
        "obs": "ready" if obs_url else "not listening",
        "obs_url": obs_url,
    }
    return web.json_response(body, status=200 if obs_url else 503)
