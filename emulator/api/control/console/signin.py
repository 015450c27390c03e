"""Signing in to the console with the admin token, so a plain browser can use it.

With ``--admin-token`` set, every control call needs the token; a browser cannot send a
header, so the sign-in form trades the token for a session cookie (``HttpOnly``,
``SameSite=Strict``, scoped to the console's path). The cookie holds a random session id,
never the token; the session lives in this emulator instance only (``sessions``), ends on
sign-out and ``--console-session`` seconds after sign-in (real time, not the emulator's
clock). Signing in is refused when another site posts the form, like every console form.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web
from yarl import URL

from emulator.api import keys
from emulator.api.control.console.actions import same_origin
from emulator.api.control.console.render import UI, page
from emulator.api.control.console.sessions import SESSIONS
from emulator.api.payloads import read_body
from emulator.codes import INVALID_REQUEST
from emulator.errors import ModelArtsError

SESSION_COOKIE = "modelarts_emulator_console"
MAX_NEXT_CHARS = 2048
FORM_TYPE = "application/x-www-form-urlencoded"
SIGN_IN_PATHS = frozenset({f"{UI}/login", f"{UI}/logout"})


def has_session(request: web.Request) -> bool:
    """Whether the request's cookie names a session of this emulator that is still open."""
    presented = request.cookies.get(SESSION_COOKIE)
    if not presented:
        return False
    return request.config_dict[SESSIONS].is_open(presented)


def sign_in_location(request: web.Request) -> str:
    """Where a browser without a session is sent: the form, then back to this page."""
    return str(URL(f"{UI}/login").with_query(next=request.rel_url.path_qs[:MAX_NEXT_CHARS]))


def _next_page(value: str | None) -> str:
    """Only a console page of this emulator: never another site (no open redirect)."""
    start = f"{UI}/requests"
    if not value or len(value) > MAX_NEXT_CHARS or "\\" in value:
        return start
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not (parts.path == UI or parts.path.startswith(UI + "/")):
        return start
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return start
    return value


async def login_page(request: web.Request) -> web.Response:
    """GET /_emulator/ui/login?next=PATH"""
    config = keys.shared(request, keys.CONFIG)
    wanted = _next_page(request.query.get("next"))
    if config.admin_token is None and config.loopback_only:
        raise web.HTTPSeeOther(wanted)  # nothing to sign in to
    return _form(config.admin_token is not None, wanted)


async def sign_in(request: web.Request) -> web.Response:
    """POST /_emulator/ui/login (form fields ``token`` and ``next``)."""
    same_origin(request)
    config = keys.shared(request, keys.CONFIG)
    if request.content_type != FORM_TYPE:
        raise ModelArtsError(INVALID_REQUEST, detail=f"(the sign-in form is sent as {FORM_TYPE})")
    # The one reader (size and time limits hold here too); bytes that are not UTF-8 can only
    # make a wrong token.
    raw = await read_body(request)
    form: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(name, value)
    wanted = _next_page(form.get("next"))
    if config.admin_token is None:
        if config.loopback_only:
            raise web.HTTPSeeOther(wanted)
        return _form(False, wanted)
    given = form.get("token", "").encode()
    if not hmac.compare_digest(given, config.admin_token.encode()):
        return _form(True, wanted, error="That is not the admin token.")
    sessions = request.config_dict[SESSIONS]
    _end_presented_session(request)  # a browser signing in again gets a new id
    answer = web.HTTPSeeOther(wanted)
    answer.set_cookie(
        SESSION_COOKIE,
        sessions.open(config.console_session),
        path=UI,
        max_age=max(1, int(config.console_session)),
        httponly=True,
        samesite="Strict",
    )
    raise answer


async def sign_out(request: web.Request) -> web.Response:
    """POST /_emulator/ui/logout: end the session here, and have the browser forget it."""
    same_origin(request)
    _end_presented_session(request)
    answer = web.HTTPSeeOther(f"{UI}/login")
    answer.del_cookie(SESSION_COOKIE, path=UI)
    raise answer


def _end_presented_session(request: web.Request) -> None:
    presented = request.cookies.get(SESSION_COOKIE)
    if presented:
        request.config_dict[SESSIONS].close(presented)


def _form(token_set: bool, wanted: str, error: str | None = None) -> web.Response:
    if not token_set:
        error = (
            "The emulator listens beyond loopback and no --admin-token is set, so the "
            "control API and this console are off."
        )
    return page(
        "login.html",
        "",
        status=403 if error else 200,
        title="Sign in",
        wanted=wanted,
        token_set=token_set,
        error=error,
    )
