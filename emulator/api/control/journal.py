"""What the emulator received: read and empty the journal, count requests that match."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from emulator.api import keys
from emulator.api.json_body import json_response
from emulator.api.payloads import read_json
from emulator.codes import INVALID_REQUEST
from emulator.errors import ModelArtsError
from emulator.scenarios.loader import ScenarioError
from emulator.scenarios.matcher import RequestView, Work, failures
from emulator.scenarios.model import Match

# Body conditions one verify may check against the whole journal (each entry's body is
# at most 16 KiB, but a thousand of them against a rule's schema or subset took minutes):
# a few seconds of a worker thread, enough for hundreds of the largest bodies.
MAX_VERIFY_SCHEMA_CHECKS = 2_000_000
MAX_VERIFY_COMPARISONS = 20_000_000


def _journal_filter(entry: dict, query: dict) -> bool:
    for field in ("method", "path", "scenario", "rule", "error_code"):
        if field in query and str(entry.get(field)) != query[field]:
            return False
    return not ("status" in query and str(entry["status"]) != query["status"])


async def read_journal(request: web.Request) -> web.Response:
    """GET /_emulator/journal?method=&path=&status=&scenario=&rule=&error_code=&limit="""
    query = {name: request.query.getone(name) for name in request.query}
    entries = [e for e in keys.shared(request, keys.JOURNAL).entries() if _journal_filter(e, query)]
    limit = query.get("limit")
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and len(limit) <= 9):
            raise ModelArtsError(INVALID_REQUEST, detail="limit: expected a whole number")
        entries = entries[-int(limit) :] if int(limit) else []
    return json_response({"requests": entries, "total": len(entries)})


async def clear_journal(request: web.Request) -> web.Response:
    keys.shared(request, keys.JOURNAL).clear()
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
        scenario = keys.shared(request, keys.SCENARIO_LOADER).load_text(
            json.dumps(document), "<verify>"
        )
    except ScenarioError as error:
        raise ModelArtsError(
            INVALID_REQUEST, message=str(error).replace("$.rules[0].match", "$.match")
        ) from None
    match = scenario.rules[0].match
    entries = keys.shared(request, keys.JOURNAL).entries()
    # Off the event loop: body conditions may take seconds of CPU over a full journal, and
    # RE2 (which lets go of the interpreter while it searches) seconds per megabyte for a
    # pattern with a large counted repeat.
    matched = await asyncio.to_thread(_matching, match, criteria, entries)
    body = {"count": len(matched), "requests": matched}
    expected = criteria.get("expect")
    status = 417 if expected is not None and expected != len(matched) else 200
    return json_response(body, status=status)


def _matching(match: Match, criteria: dict, entries: list[dict]) -> list[int]:
    """Ids of the journal entries that ``match`` and ``criteria`` admit."""
    matched = []
    work = Work()
    for entry in entries:
        if "status" in criteria and entry["status"] != criteria["status"]:
            continue
        if any(f in criteria and entry.get(f) != criteria[f] for f in ("scenario", "rule")):
            continue
        if not failures(match, _view_of(entry), work, explain=False):
            matched.append(entry["id"])
        if work.schema_checks > MAX_VERIFY_SCHEMA_CHECKS or (
            work.comparisons > MAX_VERIFY_COMPARISONS
        ):
            raise ModelArtsError(
                INVALID_REQUEST,
                detail=f"verify: the journal's bodies need more than "
                f"{MAX_VERIFY_SCHEMA_CHECKS:,} schema checks or {MAX_VERIFY_COMPARISONS:,} "
                "comparisons for this match; narrow it (method, path, status, scenario, "
                "rule) or empty the journal between tests.",
            )
    return matched


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
