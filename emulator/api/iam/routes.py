"""The IAM route table and sub-app; scenarios apply here too (an expired token, a 401)."""

from __future__ import annotations

from aiohttp import web

from emulator.api.iam import discovery, tokens
from emulator.api.routing import OBJECT, RouteTable, add_routes, route
from emulator.api.scripted import apply_scenarios

PREFIX = "/v3"
KEYSTONE = {"error_schema": "KeystoneError"}

ROUTES: RouteTable = [
    (
        route("GET", "", "IAM: the v3 identity API (version discovery)", response=OBJECT),
        discovery.version,
    ),
    (
        route(
            "POST",
            "/auth/tokens",
            "IAM: issue a token",
            success=201,
            request=OBJECT,
            response=OBJECT,
            **KEYSTONE,
        ),
        tokens.issue_token,
    ),
    (
        route(
            "GET",
            "/auth/tokens",
            "IAM: validate the token in X-Subject-Token",
            response=OBJECT,
            **KEYSTONE,
        ),
        tokens.validate_token,
    ),
    (
        route("GET", "/projects", "IAM: projects, by name", response=OBJECT, **KEYSTONE),
        tokens.list_projects,
    ),
]


def create_iam_app() -> web.Application:
    app = web.Application(middlewares=[apply_scenarios])
    add_routes(app, ROUTES)
    return app
