"""The IAM endpoints SDKs use against the emulator: tokens and project lookups (Keystone v3).

IAM is another service than ModelArts: its refusals are ``KeystoneError``s.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from emulator.api import keys
from emulator.api.authentication import check_request, signing_access_key
from emulator.api.json_body import json_response
from emulator.api.payloads import read_json
from emulator.auth.identity import (
    Domain,
    Identities,
    IdentityError,
    ProjectRef,
    Token,
    User,
)
from emulator.domain.clock import Clock
from emulator.errors import KeystoneError, ModelArtsError

ROLE = {"id": "0", "name": "op_service"}
MAX_NAME_CHARS = 255  # user, domain and project names and ids in a token request


def iso_time(milliseconds: int) -> str:
    seconds, rest = divmod(milliseconds, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest:03d}000Z"


def _domain_body(domain: Domain) -> dict:
    return {"id": domain.domain_id, "name": domain.name}


def _catalog(request: web.Request, identities: Identities, project: ProjectRef | None) -> list:
    base = f"{request.scheme}://{request.host}"
    obs_url = keys.shared(request, keys.ENDPOINTS).obs_url or base
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


def _strict(request: web.Request) -> bool:
    return keys.shared(request, keys.CONFIG).auth == "strict"


def _text(value: object) -> str | None:
    """A name or id from the request; over ``MAX_NAME_CHARS`` it is refused (Keystone
    keeps names to 255 characters; made-up identities and their tokens are kept)."""
    if not (isinstance(value, str) and value):
        return None
    if len(value) > MAX_NAME_CHARS:
        detail = f"{len(value)} characters (at most {MAX_NAME_CHARS})"
        raise KeystoneError(400, f"Invalid input: a name or id of {detail}.")
    return value


def _password_user(identities: Identities, user_entry: dict, *, strict: bool) -> User:
    """Strict: a seeded user with its password. Otherwise any user, domain and password
    (an unknown one is made up), so a team's existing SDK configuration works as it is."""
    domain_entry = user_entry.get("domain")
    domain_id = name = None
    if isinstance(domain_entry, dict):
        domain_id, name = _text(domain_entry.get("id")), _text(domain_entry.get("name"))
    user_id, user_name = _text(user_entry.get("id")), _text(user_entry.get("name"))
    if not strict:
        if domain_id is None and name is None:
            domain = _home_domain(identities, user_id, user_name)
        else:
            domain = identities.adopt_domain(domain_id=domain_id, name=name)
        return identities.adopt_user(user_id=user_id, name=user_name, domain=domain)
    domain = None
    if domain_id is not None or name is not None:
        try:
            domain = identities.domain(domain_id=domain_id, name=name)
        except IdentityError as error:
            raise KeystoneError(401, str(error)) from None
    try:
        user = identities.user(user_id=user_id, name=user_name, domain=domain)
    except IdentityError:
        raise KeystoneError(401, "The username or password is wrong.") from None
    given = str(user_entry["password"]).encode("utf-8", "surrogatepass")
    if not secrets.compare_digest(user.password.encode("utf-8"), given):
        raise KeystoneError(401, "The username or password is wrong.")
    return user


def _home_domain(identities: Identities, user_id: str | None, name: str | None) -> Domain:
    """The domain of a known user named without one, else the first seeded domain."""
    try:
        return identities.user(user_id=user_id, name=name).domain
    except IdentityError:
        return identities.first_domain()


def _authenticated_user(
    identities: Identities, identity: dict, clock: Clock, *, strict: bool
) -> tuple[User, list]:
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods:
        raise KeystoneError(400, "auth.identity.methods is required.")
    if "password" in methods:
        user_entry = _field(identity, "password", "user")
        if not isinstance(user_entry, dict) or not user_entry.get("password"):
            raise KeystoneError(400, "auth.identity.password.user with a password is required.")
        return _password_user(identities, user_entry, strict=strict), methods
    if "token" in methods:
        value = _field(identity, "token", "id")
        token = identities.token(str(value)) if value else None
        if token is None or token.expired(clock.now_ms()):
            raise KeystoneError(401, "The token is invalid or has expired.")
        return token.user, methods
    raise KeystoneError(400, f"Unsupported authentication methods {methods}.")


def _scope(
    identities: Identities, scope: object, user: User, *, strict: bool
) -> tuple[ProjectRef | None, Domain | None]:
    """The project or domain a token is for. Strict: only the user's own domain and its
    projects (401 otherwise). Otherwise any; a project name no domain has is made up in the
    user's domain."""
    if not isinstance(scope, dict):
        return None, None
    project_entry, domain_entry = scope.get("project"), scope.get("domain")
    if isinstance(project_entry, dict):
        project_id, name = _text(project_entry.get("id")), _text(project_entry.get("name"))
        if not strict:
            project = identities.adopt_project(project_id=project_id, name=name, domain=user.domain)
            return project, None
        try:
            return identities.project(project_id=project_id, name=name, domain=user.domain), None
        except IdentityError:
            raise KeystoneError(
                401, f"User {user.name} has no access to the project {name or project_id}."
            ) from None
    if isinstance(domain_entry, dict):
        domain_id, name = _text(domain_entry.get("id")), _text(domain_entry.get("name"))
        if not strict:
            return None, identities.adopt_domain(domain_id=domain_id, name=name)
        try:
            domain = identities.domain(domain_id=domain_id, name=name)
        except IdentityError as error:
            raise KeystoneError(401, str(error)) from None
        if domain.domain_id != user.domain.domain_id:
            raise KeystoneError(401, f"User {user.name} has no access to the domain {domain.name}.")
        return None, domain
    return None, None


async def issue_token(request: web.Request) -> web.Response:
    """POST /v3/auth/tokens: password or token method, scoped to a project or a domain."""
    try:
        document = await read_json(request)
    except ModelArtsError as error:
        if error.status in (408, 413):  # the body never arrived whole; the connection closes
            raise KeystoneError(error.status, "The request body was not received.") from None
        raise KeystoneError(400, f"The request body is not JSON ({error.code}).") from None
    identities = keys.shared(request, keys.IDENTITIES)
    clock = keys.shared(request, keys.EMULATOR).clock
    strict = _strict(request)
    identity = _field(document, "auth", "identity")
    if not isinstance(identity, dict):
        raise KeystoneError(400, "auth.identity is required.")
    user, methods = _authenticated_user(identities, identity, clock, strict=strict)
    scope = _field(document, "auth", "scope")
    project, domain_scope = _scope(identities, scope, user, strict=strict)
    token = identities.issue(user, methods, clock, project=project, domain_scope=domain_scope)
    return json_response(
        _token_body(request, identities, token),
        status=201,
        headers={"X-Subject-Token": token.value},
    )


async def _caller_domain(request: web.Request) -> Domain | None:
    """Who asks IAM's read endpoints. Strict: a valid token of this IAM or a valid signature
    of a known key (401 otherwise), and the caller's domain is returned. Permissive: a token
    or signature must be present; off: nothing. Then the caller sees every domain."""
    mode = keys.shared(request, keys.CONFIG).auth
    if mode == "off":
        return None
    refusal = KeystoneError(401, "The request you have made requires authentication.")
    if mode != "strict":
        try:
            await check_request(request, strict=False)
        except ModelArtsError:
            raise refusal from None
        return None
    identities = keys.shared(request, keys.IDENTITIES)
    value = request.headers.get("X-Auth-Token", "").strip()
    if value:
        token = identities.token(value)
        if token is None or token.expired(keys.shared(request, keys.EMULATOR).clock.now_ms()):
            raise refusal
        return token.user.domain
    try:
        credential = await check_request(request, strict=True)
    except ModelArtsError:
        raise refusal from None
    return credential.user.domain if credential is not None else None


async def validate_token(request: web.Request) -> web.Response:
    """GET /v3/auth/tokens: the token named by X-Subject-Token, if valid (strict: and of
    the caller's domain)."""
    domain = await _caller_domain(request)
    identities = keys.shared(request, keys.IDENTITIES)
    token = identities.token(request.headers.get("X-Subject-Token", ""))
    missing = KeystoneError(404, "The token could not be found or has expired.")
    if token is None or token.expired(keys.shared(request, keys.EMULATOR).clock.now_ms()):
        raise missing
    if domain is not None and token.user.domain.domain_id != domain.domain_id:
        raise missing
    return json_response(
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
    """GET /v3/projects?name=...: how SDKs find a project id from a region name.

    Strict: the caller's domain's projects only. Otherwise every domain's; a name no
    project has gets a new project in the caller's domain, as a token scoped to it would.
    """
    domain = await _caller_domain(request)
    identities = keys.shared(request, keys.IDENTITIES)
    name = request.query.get("name")
    projects = [p for p in identities.projects.values() if name is None or p.name == name]
    if domain is not None:
        projects = [p for p in projects if p.domain.domain_id == domain.domain_id]
    elif name and not projects and not _strict(request):
        home = _requester(request, identities)
        projects = [identities.adopt_project(project_id=None, name=name, domain=home)]
    base = f"{request.scheme}://{request.host}/v3/projects"
    return json_response(
        {
            "projects": [_project_body(p, identities.region) for p in projects],
            "links": {"self": base, "next": None, "previous": None},
        }
    )


def _requester(request: web.Request, identities: Identities) -> Domain:
    """Permissive: the domain of a known token or access key, else the first domain."""
    token = identities.token(request.headers.get("X-Auth-Token", "").strip())
    if token is not None:
        return token.user.domain
    access_key = signing_access_key(request.headers.get("Authorization", ""))
    credential = identities.credentials.get(access_key) if access_key else None
    return credential.user.domain if credential is not None else identities.first_domain()
