"""Readiness for orchestrators and test fixtures; open even where the control API is guarded."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.obs.deferred import FAILED

# How long a health request waits for OBS storage still loading (it takes well under 1 s).
STORAGE_WAIT_SECONDS = 10.0


async def health(request: web.Request) -> web.Response:
    """GET /_emulator/health: 200 once both the API and the OBS listener answer.

    OBS storage (moto) loads in the background right after start (emulator/obs/deferred.py);
    a health request that comes earlier waits for it, so "ready" still means that every
    request is answered at once, and a 503 never means "wait a little".
    """
    obs_url = keys.shared(request, keys.ENDPOINTS).obs_url
    store = keys.shared(request, keys.OBS_STORE)
    if not obs_url:
        obs = "not listening"
    elif await store.wait_loaded(STORAGE_WAIT_SECONDS):
        obs = "ready"
    else:
        obs = "storage failed to load" if store.state == FAILED else "storage loading"
    ready = obs == "ready"
    body = {
        "status": "ready" if ready else "starting",
        "api": "ready",
        "obs": obs,
        "obs_url": obs_url,
    }
    return json_response(body, status=200 if ready else 503)
