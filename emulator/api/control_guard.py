"""Who may use the control API (``/_emulator/...``).

On loopback anyone may, unless an admin token is set. Off loopback (a container, a shared
CI host) the control API needs the token, and without one it is switched off, so a
neighbour on the network cannot reset the emulator or rewrite its scenarios. The health
check stays open: orchestrators need it.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from emulator.api import keys
from emulator.errors import ModelArtsError

CONTROL_PREFIX = "/_emulator/"
OPEN_PATHS = frozenset({"/_emulator/health"})
ADMIN_HEADER = "X-Emulator-Admin-Token"
FORBIDDEN = "ModelArts.0108"


@web.middleware
async def guard_control_api(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith(CONTROL_PREFIX) or request.path in OPEN_PATHS:
        return await handler(request)
    config = request.app[keys.CONFIG]
    if config.admin_token is None:
        if config.loopback_only:
            return await handler(request)
        raise ModelArtsError(
            FORBIDDEN,
            params=("control API",),
            detail="The emulator listens beyond loopback and no --admin-token is set, "
            "so the control API is off.",
        )
    given = request.headers.get(ADMIN_HEADER, "")
    if not hmac.compare_digest(given.encode(), config.admin_token.encode()):
        raise ModelArtsError(
            FORBIDDEN, params=("control API",), detail=f"Send the admin token in {ADMIN_HEADER}."
        )
    return await handler(request)
