"""The control API for scenarios, the journal, verification and resets (``/_emulator/``)."""

from __future__ import annotations

import json

from aiohttp import web

from emulator.api import keys
from emulator.api.payloads import EMPTY_REQUEST, INVALID_REQUEST, read_json
from emulator.errors import ModelArtsError
from emulator.scenarios.engine import ScenarioBook, ScenarioConflict
from emulator.scenarios.loader import ScenarioError
from emulator.scenarios.matcher import RequestView, failures
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
    text = (await request.read()).decode("utf-8", errors="replace")
    if not text.strip():
        raise ModelArtsError(EMPTY_REQUEST)
    try:
        return request.app[keys.SCENARIO_LOADER].load_text(text, ADMIN_SOURCE)
    except ScenarioError as error:
        raise ModelArtsError(INVALID_REQUEST, message=str(error)) from None


async def list_scenarios(request: web.Request) -> web.Response:
    book = request.app[keys.SCENARIOS]
    return web.json_response(
        {"scenarios": [_summary(book, s) for s in book.scenarios.values()], "active": book.active}
    )


async def load_scenario(request: web.Request) -> web.Response:
    """POST /_emulator/scenarios: the body is a scenario file (YAML or JSON)."""
    scenario = await _scenario_from_body(request)
    book = request.app[keys.SCENARIOS]
    try:
        book.add(scenario)
    except ScenarioConflict as conflict:
        raise ModelArtsError(
            INVALID_REQUEST,
            http_status=409,
            detail=f"{conflict}; PUT /_emulator/scenarios/{scenario.name} replaces it",
        ) from None
    return web.json_response(_summary(book, scenario), status=201)


async def replace_scenario(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    scenario = await _scenario_from_body(request)
    if scenario.name != name:
        raise ModelArtsError(
            INVALID_REQUEST, detail=f"The body names {scenario.name!r}, the URL {name!r}."
        )
    book = request.app[keys.SCENARIOS]
    book.add(scenario, replace=True)
    return web.json_response(_summary(book, scenario))


async def get_scenario(request: web.Request) -> web.Response:
    book = request.app[keys.SCENARIOS]
    return web.json_response(_summary(book, book.get(request.match_info["name"])))


async def delete_scenario(request: web.Request) -> web.Response:
    request.app[keys.SCENARIOS].remove(request.match_info["name"])
    return web.Response(status=204)


async def activate_scenario(request: web.Request) -> web.Response:
    book = request.app[keys.SCENARIOS]
    book.activate(request.match_info["name"])
    return web.json_response(_summary(book, book.get(request.match_info["name"])))


async def deactivate_scenario(request: web.Request) -> web.Response:
    book = request.app[keys.SCENARIOS]
    scenario = book.get(request.match_info["name"])
    book.deactivate(scenario.name)
    return web.json_response(_summary(book, scenario))


async def reset(request: web.Request) -> web.Response:
    """POST /_emulator/reset: everything, or ``{"scenario": name}``, or ``{"project_id": id}``.

    Everything means: datasets, tasks and OBS back to the seed, scenarios back to those
    loaded at start (runtime-loaded ones go), their states and counters, the journal,
    issued tokens and runtime AK/SK pairs.
    """
    target = await read_json(request) if request.can_read_body else {}
    if not isinstance(target, dict) or set(target) - {"scenario", "project_id"}:
        raise ModelArtsError(
            INVALID_REQUEST, detail='Send {}, {"scenario": name} or {"project_id": id}.'
        )
    book = request.app[keys.SCENARIOS]
    emulator = request.app[keys.EMULATOR]
    if "scenario" in target:
        book.reset(book.get(str(target["scenario"])).name)
    if "project_id" in target:
        emulator.reset_project(str(target["project_id"]))
    if not target:
        emulator.reset()
        book.restore()
        request.app[keys.JOURNAL].clear()
        request.app[keys.IDENTITIES].reset()
    return web.json_response({"reset": target or "everything"})


def _journal_filter(entry: dict, query: dict) -> bool:
    for field in ("method", "path", "scenario", "rule", "error_code"):
        if field in query and str(entry.get(field)) != query[field]:
            return False
    return not ("status" in query and str(entry["status"]) != query["status"])


async def read_journal(request: web.Request) -> web.Response:
    """GET /_emulator/journal?method=&path=&status=&scenario=&rule=&error_code=&limit="""
    query = {name: request.query.getone(name) for name in request.query}
    entries = [e for e in request.app[keys.JOURNAL].entries() if _journal_filter(e, query)]
    limit = query.get("limit")
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and len(limit) <= 9):
            raise ModelArtsError(INVALID_REQUEST, detail="limit: expected a whole number")
        entries = entries[-int(limit) :] if int(limit) else []
    return web.json_response({"requests": entries, "total": len(entries)})


async def clear_journal(request: web.Request) -> web.Response:
    request.app[keys.JOURNAL].clear()
    return web.Response(status=204)


async def verify(request: web.Request) -> web.Response:
    """POST /_emulator/verify: count journal entries matching rule-style criteria.

    Body: ``{"match": {...as in a scenario rule...}, "status": 200, "scenario": "...",
    "rule": "...", "expect": n}``; with ``expect`` a different count answers 417.
    """
    criteria = await read_json(request)
    if not isinstance(criteria, dict) or set(criteria) - {
        "match",
        "status",
        "scenario",
        "rule",
        "expect",
    }:
        raise ModelArtsError(
            INVALID_REQUEST,
            detail="Send {match, status, scenario, rule, expect}, each optional.",
        )
    document = {
        "name": "verify",
        "rules": [{"match": criteria.get("match", {}), "respond": {"status": 200}}],
    }
    try:
        scenario = request.app[keys.SCENARIO_LOADER].load_text(json.dumps(document), "<verify>")
    except ScenarioError as error:
        raise ModelArtsError(
            INVALID_REQUEST, message=str(error).replace("$.rules[0].match", "$.match")
        ) from None
    match = scenario.rules[0].match
    matched = []
    for entry in request.app[keys.JOURNAL].entries():
        if "status" in criteria and entry["status"] != criteria["status"]:
            continue
        if any(f in criteria and entry.get(f) != criteria[f] for f in ("scenario", "rule")):
            continue
        if not failures(match, _view_of(entry)):
            matched.append(entry["id"])
    body = {"count": len(matched), "requests": matched}
    expected = criteria.get("expect")
    status = 417 if expected is not None and expected != len(matched) else 200
    return web.json_response(body, status=status)


def _view_of(entry: dict) -> RequestView:
    view = RequestView(
        method=entry["method"],
        path=entry["path"],
        query=entry["query"],
        headers={k.lower(): v for k, v in entry["headers"].items()},
    )
    if entry["body"] is not None:
        view.take_body(entry["body"])
    return view
