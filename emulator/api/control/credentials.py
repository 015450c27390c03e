"""IAM helpers for tests: mint and expire tokens, add AK/SK pairs, without passwords."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.iam.tokens import iso_time
from emulator.api.json_body import json_response
from emulator.api.payloads import read_json
from emulator.auth.identity import Credential, IdentityError
from emulator.codes import INVALID_REQUEST
from emulator.errors import ModelArtsError


async def _admin_body(request: web.Request, required: tuple[str, ...]) -> dict:
    body = await read_json(request)
    missing = [name for name in required if not isinstance(body, dict) or not body.get(name)]
    if missing:
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"Send {', '.join(required)}; missing {', '.join(missing)}."
        )
    return body


async def mint_token(request: web.Request) -> web.Response:
    """POST /_emulator/iam/tokens {"user": name, "project": id or name}: a token, no password."""
    body = await _admin_body(request, ("user",))
    identities = keys.shared(request, keys.IDENTITIES)
    try:
        user = identities.user(name=str(body["user"]))
        project = None
        if body.get("project"):
            wanted = str(body["project"])
            project = identities.project(project_id=wanted, name=wanted, domain=user.domain)
    except IdentityError as error:
        raise ModelArtsError(INVALID_REQUEST, detail=str(error)) from None
    token = identities.issue(
        user, ["token"], keys.shared(request, keys.EMULATOR).clock, project=project
    )
    return json_response(
        {"token": token.value, "expires_at": iso_time(token.expires_ms)}, status=201
    )


async def expire_token(request: web.Request) -> web.Response:
    """POST /_emulator/iam/tokens/expire {"token": value}: the token expires now."""
    body = await _admin_body(request, ("token",))
    try:
        token = keys.shared(request, keys.IDENTITIES).expire(
            str(body["token"]), keys.shared(request, keys.EMULATOR).clock
        )
    except IdentityError as error:
        raise ModelArtsError(INVALID_REQUEST, http_status=404, detail=str(error)) from None
    return json_response({"expires_at": iso_time(token.expires_ms)})


async def add_credential(request: web.Request) -> web.Response:
    """POST /_emulator/iam/credentials {"access_key", "secret_key", "user", "security_token"?}"""
    body = await _admin_body(request, ("access_key", "secret_key", "user"))
    identities = keys.shared(request, keys.IDENTITIES)
    try:
        user = identities.user(name=str(body["user"]))
    except IdentityError as error:
        raise ModelArtsError(INVALID_REQUEST, detail=str(error)) from None
    identities.add_credential(
        Credential(
            str(body["access_key"]), str(body["secret_key"]), user, body.get("security_token")
        )
    )
    return json_response({"access_key": body["access_key"], "user": user.name}, status=201)
