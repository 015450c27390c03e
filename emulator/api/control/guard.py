"""Who may use the control API.

On loopback anyone may, unless an admin token is set. Off loopback (a container, a shared
CI host) the control API needs the token, and without one it is switched off, so a
neighbour on the network cannot reset the emulator or rewrite its scenarios. The health
check stays open: orchestrators need it; so does the console's sign-in form, which gives a
browser a session cookie for the token (a browser cannot send the header), and a console
page asked for without either is sent to that form.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from emulator.api import keys
from emulator.api.control.console import signin
from emulator.api.control.console.render import UI
from emulator.api.control.health import health
from emulator.codes import FORBIDDEN
from emulator.errors import ModelArtsError

OPEN_HANDLERS = frozenset({health})
ADMIN_HEADER = "X-Emulator-Admin-Token"


@web.middleware
async def guard_control_api(request: web.Request, handler) -> web.StreamResponse:
    if request.match_info.handler in OPEN_HANDLERS or request.path in signin.SIGN_IN_PATHS:
        return await handler(request)  # (by path too: a HEAD there is a 405, not a redirect)
    config = keys.shared(request, keys.CONFIG)
    if config.admin_token is None:
        if config.loopback_only:
            return await handler(request)
        if _is_console(request) and request.method == "GET":
            raise web.HTTPSeeOther(signin.sign_in_location(request))  # which says it is off
        raise ModelArtsError(
            FORBIDDEN,
            params=("control API",),
            detail="The emulator listens beyond loopback and no --admin-token is set, "
            "so the control API is off.",
        )
    token = config.admin_token
    if hmac.compare_digest(_header_bytes(request, ADMIN_HEADER), token.encode()):
        return await handler(request)
    if _is_console(request):
        if signin.has_session(request):
            return await handler(request)
        if request.method == "GET":
            raise web.HTTPSeeOther(signin.sign_in_location(request))
    raise ModelArtsError(
        FORBIDDEN, params=("control API",), detail=f"Send the admin token in {ADMIN_HEADER}."
    )


def _is_console(request: web.Request) -> bool:
    return request.path == UI or request.path.startswith(UI + "/")


def _header_bytes(request: web.Request, name: str) -> bytes:
    """The header as bytes, never raising: aiohttp keeps bytes that are not UTF-8 as lone
    surrogates, which ``surrogatepass`` encodes (and which never match a token)."""
    return request.headers.get(name, "").encode("utf-8", "surrogatepass")
