"""Scenarios at run time: list, load, replace, remove, activate and deactivate them."""

from __future__ import annotations

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.api.payloads import read_body
from emulator.codes import EMPTY_REQUEST, INVALID_REQUEST
from emulator.errors import ModelArtsError
from emulator.scenarios.engine import ScenarioBook, ScenarioConflict
from emulator.scenarios.loader import ScenarioError
from emulator.scenarios.model import Scenario

ADMIN_SOURCE = "<admin API>"


def _summary(book: ScenarioBook, scenario: Scenario) -> dict:
    fired = book.fired(scenario.name)
    return {
        "name": scenario.name,
        "description": scenario.description,
        "active": scenario.name in book.active,
        "state": book.state_of(scenario.name),
        "source": scenario.source,
        "rules": [{"name": rule.name, "fired": fired[rule.name]} for rule in scenario.rules],
        "warnings": scenario.warnings,
    }


async def _scenario_from_body(request: web.Request) -> Scenario:
    text = (await read_body(request)).decode("utf-8", errors="replace")
    if not text.strip():
        raise ModelArtsError(EMPTY_REQUEST)
    try:
        return keys.shared(request, keys.SCENARIO_LOADER).load_text(text, ADMIN_SOURCE)
    except ScenarioError as error:
        raise ModelArtsError(INVALID_REQUEST, message=str(error)) from None


async def list_scenarios(request: web.Request) -> web.Response:
    book = keys.shared(request, keys.SCENARIOS)
    return json_response(
        {"scenarios": [_summary(book, s) for s in book.scenarios.values()], "active": book.active}
    )


async def load_scenario(request: web.Request) -> web.Response:
    """POST /_emulator/scenarios: the body is a scenario file (YAML or JSON)."""
    scenario = await _scenario_from_body(request)
    book = keys.shared(request, keys.SCENARIOS)
    try:
        book.add(scenario)
    except ScenarioConflict as conflict:
        raise ModelArtsError(
            INVALID_REQUEST,
            http_status=409,
            detail=f"{conflict}; PUT /_emulator/scenarios/{scenario.name} replaces it",
        ) from None
    return json_response(_summary(book, scenario), status=201)


async def replace_scenario(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    scenario = await _scenario_from_body(request)
    if scenario.name != name:
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"The body names {scenario.name!r}, the URL {name!r}."
        )
    book = keys.shared(request, keys.SCENARIOS)
    book.add(scenario, replace=True)
    return json_response(_summary(book, scenario))


async def get_scenario(request: web.Request) -> web.Response:
    book = keys.shared(request, keys.SCENARIOS)
    return json_response(_summary(book, book.get(request.match_info["name"])))


async def delete_scenario(request: web.Request) -> web.Response:
    keys.shared(request, keys.SCENARIOS).remove(request.match_info["name"])
    return web.Response(status=204)


async def activate_scenario(request: web.Request) -> web.Response:
    book = keys.shared(request, keys.SCENARIOS)
    book.activate(request.match_info["name"])
    return json_response(_summary(book, book.get(request.match_info["name"])))


async def deactivate_scenario(request: web.Request) -> web.Response:
    book = keys.shared(request, keys.SCENARIOS)
    scenario = book.get(request.match_info["name"])
    book.deactivate(scenario.name)
    return json_response(_summary(book, scenario))
