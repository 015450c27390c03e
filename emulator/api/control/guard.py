"""Who may use the control API.

On loopback anyone may, unless an admin token is set. Off loopback (a container, a shared
CI host) the control API needs the token, and without one it is switched off, so a
neighbour on the network cannot reset the emulator or rewrite its scenarios. The health
check stays open: orchestrators need it.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from emulator.api import keys
from emulator.api.control.health import health
from emulator.codes import FORBIDDEN
from emulator.errors import ModelArtsError

OPEN_HANDLERS = frozenset({health})
ADMIN_HEADER = "X-Emulator-Admin-Token"


@web.middleware
async def guard_control_api(request: web.Request, handler) -> web.StreamResponse:
    if request.match_info.handler in OPEN_HANDLERS:
        return await handler(request)
    config = keys.shared(request, keys.CONFIG)
    if config.admin_token is None:
        if config.loopback_only:
            return await handler(request)
        raise ModelArtsError(
            FORBIDDEN,
            params=("control API",),
            detail="The emulator listens beyond loopback and no --admin-token is set, "
            "so the control API is off.",
        )
    if not hmac.compare_digest(_header_bytes(request, ADMIN_HEADER), config.admin_token.encode()):
        raise ModelArtsError(
            FORBIDDEN, params=("control API",), detail=f"Send the admin token in {ADMIN_HEADER}."
        )
    return await handler(request)


def _header_bytes(request: web.Request, name: str) -> bytes:
    """The header as bytes, never raising: aiohttp keeps bytes that are not UTF-8 as lone
    surrogates, which ``surrogatepass`` encodes (and which never match a token)."""
    return request.headers.get(name, "").encode("utf-8", "surrogatepass")
