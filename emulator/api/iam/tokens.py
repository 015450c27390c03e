"""The IAM endpoints SDKs use against the emulator: tokens and project lookups (Keystone v3).

IAM is another service than ModelArts: its refusals are ``KeystoneError``s.
"""

from __future__ import annotations

import time

from aiohttp import web

from emulator.api import keys
from emulator.api.authentication import check_request
from emulator.api.payloads import read_json
from emulator.auth.identity import (
    Domain,
    Identities,
    IdentityError,
    ProjectRef,
    Token,
    User,
)
from emulator.errors import KeystoneError, ModelArtsError

ROLE = {"id": "0", "name": "op_service"}


def iso_time(milliseconds: int) -> str:
    seconds, rest = divmod(milliseconds, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest:03d}000Z"


def _domain_body(domain: Domain) -> dict:
    return {"id": domain.domain_id, "name": domain.name}


def _catalog(request: web.Request, identities: Identities, project: ProjectRef | None) -> list:
    base = f"{request.scheme}://{request.host}"
    obs_url = request.config_dict[keys.ENDPOINTS].obs_url or base
    region = identities.region
    project_part = f"/v2/{project.project_id}" if project else "/v2"

    def service(kind: str, url: str) -> dict:
        return {
            "id": f"{kind}-service",
            "type": kind,
            "name": kind,
            "endpoints": [
                {
                    "id": f"{kind}-{region}",
                    "interface": "public",
                    "region": region,
                    "region_id": region,
                    "url": url,
                }
            ],
        }

    return [
        service("modelarts", base),
        service("modelartsv2", base + project_part),
        service("object-store", obs_url),
        service("obs", obs_url),
        service("identity", base + "/v3"),
    ]


def _token_body(request: web.Request, identities: Identities, token: Token) -> dict:
    body = {
        "methods": token.methods,
        "issued_at": iso_time(token.issued_ms),
        "expires_at": iso_time(token.expires_ms),
        "user": {
            "id": token.user.user_id,
            "name": token.user.name,
            "domain": _domain_body(token.user.domain),
            "password_expires_at": "",
        },
        "roles": [ROLE],
        "catalog": _catalog(request, identities, token.project),
    }
    if token.project is not None:
        body["project"] = {
            "id": token.project.project_id,
            "name": token.project.name,
            "domain": _domain_body(token.project.domain),
        }
    if token.domain_scope is not None:
        body["domain"] = _domain_body(token.domain_scope)
    return {"token": body}


def _field(document: object, *path: str) -> object:
    for name in path:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


def _authenticated_user(identities: Identities, identity: dict, clock) -> tuple[User, list]:
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods:
        raise KeystoneError(400, "auth.identity.methods is required.")
    if "password" in methods:
        user_entry = _field(identity, "password", "user")
        if not isinstance(user_entry, dict) or not user_entry.get("password"):
            raise KeystoneError(400, "auth.identity.password.user with a password is required.")
        domain = None
        domain_entry = user_entry.get("domain")
        if isinstance(domain_entry, dict):
            try:
                domain = identities.domain(
                    domain_id=domain_entry.get("id"), name=domain_entry.get("name")
                )
            except IdentityError as error:
                raise KeystoneError(401, str(error)) from None
        try:
            user = identities.user(
                user_id=user_entry.get("id"), name=user_entry.get("name"), domain=domain
            )
        except IdentityError:
            raise KeystoneError(401, "The username or password is wrong.") from None
        if user.password != user_entry["password"]:
            raise KeystoneError(401, "The username or password is wrong.")
        return user, methods
    if "token" in methods:
        value = _field(identity, "token", "id")
        token = identities.token(str(value)) if value else None
        if token is None or token.expired(clock.now_ms()):
            raise KeystoneError(401, "The token is invalid or has expired.")
        return token.user, methods
    raise KeystoneError(400, f"Unsupported authentication methods {methods}.")


async def issue_token(request: web.Request) -> web.Response:
    """POST /v3/auth/tokens: password or token method, scoped to a project or a domain."""
    try:
        document = await read_json(request)
    except ModelArtsError as error:
        raise KeystoneError(400, f"The request body is not JSON ({error.code}).") from None
    identities = request.config_dict[keys.IDENTITIES]
    clock = request.config_dict[keys.EMULATOR].clock
    identity = _field(document, "auth", "identity")
    if not isinstance(identity, dict):
        raise KeystoneError(400, "auth.identity is required.")
    user, methods = _authenticated_user(identities, identity, clock)
    scope = _field(document, "auth", "scope") or {}
    project = domain_scope = None
    try:
        if isinstance(scope, dict) and isinstance(scope.get("project"), dict):
            project = identities.project(
                project_id=scope["project"].get("id"), name=scope["project"].get("name")
            )
        elif isinstance(scope, dict) and isinstance(scope.get("domain"), dict):
            domain_scope = identities.domain(
                domain_id=scope["domain"].get("id"), name=scope["domain"].get("name")
            )
    except IdentityError as error:
        raise KeystoneError(401, str(error)) from None
    token = identities.issue(user, methods, clock, project=project, domain_scope=domain_scope)
    return web.json_response(
        _token_body(request, identities, token),
        status=201,
        headers={"X-Subject-Token": token.value},
    )


async def _require_credentials(request: web.Request) -> None:
    try:
        await check_request(request, strict=False)
    except ModelArtsError:
        raise KeystoneError(401, "The request you have made requires authentication.") from None


async def validate_token(request: web.Request) -> web.Response:
    """GET /v3/auth/tokens: the token named by X-Subject-Token, if valid."""
    await _require_credentials(request)
    identities = request.config_dict[keys.IDENTITIES]
    token = identities.token(request.headers.get("X-Subject-Token", ""))
    if token is None or token.expired(request.config_dict[keys.EMULATOR].clock.now_ms()):
        raise KeystoneError(404, "The token could not be found or has expired.")
    return web.json_response(
        _token_body(request, identities, token), headers={"X-Subject-Token": token.value}
    )


def _project_body(project: ProjectRef, region: str) -> dict:
    return {
        "id": project.project_id,
        "name": project.name,
        "domain_id": project.domain.domain_id,
        "enabled": True,
        "is_domain": False,
        "parent_id": project.domain.domain_id,
        "description": "",
        "region": region,
    }


async def list_projects(request: web.Request) -> web.Response:
    """GET /v3/projects?name=...: how SDKs find a project id from a region name."""
    await _require_credentials(request)
    identities = request.config_dict[keys.IDENTITIES]
    name = request.query.get("name")
    projects = [p for p in identities.projects.values() if name is None or p.name == name]
    base = f"{request.scheme}://{request.host}/v3/projects"
    return web.json_response(
        {
            "projects": [_project_body(p, identities.region) for p in projects],
            "links": {"self": base, "next": None, "previous": None},
        }
    )
