"""The control API's route table and sub-app."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.control import clock, credentials, health, journal, reset, scenarios
from emulator.api.control import coverage as coverage_api
from emulator.api.control.console import actions as console_actions
from emulator.api.control.console import pages as console
from emulator.api.control.console import signin
from emulator.api.control.console.sessions import SESSIONS, ConsoleSessions
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
    # The web console (emulator/api/control/console): HTML pages and their forms.
    (route("GET", "/ui", "Console: start page (redirect)"), console.index),
    (route("GET", "/ui/", "Console: start page (redirect)"), console.index),
    (route("GET", "/ui/login", "Console: sign in with the admin token (HTML)"), signin.login_page),
    (
        route("POST", "/ui/login", "Console: sign in (form)", success=303),
        signin.sign_in,
    ),
    (
        route("POST", "/ui/logout", "Console: sign out (form)", success=303),
        signin.sign_out,
    ),
    (route("GET", "/ui/requests", "Console: the journal (HTML)"), console.requests_page),
    (route("GET", "/ui/requests/rows", "Console: journal rows (HTML)"), console.request_rows),
    (route("GET", "/ui/requests/{entry_id}", "Console: one request (HTML)"), console.request_page),
    (route("GET", "/ui/tasks", "Console: tasks and clock (HTML)"), console.tasks_page),
    (
        route("POST", "/ui/clock/advance", "Console: move the clock (form)", success=303),
        console_actions.advance_clock,
    ),
    (route("GET", "/ui/datasets", "Console: datasets (HTML)"), console.datasets_page),
    (
        route("GET", "/ui/datasets/{project_id}/{dataset_id}", "Console: samples (HTML)"),
        console.dataset_page,
    ),
    (route("GET", "/ui/obs", "Console: OBS buckets and objects (HTML)"), console.obs_page),
    (route("GET", "/ui/obs/object", "Console: an OBS object's bytes"), console.obs_object),
    (route("GET", "/ui/scenarios", "Console: scenarios (HTML)"), console.scenarios_page),
    (
        route("POST", "/ui/scenarios", "Console: load a scenario (form)", success=303),
        console_actions.load_scenario,
    ),
    (
        route(
            "POST", "/ui/scenarios/{name}/{action}", "Console: scenario action (form)", success=303
        ),
        console_actions.scenario_action,
    ),
    (route("GET", "/ui/coverage", "Console: contract coverage (HTML)"), console.coverage_page),
]


def create_control_app() -> web.Application:
    app = web.Application(middlewares=[guard_control_api])
    app[keys.OFF_THE_RECORD] = True
    app[SESSIONS] = ConsoleSessions()  # this instance's console sign-ins
    add_routes(app, ROUTES)
    return app
