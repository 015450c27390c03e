"""The control API's route table and sub-app."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.control import clock, credentials, health, journal, reset, scenarios
from emulator.api.control import coverage as coverage_api
from emulator.api.control.guard import guard_control_api
from emulator.api.routing import OBJECT, RouteTable, add_routes, route

PREFIX = "/_emulator"

ROUTES: RouteTable = [
    (route("GET", "/health", "Readiness", response=OBJECT), health.health),
    (
        route(
            "POST",
            "/reset",
            "Reset everything, a scenario or a project",
            request=OBJECT,
            response=OBJECT,
        ),
        reset.reset,
    ),
    (route("GET", "/clock", "The clock", response=OBJECT), clock.get_clock),
    (
        route("POST", "/clock/advance", "Move the manual clock", request=OBJECT, response=OBJECT),
        clock.advance_clock,
    ),
    (route("GET", "/scenarios", "Scenarios", response=OBJECT), scenarios.list_scenarios),
    (
        route(
            "POST",
            "/scenarios",
            "Load a scenario (YAML or JSON body)",
            success=201,
            request=OBJECT,
            response=OBJECT,
        ),
        scenarios.load_scenario,
    ),
    (
        route("GET", "/scenarios/{name}", "One scenario", response=OBJECT),
        scenarios.get_scenario,
    ),
    (
        route("PUT", "/scenarios/{name}", "Replace a scenario", request=OBJECT, response=OBJECT),
        scenarios.replace_scenario,
    ),
    (
        route("DELETE", "/scenarios/{name}", "Remove a scenario", success=204),
        scenarios.delete_scenario,
    ),
    (
        route("POST", "/scenarios/{name}/activate", "Apply to every request", response=OBJECT),
        scenarios.activate_scenario,
    ),
    (
        route("POST", "/scenarios/{name}/deactivate", "Stop applying", response=OBJECT),
        scenarios.deactivate_scenario,
    ),
    (route("GET", "/journal", "Recent requests", response=OBJECT), journal.read_journal),
    (route("DELETE", "/journal", "Empty the journal", success=204), journal.clear_journal),
    (
        route("POST", "/verify", "Count matching requests", request=OBJECT, response=OBJECT),
        journal.verify,
    ),
    (
        route("POST", "/iam/tokens", "Mint a token", success=201, request=OBJECT, response=OBJECT),
        credentials.mint_token,
    ),
    (
        route("POST", "/iam/tokens/expire", "Expire a token now", request=OBJECT, response=OBJECT),
        credentials.expire_token,
    ),
    (
        route(
            "POST",
            "/iam/credentials",
            "Add an AK/SK pair",
            success=201,
            request=OBJECT,
            response=OBJECT,
        ),
        credentials.add_credential,
    ),
    # Contract coverage (emulator/coverage.py): kept across resets, cleared on its own.
    (
        route("GET", "/coverage", "Contract coverage", response=OBJECT),
        coverage_api.read_coverage,
    ),
    (
        route("DELETE", "/coverage", "Forget contract coverage", success=204),
        coverage_api.clear_coverage,
    ),
]


def create_control_app() -> web.Application:
    app = web.Application(middlewares=[guard_control_api])
    app[keys.OFF_THE_RECORD] = True
    add_routes(app, ROUTES)
    return app
